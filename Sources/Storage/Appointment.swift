import Foundation
import Postgres
import Scheduling

/// An appointment with the names a page shows beside it.
public struct Appointment: Sendable, Equatable {
    public var id: Int64
    public var timeBlockID: Int64
    public var patientID: Int64
    public var patientName: String
    public var doctorID: Int64
    public var doctorName: String
    public var clinicID: Int64
    public var clinicName: String
    public var clinicAddress: String
    public var clinicPhone: String
    public var clinicTimeZone: String
    public var appointmentTypeID: Int64?
    public var appointmentTypeName: String?
    public var startsAt: Date
    public var endsAt: Date
    public var status: AppointmentStatus
    public var reason: String
    public var patientNotes: String
    public var doctorNotes: String
    public var cancelReason: String?
    public var cancelledLate: Bool
    public var source: String
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// The select list matching `init(row:)`; use with `FROM appointments a` + `Appointment.joins`.
    public static let columns = """
        a.id, a.time_block_id, a.patient_id, pu.full_name AS patient_name, a.doctor_id, du.full_name AS doctor_name,
        a.clinic_id, c.name AS clinic_name, c.address AS clinic_address, c.phone AS clinic_phone, c.timezone AS clinic_timezone,
        a.appointment_type_id, t.name AS type_name, a.starts_at, a.ends_at, a.status, a.reason, a.patient_notes,
        a.doctor_notes, a.cancel_reason, a.cancelled_late, a.source, a.version, a.created_at, a.updated_at
        """

    /// The joins `columns` needs.
    public static let joins = """
        JOIN users pu ON pu.id = a.patient_id
        JOIN doctors d ON d.id = a.doctor_id JOIN users du ON du.id = d.user_id
        JOIN clinics c ON c.id = a.clinic_id
        LEFT JOIN appointment_types t ON t.id = a.appointment_type_id
        """

    /// Decodes a row selected with `columns`.
    /// - Throws: `PostgresError.decoding` for a row of another shape.
    public init(row: PostgresRow) throws {
        id = try row.decode("id")
        timeBlockID = try row.decode("time_block_id")
        patientID = try row.decode("patient_id")
        patientName = try row.decode("patient_name")
        doctorID = try row.decode("doctor_id")
        doctorName = try row.decode("doctor_name")
        clinicID = try row.decode("clinic_id")
        clinicName = try row.decode("clinic_name")
        clinicAddress = try row.decode("clinic_address")
        clinicPhone = try row.decode("clinic_phone")
        clinicTimeZone = try row.decode("clinic_timezone")
        appointmentTypeID = try row.decode("appointment_type_id")
        appointmentTypeName = try row.decode("type_name")
        startsAt = try row.decode("starts_at")
        endsAt = try row.decode("ends_at")
        guard let status = AppointmentStatus(rawValue: try row.decode("status", as: String.self)) else {
            throw PostgresError.decoding("unknown appointment status")
        }
        self.status = status
        reason = try row.decode("reason")
        patientNotes = try row.decode("patient_notes")
        doctorNotes = try row.decode("doctor_notes")
        cancelReason = try row.decode("cancel_reason")
        cancelledLate = try row.decode("cancelled_late")
        source = try row.decode("source")
        version = try row.decode("version")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }
}
