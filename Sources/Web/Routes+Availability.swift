import Scheduling

/// Paths of clinics, appointment types, doctor accounts, availability and the doctor's views (issue 5).
extension Routes {
    // MARK: - Admin: the practice

    public static let adminClinics = "/admin/clinics"
    public static let adminAppointmentTypes = "/admin/appointment-types"
    public static let adminSettings = "/admin/settings"
    public static let adminNewDoctor = "/admin/doctors/new"

    /// The edit form of one clinic.
    public static func adminClinic(_ id: Int64) -> String { "\(adminClinics)/\(id)" }

    /// The edit form of one appointment type.
    public static func adminAppointmentType(_ id: Int64) -> String { "\(adminAppointmentTypes)/\(id)" }

    /// The policy form of one clinic.
    public static func adminSettings(clinic id: Int64) -> String { "\(adminSettings)?clinic=\(id)" }

    // MARK: - Doctor

    public static let doctorCalendar = "/doctor/calendar"
    public static let doctorAvailability = "/doctor/availability"
    public static let doctorPatterns = "/doctor/patterns"
    public static let doctorBlocks = "/doctor/blocks"
    public static let doctorGenerateBlocks = "/doctor/blocks/generate"
    public static let doctorTimeOff = "/doctor/time-off"

    /// The doctor's day view of `date`.
    public static func doctorDay(_ date: LocalDate) -> String { "\(doctorHome)?date=\(date.iso)" }

    /// The doctor's week calendar of the week containing `date`.
    public static func doctorCalendar(week date: LocalDate) -> String { "\(doctorCalendar)?week=\(date.iso)" }

    /// Where a block's delete form posts.
    public static func doctorDeleteBlock(_ id: Int64) -> String { "\(doctorBlocks)/\(id)/delete" }

    /// One of the doctor's appointments.
    public static func doctorAppointment(_ id: Int64) -> String { "/doctor/appointments/\(id)" }

    /// Where an appointment's status form posts.
    public static func doctorAppointmentStatus(_ id: Int64) -> String { doctorAppointment(id) + "/status" }

    /// Where an appointment's notes form posts.
    public static func doctorAppointmentNotes(_ id: Int64) -> String { doctorAppointment(id) + "/notes" }
}
