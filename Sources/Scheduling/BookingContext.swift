/// The surroundings of a booking: the doctor's time off and other appointments, and the patient's.
public struct BookingContext: Sendable, Hashable {
    /// The doctor's time off near the block.
    public var doctorTimeOff: [TimeRange]
    /// The doctor's active appointments in OTHER blocks (seats in the same group block are not a buffer conflict).
    public var doctorAppointmentsElsewhere: [TimeRange]
    /// The patient's active appointments.
    public var patientAppointments: [TimeRange]
    /// How many pending or confirmed future appointments the patient holds at this clinic.
    public var patientOpenBookings: Int

    /// Creates a context; everything defaults to empty.
    public init(doctorTimeOff: [TimeRange] = [], doctorAppointmentsElsewhere: [TimeRange] = [],
                patientAppointments: [TimeRange] = [], patientOpenBookings: Int = 0) {
        self.doctorTimeOff = doctorTimeOff
        self.doctorAppointmentsElsewhere = doctorAppointmentsElsewhere
        self.patientAppointments = patientAppointments
        self.patientOpenBookings = patientOpenBookings
    }
}
