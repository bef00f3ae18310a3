import Scheduling

extension Routes {
    /// The suffix that turns an appointment's page into its calendar file.
    static let calendarSuffix = ".ics"

    /// A doctor's page showing the week containing `week`.
    public static func doctor(_ id: Int64, week: LocalDate) -> String { doctor(id) + "?week=" + week.iso }

    /// The booking form of a block.
    public static func book(_ blockID: Int64) -> String { "/patient/book/\(blockID)" }

    /// A patient's appointment page.
    public static func patientAppointment(_ id: Int64) -> String { "/patient/appointments/\(id)" }

    /// An appointment as an RFC 5545 file (same route as the page: the router matches `{id}.ics` as one segment).
    public static func patientAppointmentCalendar(_ id: Int64) -> String { patientAppointment(id) + calendarSuffix }

    /// Where the cancel form posts.
    public static func cancelAppointment(_ id: Int64) -> String { patientAppointment(id) + "/cancel" }

    /// The reschedule page (GET) and form target (POST).
    public static func rescheduleAppointment(_ id: Int64) -> String { patientAppointment(id) + "/reschedule" }

    /// The reschedule page showing the week containing `week`.
    public static func rescheduleAppointment(_ id: Int64, week: LocalDate) -> String { rescheduleAppointment(id) + "?week=" + week.iso }
}
