import Foundation
import Postgres
import Scheduling

/// A clinic as listed publicly.
public struct ClinicSummary: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var address: String
    public var timeZone: String
    public var doctorCount: Int
}

/// A clinic with its contact details, IANA time zone and booking policy, as an admin edits it.
public struct Clinic: Sendable, Equatable {
    public var id: Int64
    public var details: ClinicDetails
    public var policy: ClinicPolicy

    /// The clinic's zone; the identifier was validated when saved, UTC only guards a hand-edited row.
    public var zone: TimeZone { TimeZone(identifier: details.timeZone) ?? TimeZone(identifier: "UTC")! }
}

/// The descriptive fields of a clinic (everything but the policy).
public struct ClinicDetails: Sendable, Equatable {
    public var name: String
    public var address: String
    public var phone: String
    /// An IANA identifier such as "Europe/Berlin".
    public var timeZone: String

    public init(name: String, address: String, phone: String, timeZone: String) {
        self.name = name
        self.address = address
        self.phone = phone
        self.timeZone = timeZone
    }
}

/// Clinics and their booking policy.
public struct ClinicStore: Sendable {
    public init() {}

    /// Every clinic with how many active doctors work there, by name.
    /// - Throws: `PostgresError` on database failure.
    public func summaries(on db: PostgresConnection) throws -> [ClinicSummary] {
        try db.query("""
            SELECT c.id, c.name, c.address, c.timezone,
                   (SELECT count(*)::int FROM doctor_clinics dc JOIN doctors d ON d.id = dc.doctor_id
                    JOIN users u ON u.id = d.user_id WHERE dc.clinic_id = c.id AND u.active) AS doctors
            FROM clinics c ORDER BY c.name
            """).map { row in
            ClinicSummary(id: try row.decode("id"), name: try row.decode("name"), address: try row.decode("address"),
                          timeZone: try row.decode("timezone"), doctorCount: try row.decode("doctors"))
        }
    }

    private static let columns = """
        c.id, c.name, c.address, c.phone, c.timezone, c.buffer_minutes, c.min_lead_minutes, c.horizon_days,
        c.late_cancel_hours, c.allow_late_cancel, c.bookings_start_confirmed, c.max_open_bookings
        """

    /// Every clinic with its policy, by name.
    /// - Throws: `PostgresError` on database failure.
    public func all(on db: PostgresConnection) throws -> [Clinic] {
        try db.query("SELECT \(unsafeRaw: Self.columns) FROM clinics c ORDER BY c.name").map(Self.clinic)
    }

    /// The clinic with `id`, if any.
    /// - Throws: `PostgresError` on database failure.
    public func find(id: Int64, on db: PostgresConnection) throws -> Clinic? {
        try db.query("SELECT \(unsafeRaw: Self.columns) FROM clinics c WHERE c.id = \(id)").first.map(Self.clinic)
    }

    /// Creates a clinic and returns its id.
    /// - Throws: `PostgresError.uniqueViolation(constraint: "clinics_name_unique")` for a taken name;
    ///   `.checkViolation` for a value outside the schema's ranges.
    public func create(_ details: ClinicDetails, policy: ClinicPolicy, on db: PostgresConnection) throws -> Int64 {
        try db.query("""
            INSERT INTO clinics (name, address, phone, timezone, buffer_minutes, min_lead_minutes, horizon_days,
                                 late_cancel_hours, allow_late_cancel, bookings_start_confirmed, max_open_bookings)
            VALUES (\(details.name), \(details.address), \(details.phone), \(details.timeZone), \(policy.bufferMinutes),
                    \(policy.minimumLeadMinutes), \(policy.horizonDays), \(policy.lateCancelHours),
                    \(policy.allowLateCancellation), \(policy.portalBookingsStartConfirmed), \(policy.maxOpenBookingsPerPatient))
            RETURNING id
            """)[0].decode("id")
    }

    /// Replaces the details and policy of clinic `id`; false when there is no such clinic.
    /// - Throws: like `create`.
    public func update(id: Int64, _ details: ClinicDetails, policy: ClinicPolicy, on db: PostgresConnection) throws -> Bool {
        try db.execute("""
            UPDATE clinics SET name = \(details.name), address = \(details.address), phone = \(details.phone),
                timezone = \(details.timeZone) WHERE id = \(id)
            """) == 1 && updatePolicy(id: id, policy, on: db)
    }

    /// Replaces only the booking policy of clinic `id`; false when there is no such clinic.
    /// - Throws: `PostgresError.checkViolation` for a value outside the schema's ranges.
    public func updatePolicy(id: Int64, _ policy: ClinicPolicy, on db: PostgresConnection) throws -> Bool {
        try db.execute("""
            UPDATE clinics SET buffer_minutes = \(policy.bufferMinutes), min_lead_minutes = \(policy.minimumLeadMinutes),
                horizon_days = \(policy.horizonDays), late_cancel_hours = \(policy.lateCancelHours),
                allow_late_cancel = \(policy.allowLateCancellation),
                bookings_start_confirmed = \(policy.portalBookingsStartConfirmed),
                max_open_bookings = \(policy.maxOpenBookingsPerPatient)
            WHERE id = \(id)
            """) == 1
    }

    private static func clinic(_ row: PostgresRow) throws -> Clinic {
        Clinic(
            id: try row.decode("id"),
            details: ClinicDetails(name: try row.decode("name"), address: try row.decode("address"),
                                   phone: try row.decode("phone"), timeZone: try row.decode("timezone")),
            policy: ClinicPolicy(bufferMinutes: try row.decode("buffer_minutes"),
                                 minimumLeadMinutes: try row.decode("min_lead_minutes"),
                                 horizonDays: try row.decode("horizon_days"),
                                 lateCancelHours: try row.decode("late_cancel_hours"),
                                 portalBookingsStartConfirmed: try row.decode("bookings_start_confirmed"),
                                 allowLateCancellation: try row.decode("allow_late_cancel"),
                                 maxOpenBookingsPerPatient: try row.decode("max_open_bookings")))
    }
}
