import Foundation
import Postgres
import Scheduling

/// Criteria of the admin's appointment list; nil means any.
public struct AdminAppointmentFilter: Sendable, Equatable {
    /// First and last local date (inclusive), each appointment's date taken in its own clinic's zone.
    public var fromDate: LocalDate?
    public var toDate: LocalDate?
    public var clinicID: Int64?
    public var doctorID: Int64?
    /// A patient's user id, or part of their name or email.
    public var patient: String?
    public var status: AppointmentStatus?
    public var typeID: Int64?

    /// Creates a filter.
    public init(fromDate: LocalDate? = nil, toDate: LocalDate? = nil, clinicID: Int64? = nil, doctorID: Int64? = nil,
                patient: String? = nil, status: AppointmentStatus? = nil, typeID: Int64? = nil) {
        self.fromDate = fromDate
        self.toDate = toDate
        self.clinicID = clinicID
        self.doctorID = doctorID
        self.patient = patient
        self.status = status
        self.typeID = typeID
    }
}

/// The orders the admin list offers; raw values are the `sort` query parameter.
public enum AdminAppointmentSort: String, Sendable, CaseIterable {
    case start, patient, doctor, clinic, status, created

    /// The ORDER BY expression: fixed text chosen here, never from input; id breaks ties so pages are stable.
    var sql: String {
        switch self {
        case .start: "a.starts_at"
        case .patient: "lower(pu.full_name)"
        case .doctor: "lower(du.full_name)"
        case .clinic: "lower(c.name)"
        case .status: "a.status"
        case .created: "a.created_at"
        }
    }
}

/// The admin's side of appointments: every appointment, filtered, sorted and paged; status changes
/// under the same rules and version check as the doctor's; CSV export in keyset batches.
extension AppointmentStore {
    /// One page of appointments matching `filter`.
    /// - Throws: `PostgresError` on database failure.
    public func adminList(_ filter: AdminAppointmentFilter, sort: AdminAppointmentSort, descending: Bool,
                          offset: Int, limit: Int, on db: PostgresConnection) throws -> [Appointment] {
        let direction = descending ? "DESC" : "ASC"
        return try db.query("""
            SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins)
            \(fragment: adminWhere(filter))
            ORDER BY \(unsafeRaw: sort.sql) \(unsafeRaw: direction), a.id \(unsafeRaw: direction)
            OFFSET \(offset) LIMIT \(limit)
            """).map(Appointment.init(row:))
    }

    /// How many appointments match `filter` (for the pager).
    /// - Throws: `PostgresError` on database failure.
    public func adminCount(_ filter: AdminAppointmentFilter, on db: PostgresConnection) throws -> Int {
        try db.query("""
            SELECT count(*)::int AS n FROM appointments a \(unsafeRaw: Appointment.joins) \(fragment: adminWhere(filter))
            """)[0].decode("n")
    }

    /// Every appointment matching `filter` by start then id, handed to `write` in batches of at most `batchSize`.
    ///
    /// Keyset batches on `(starts_at, id)` keep memory bounded by one batch whatever the total, and
    /// each batch holds a pool connection only while its query runs.
    /// - Throws: `PostgresError` on database failure, or whatever `write` throws (which stops the export).
    public func adminExport(_ filter: AdminAppointmentFilter, batchSize: Int = 1000, pool: PostgresPool,
                            write: ([Appointment]) throws -> Void) throws {
        var after: (Date, Int64)?
        while true {
            let batch = try pool.withConnection { db in
                try db.query("""
                    SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins)
                    \(fragment: adminWhere(filter))
                      AND (\(after?.0)::timestamptz IS NULL OR (a.starts_at, a.id) > (\(after?.0)::timestamptz, \(after?.1)::bigint))
                    ORDER BY a.starts_at, a.id LIMIT \(batchSize)
                    """).map(Appointment.init(row:))
            }
            if batch.isEmpty { return }
            try write(batch)
            if batch.count < batchSize { return }
            after = (batch[batch.count - 1].startsAt, batch[batch.count - 1].id)
        }
    }

    private func adminWhere(_ filter: AdminAppointmentFilter) -> SQL {
        let patientID = filter.patient.flatMap { Int64($0) }
        let pattern = patientID == nil ? filter.patient.map { "%" + AdminUserStore.likeEscaped($0) + "%" } : nil
        // Dates are compared in each clinic's own zone; the coarse instant bounds (every zone lies
        // within ±14 h of UTC) let the starts_at indexes narrow the scan first.
        let utc = TimeZone(identifier: "UTC")!
        let lowest = filter.fromDate.map { startOfDay($0, in: utc).addingTimeInterval(-14 * 3600) }
        let highest = filter.toDate.map { startOfDay($0.adding(days: 1), in: utc).addingTimeInterval(14 * 3600) }
        return """
            WHERE (\(lowest)::timestamptz IS NULL OR a.starts_at >= \(lowest))
              AND (\(highest)::timestamptz IS NULL OR a.starts_at < \(highest))
              AND (\(filter.fromDate?.iso)::date IS NULL OR (a.starts_at AT TIME ZONE c.timezone)::date >= \(filter.fromDate?.iso)::date)
              AND (\(filter.toDate?.iso)::date IS NULL OR (a.starts_at AT TIME ZONE c.timezone)::date <= \(filter.toDate?.iso)::date)
              AND (\(filter.clinicID)::bigint IS NULL OR a.clinic_id = \(filter.clinicID))
              AND (\(filter.doctorID)::bigint IS NULL OR a.doctor_id = \(filter.doctorID))
              AND (\(patientID)::bigint IS NULL OR a.patient_id = \(patientID))
              AND (\(pattern)::text IS NULL OR pu.full_name ILIKE \(pattern) OR pu.email::text ILIKE \(pattern))
              AND (\(filter.status?.rawValue)::text IS NULL OR a.status = \(filter.status?.rawValue))
              AND (\(filter.typeID)::bigint IS NULL OR a.appointment_type_id = \(filter.typeID))
            """
    }

    /// Any appointment by id (admins see every one); nil when it does not exist.
    /// - Throws: `PostgresError` on database failure.
    public func findForAdmin(id: Int64, on db: PostgresConnection) throws -> Appointment? {
        try db.query("""
            SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins) WHERE a.id = \(id)
            """).first.map(Appointment.init(row:))
    }
}
