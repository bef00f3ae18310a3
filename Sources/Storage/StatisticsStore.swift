import Foundation
import Postgres
import Scheduling

/// What the dashboard counts: appointments starting in `range`, optionally of one clinic or doctor.
public struct StatisticsFilter: Sendable, Equatable {
    /// The period, as real time (the local days of the reporting zone).
    public var range: TimeRange
    /// The IANA zone whose calendar days the per-day counts use.
    public var zone: String
    public var clinicID: Int64?
    public var doctorID: Int64?

    /// Creates a filter.
    public init(range: TimeRange, zone: String, clinicID: Int64? = nil, doctorID: Int64? = nil) {
        self.range = range
        self.zone = zone
        self.clinicID = clinicID
        self.doctorID = doctorID
    }
}

/// Booked against offered minutes of one doctor over the period.
public struct DoctorUtilisation: Sendable, Equatable {
    public var doctorID: Int64
    public var name: String
    /// Minutes of blocks × seats held by active appointments (cancellations and no-shows free their seat).
    public var bookedMinutes: Int
    /// Minutes of open blocks (and closed ones still holding appointments) × capacity.
    public var offeredMinutes: Int

    /// booked / offered, 0 when nothing was offered.
    public var ratio: Double { offeredMinutes > 0 ? Double(bookedMinutes) / Double(offeredMinutes) : 0 }
}

/// The dashboard's numbers for one filter.
public struct Statistics: Sendable, Equatable {
    /// Appointments starting in the period, every status.
    public var total: Int
    /// Count per status (statuses without appointments are absent).
    public var byStatus: [AppointmentStatus: Int]
    /// Count per appointment type name (nil: booked without a type), largest first.
    public var byType: [(name: String?, count: Int)]
    /// Count per local day of the period, every day present (zero-filled), in order.
    public var perDay: [(date: LocalDate, count: Int)]
    /// No-shows, over appointments that were due by now and not cancelled.
    public var noShows: Int
    public var dueNotCancelled: Int
    /// Cancellations inside the clinic's late-cancel window.
    public var lateCancellations: Int
    public var utilisation: [DoctorUtilisation]

    /// no-shows / due-and-not-cancelled, 0 when none was due.
    public var noShowRate: Double { dueNotCancelled > 0 ? Double(noShows) / Double(dueNotCancelled) : 0 }
    /// late cancellations / all appointments of the period, 0 when there are none.
    public var lateCancellationRate: Double { total > 0 ? Double(lateCancellations) / Double(total) : 0 }
    /// Appointments per day of the period.
    public var averagePerDay: Double { perDay.isEmpty ? 0 : Double(total) / Double(perDay.count) }

    public static func == (lhs: Statistics, rhs: Statistics) -> Bool {
        lhs.total == rhs.total && lhs.byStatus == rhs.byStatus && lhs.noShows == rhs.noShows
            && lhs.dueNotCancelled == rhs.dueNotCancelled && lhs.lateCancellations == rhs.lateCancellations
            && lhs.utilisation == rhs.utilisation
            && lhs.byType.map(\.name) == rhs.byType.map(\.name) && lhs.byType.map(\.count) == rhs.byType.map(\.count)
            && lhs.perDay.map(\.date) == rhs.perDay.map(\.date) && lhs.perDay.map(\.count) == rhs.perDay.map(\.count)
    }
}

/// Aggregates for the admin dashboard, computed by PostgreSQL (a handful of GROUP BY queries over
/// the `(clinic_id | doctor_id, starts_at)` indexes) rather than by loading appointments.
public struct StatisticsStore: Sendable {
    public init() {}

