import Foundation
import Postgres
import Scheduling

/// A kind of appointment (consultation, vaccination…) with the durations it may take.
public struct AppointmentType: Sendable, Equatable {
    public var id: Int64
    public var fields: AppointmentTypeFields
}

/// The editable fields of an appointment type.
public struct AppointmentTypeFields: Sendable, Equatable {
    public var name: String
    public var defaultMinutes: Int
    public var minMinutes: Int
    public var maxMinutes: Int
    /// Whether patients may pick this type when booking online.
    public var bookableOnline: Bool

    public init(name: String, defaultMinutes: Int, minMinutes: Int, maxMinutes: Int, bookableOnline: Bool) {
        self.name = name
        self.defaultMinutes = defaultMinutes
        self.minMinutes = minMinutes
        self.maxMinutes = maxMinutes
        self.bookableOnline = bookableOnline
    }
}

/// A clinic as a doctor's pages need it: which one, and the zone its times are in.
public struct ClinicRef: Sendable, Equatable {
    public var id: Int64
    public var name: String
    /// IANA identifier of the clinic's zone.
    public var timeZone: String

    /// The clinic's zone (UTC only if a row holds an identifier Foundation does not know).
    public var zone: TimeZone { TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")! }
}

/// A doctor with the account behind it and the clinics they work at.
public struct DoctorProfile: Sendable, Equatable {
    public var id: Int64
    public var userID: Int64
    public var fullName: String
    public var email: String
    public var specialty: String
    public var bio: String
    /// The clinics the doctor works at, by name; the first is where a doctor's "today" is reckoned.
    public var clinics: [ClinicRef]
}

/// What an admin enters to create a doctor; the temporary password is already hashed.
public struct NewDoctor: Sendable {
    public var fullName: String
    public var email: String
    public var passwordHash: String
    public var specialty: String
    public var bio: String
    public var clinicIDs: [Int64]

    public init(fullName: String, email: String, passwordHash: String, specialty: String, bio: String, clinicIDs: [Int64]) {
        self.fullName = fullName
        self.email = email
        self.passwordHash = passwordHash
        self.specialty = specialty
        self.bio = bio
        self.clinicIDs = clinicIDs
    }
}

/// The practice's set-up besides clinics: appointment types and doctors.
public struct PracticeStore: Sendable {
    public init() {}

    // MARK: - Appointment types

    /// Every appointment type, by name.
    /// - Throws: `PostgresError` on database failure.
    public func appointmentTypes(on db: PostgresConnection) throws -> [AppointmentType] {
        try db.query("""
            SELECT id, name, default_minutes, min_minutes, max_minutes, bookable_online FROM appointment_types ORDER BY name
            """).map(Self.appointmentType)
    }

    /// The appointment type with `id`, if any.
    /// - Throws: `PostgresError` on database failure.
    public func appointmentType(id: Int64, on db: PostgresConnection) throws -> AppointmentType? {
        try db.query("""
            SELECT id, name, default_minutes, min_minutes, max_minutes, bookable_online FROM appointment_types WHERE id = \(id)
            """).first.map(Self.appointmentType)
    }

    /// Creates an appointment type and returns its id.
    /// - Throws: `PostgresError.uniqueViolation(constraint: "appointment_types_name_unique")` for a taken name,
    ///   `.checkViolation(constraint: "appointment_types_range")` for durations out of order.
    public func createAppointmentType(_ fields: AppointmentTypeFields, on db: PostgresConnection) throws -> Int64 {
        try db.query("""
            INSERT INTO appointment_types (name, default_minutes, min_minutes, max_minutes, bookable_online)
            VALUES (\(fields.name), \(fields.defaultMinutes), \(fields.minMinutes), \(fields.maxMinutes), \(fields.bookableOnline))
            RETURNING id
            """)[0].decode("id")
    }

    /// Replaces the fields of appointment type `id`; false when there is no such type.
    /// - Throws: like `createAppointmentType`.
    public func updateAppointmentType(id: Int64, _ fields: AppointmentTypeFields, on db: PostgresConnection) throws -> Bool {
        try db.execute("""
            UPDATE appointment_types SET name = \(fields.name), default_minutes = \(fields.defaultMinutes),
                min_minutes = \(fields.minMinutes), max_minutes = \(fields.maxMinutes), bookable_online = \(fields.bookableOnline)
            WHERE id = \(id)
            """) == 1
    }

    private static func appointmentType(_ row: PostgresRow) throws -> AppointmentType {
        AppointmentType(id: try row.decode("id"), fields: AppointmentTypeFields(
            name: try row.decode("name"), defaultMinutes: try row.decode("default_minutes"),
            minMinutes: try row.decode("min_minutes"), maxMinutes: try row.decode("max_minutes"),
            bookableOnline: try row.decode("bookable_online")))
    }

    // MARK: - Doctors

    /// Creates the doctor's account (which must change its password at first sign-in), the doctor
    /// row and the clinic memberships, auditing each; returns the doctor's id.
    /// - Throws: `PostgresError.uniqueViolation(constraint: "users_email_unique")` when the email is taken;
    ///   `.foreignKeyViolation` for an unknown clinic.
    public func createDoctor(_ doctor: NewDoctor, actor: Actor, audit: AuditStore, on db: PostgresConnection) throws -> Int64 {
        let userID = try UserStore().create(
            NewUser(role: .doctor, email: doctor.email, passwordHash: doctor.passwordHash, fullName: doctor.fullName,
                    mustChangePassword: true),
            actor: actor, audit: audit, on: db)
        let doctorID: Int64 = try db.query("""
            INSERT INTO doctors (user_id, specialty, bio) VALUES (\(userID), \(doctor.specialty), \(doctor.bio)) RETURNING id
            """)[0].decode("id")
        for clinicID in Set(doctor.clinicIDs).sorted() {
            try db.execute("INSERT INTO doctor_clinics (doctor_id, clinic_id) VALUES (\(doctorID), \(clinicID))")
        }
        try audit.record(actor: actor, action: "doctor.created", entity: "doctor", entityID: String(doctorID), details: [
            "user_id": String(userID), "specialty": doctor.specialty,
            "clinics": Set(doctor.clinicIDs).sorted().map(String.init).joined(separator: ","),
        ], on: db)
        return doctorID
    }

    /// The doctor whose account is `userID`, with their clinics; nil when the account has no doctor row.
    /// - Throws: `PostgresError` on database failure.
    public func doctor(userID: Int64, on db: PostgresConnection) throws -> DoctorProfile? {
        guard let row = try db.query("""
            SELECT d.id, d.user_id, u.full_name, u.email::text AS email, d.specialty, d.bio
            FROM doctors d JOIN users u ON u.id = d.user_id WHERE d.user_id = \(userID)
            """).first else { return nil }
        let doctorID: Int64 = try row.decode("id")
        let clinics = try db.query("""
            SELECT c.id, c.name, c.timezone FROM doctor_clinics dc JOIN clinics c ON c.id = dc.clinic_id
            WHERE dc.doctor_id = \(doctorID) ORDER BY c.name, c.id
            """).map { ClinicRef(id: try $0.decode("id"), name: try $0.decode("name"), timeZone: try $0.decode("timezone")) }
        return DoctorProfile(id: doctorID, userID: try row.decode("user_id"), fullName: try row.decode("full_name"),
                             email: try row.decode("email"), specialty: try row.decode("specialty"),
                             bio: try row.decode("bio"), clinics: clinics)
    }
}