    /// The numbers of `filter`; `days` are the period's local dates (for zero-filling), `now` decides what was due.
    /// - Throws: `PostgresError` on database failure.
    public func statistics(_ filter: StatisticsFilter, days: [LocalDate], now: Date, on db: PostgresConnection) throws -> Statistics {
        let scope = scopeClause(filter, range: filter.range)
        let totals = try db.query("""
            SELECT count(*)::int AS total,
                   count(*) FILTER (WHERE a.status = 'no_show')::int AS no_shows,
                   count(*) FILTER (WHERE a.status <> 'cancelled' AND a.starts_at <= \(now))::int AS due,
                   count(*) FILTER (WHERE a.status = 'cancelled' AND a.cancelled_late)::int AS late
            FROM appointments a \(fragment: scope)
            """)[0]
        var byStatus: [AppointmentStatus: Int] = [:]
        for row in try db.query("SELECT a.status, count(*)::int AS n FROM appointments a \(fragment: scope) GROUP BY a.status") {
            if let status = AppointmentStatus(rawValue: try row.decode("status")) { byStatus[status] = try row.decode("n") }
        }
        let byType = try db.query("""
            SELECT t.name, count(*)::int AS n FROM appointments a LEFT JOIN appointment_types t ON t.id = a.appointment_type_id
            \(fragment: scope) GROUP BY t.name ORDER BY n DESC, t.name NULLS LAST
            """).map { (name: try $0.decode("name", as: String?.self), count: try $0.decode("n", as: Int.self)) }
        var counts: [String: Int] = [:]
        for row in try db.query("""
            SELECT to_char((a.starts_at AT TIME ZONE \(filter.zone))::date, 'YYYY-MM-DD') AS day, count(*)::int AS n
            FROM appointments a \(fragment: scope) GROUP BY 1
            """) {
            counts[try row.decode("day")] = try row.decode("n")
        }
        let utilisation = try db.query("""
            SELECT b.doctor_id, du.full_name,
                   sum((extract(epoch FROM b.ends_at - b.starts_at) / 60)::bigint * b.booked)::bigint AS booked,
                   sum((extract(epoch FROM b.ends_at - b.starts_at) / 60)::bigint * b.capacity)::bigint AS offered
            FROM time_blocks b JOIN doctors d ON d.id = b.doctor_id JOIN users du ON du.id = d.user_id
            WHERE b.starts_at >= \(filter.range.start) AND b.starts_at < \(filter.range.end) AND (b.open OR b.booked > 0)
              AND (\(filter.clinicID)::bigint IS NULL OR b.clinic_id = \(filter.clinicID))
              AND (\(filter.doctorID)::bigint IS NULL OR b.doctor_id = \(filter.doctorID))
            GROUP BY b.doctor_id, du.full_name ORDER BY du.full_name, b.doctor_id
            """).map { row in
            DoctorUtilisation(doctorID: try row.decode("doctor_id"), name: try row.decode("full_name"),
                              bookedMinutes: Int(try row.decode("booked", as: Int64.self)),
                              offeredMinutes: Int(try row.decode("offered", as: Int64.self)))
        }
        return Statistics(total: try totals.decode("total"), byStatus: byStatus, byType: byType,
                          perDay: days.map { (date: $0, count: counts[$0.iso] ?? 0) },
                          noShows: try totals.decode("no_shows"), dueNotCancelled: try totals.decode("due"),
                          lateCancellations: try totals.decode("late"), utilisation: utilisation)
    }

    /// Appointments of the filter's clinic/doctor starting in `range` that are not cancelled (the "today" figure).
    /// - Throws: `PostgresError` on database failure.
    public func countNotCancelled(_ filter: StatisticsFilter, in range: TimeRange, on db: PostgresConnection) throws -> Int {
        try db.query("""
            SELECT count(*)::int AS n FROM appointments a \(fragment: scopeClause(filter, range: range)) AND a.status <> 'cancelled'
            """)[0].decode("n")
    }

    private func scopeClause(_ filter: StatisticsFilter, range: TimeRange) -> SQL {
        """
        WHERE a.starts_at >= \(range.start) AND a.starts_at < \(range.end)
          AND (\(filter.clinicID)::bigint IS NULL OR a.clinic_id = \(filter.clinicID))
          AND (\(filter.doctorID)::bigint IS NULL OR a.doctor_id = \(filter.doctorID))
        """
    }

    // MARK: - Choices for filter forms

    /// Clinics as (id, name, zone), by name.
    /// - Throws: `PostgresError` on database failure.
    public func clinicChoices(on db: PostgresConnection) throws -> [(id: Int64, name: String, zone: String)] {
        try db.query("SELECT id, name, timezone FROM clinics ORDER BY name, id").map {
            (id: try $0.decode("id"), name: try $0.decode("name"), zone: try $0.decode("timezone"))
        }
    }

    /// Doctors as (doctor id, name), active or not (old appointments still name them), by name.
    /// - Throws: `PostgresError` on database failure.
    public func doctorChoices(on db: PostgresConnection) throws -> [(id: Int64, name: String)] {
        try db.query("SELECT d.id, u.full_name FROM doctors d JOIN users u ON u.id = d.user_id ORDER BY u.full_name, d.id").map {
            (id: try $0.decode("id"), name: try $0.decode("full_name"))
        }
    }

    /// Appointment types as (id, name), by name.
    /// - Throws: `PostgresError` on database failure.
    public func typeChoices(on db: PostgresConnection) throws -> [(id: Int64, name: String)] {
        try db.query("SELECT id, name FROM appointment_types ORDER BY name, id").map {
            (id: try $0.decode("id"), name: try $0.decode("name"))
        }
    }
}
