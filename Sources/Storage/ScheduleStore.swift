import Foundation
import Postgres
import Scheduling

/// A weekly pattern as stored, with the clinic it belongs to.
public struct StoredPattern: Sendable, Equatable {
    public var id: Int64
    public var clinic: ClinicRef
    public var pattern: WeeklyPattern
}

/// A time block as stored: when, where, how many seats, how many taken, and whether it is open.
public struct StoredBlock: Sendable, Equatable {
    public var id: Int64
    public var doctorID: Int64
    public var clinic: ClinicRef
    public var patternID: Int64?
    public var range: TimeRange
    public var capacity: Int
    /// Active appointments in the block (kept by the database trigger).
    public var booked: Int
    /// False once the doctor closed it (time off, or a removed block that still has history).
    public var open: Bool
}

/// A doctor's time off.
public struct TimeOff: Sendable, Equatable {
    public var id: Int64
    public var range: TimeRange
    public var reason: String
}

/// What removing a block did.
public enum BlockRemoval: Sendable, Equatable {
    /// The block had never held an appointment and is gone.
    case deleted
    /// The block is referenced by (cancelled) appointments, which must stay for the record, so it was closed instead.
    case closed
}

/// Weekly patterns, time blocks and time off of doctors.
public struct ScheduleStore: Sendable {
    public init() {}

    // MARK: - Patterns

    /// Saves a weekly pattern and returns its id.
    /// - Throws: `PostgresError.foreignKeyViolation` when the doctor does not work at the clinic;
    ///   `.checkViolation` for a bad range.
    public func createPattern(_ pattern: WeeklyPattern, doctorID: Int64, clinicID: Int64, on db: PostgresConnection) throws -> Int64 {
        let validFrom = PostgresDate(pattern.validFrom)
        let validTo = pattern.validTo.map(PostgresDate.init)
        return try db.query("""
            INSERT INTO weekly_patterns (doctor_id, clinic_id, weekday, start_time, end_time, slot_minutes, capacity, valid_from, valid_to)
            VALUES (\(doctorID), \(clinicID), \(pattern.weekday.rawValue), \(pattern.start.hhmm)::time, \(pattern.end.hhmm)::time,
                    \(pattern.slotMinutes), \(pattern.capacity), \(validFrom), \(validTo))
            RETURNING id
            """)[0].decode("id")
    }

    /// The doctor's patterns, by clinic, weekday and start.
    /// - Throws: `PostgresError` on database failure.
    public func patterns(doctorID: Int64, on db: PostgresConnection) throws -> [StoredPattern] {
        try db.query("""
            SELECT p.id, p.clinic_id, c.name AS clinic_name, c.timezone, p.weekday, p.start_time::text AS start_time,
                   p.end_time::text AS end_time, p.slot_minutes, p.capacity, p.valid_from, p.valid_to
            FROM weekly_patterns p JOIN clinics c ON c.id = p.clinic_id
            WHERE p.doctor_id = \(doctorID)
            ORDER BY c.name, p.weekday, p.start_time, p.id
            """).map { row in
            guard let weekday = Weekday(rawValue: try row.decode("weekday")),
                  let start = LocalTime(sqlTime: try row.decode("start_time")),
                  let end = LocalTime(sqlTime: try row.decode("end_time")) else {
                throw PostgresError.decoding("malformed weekly pattern")
            }
            let validFrom: PostgresDate = try row.decode("valid_from")
            let validTo: PostgresDate? = try row.decode("valid_to")
            return StoredPattern(
                id: try row.decode("id"),
                clinic: ClinicRef(id: try row.decode("clinic_id"), name: try row.decode("clinic_name"), timeZone: try row.decode("timezone")),
                pattern: WeeklyPattern(weekday: weekday, start: start, end: end, slotMinutes: try row.decode("slot_minutes"),
                                       capacity: try row.decode("capacity"), validFrom: LocalDate(validFrom),
                                       validTo: validTo.map(LocalDate.init)))
        }
    }

    // MARK: - Blocks

    /// Inserts blocks, skipping any that would overlap an existing block of the doctor, so
    /// generating twice never duplicates and never moves a booked block. Returns how many were new.
    /// - Throws: `PostgresError` on database failure.
    @discardableResult
    public func insertBlocks(_ blocks: [BlockSpec], doctorID: Int64, clinicID: Int64, patternID: Int64?,
                             on db: PostgresConnection) throws -> Int {
        var inserted = 0
        for block in blocks {
            // ON CONFLICT DO NOTHING also covers the exclusion constraint time_blocks_no_overlap.
            inserted += try db.execute("""
                INSERT INTO time_blocks (doctor_id, clinic_id, pattern_id, starts_at, ends_at, capacity)
                VALUES (\(doctorID), \(clinicID), \(patternID), \(block.startsAt), \(block.endsAt), \(block.capacity))
                ON CONFLICT DO NOTHING
                """)
        }
        return inserted
    }

    /// Inserts one block the doctor asked for and returns its id; unlike `insertBlocks`, an overlap is an error to show.
    /// - Throws: `PostgresError.exclusionViolation(constraint: "time_blocks_no_overlap")` when it overlaps another
    ///   block of the doctor; `.checkViolation` for a bad range or capacity.
    public func insertBlock(_ block: BlockSpec, doctorID: Int64, clinicID: Int64, on db: PostgresConnection) throws -> Int64 {
        try db.query("""
            INSERT INTO time_blocks (doctor_id, clinic_id, starts_at, ends_at, capacity)
            VALUES (\(doctorID), \(clinicID), \(block.startsAt), \(block.endsAt), \(block.capacity))
            RETURNING id
            """)[0].decode("id")
    }

    private static let blockColumns = """
        b.id, b.doctor_id, b.clinic_id, c.name AS clinic_name, c.timezone, b.pattern_id, b.starts_at, b.ends_at,
        b.capacity, b.booked, b.open
        """

    /// The doctor's blocks overlapping `range`, in time order.
    /// - Throws: `PostgresError` on database failure.
    public func blocks(doctorID: Int64, overlapping range: TimeRange, on db: PostgresConnection) throws -> [StoredBlock] {
        try db.query("""
            SELECT \(unsafeRaw: Self.blockColumns) FROM time_blocks b JOIN clinics c ON c.id = b.clinic_id
            WHERE b.doctor_id = \(doctorID) AND b.starts_at < \(range.end) AND b.ends_at > \(range.start)
            ORDER BY b.starts_at
            """).map(Self.block)
    }

    /// The block `id` if it belongs to `doctorID` (nil otherwise, so another doctor's block looks missing).
    /// With `forUpdate` the row stays locked until the transaction ends, which makes concurrent
    /// bookings of it (whose trigger updates the row) wait for the caller's decision.
    /// - Throws: `PostgresError` on database failure.
    public func block(id: Int64, doctorID: Int64, forUpdate: Bool = false, on db: PostgresConnection) throws -> StoredBlock? {
        try db.query("""
            SELECT \(unsafeRaw: Self.blockColumns) FROM time_blocks b JOIN clinics c ON c.id = b.clinic_id
            WHERE b.id = \(id) AND b.doctor_id = \(doctorID) \(unsafeRaw: forUpdate ? "FOR UPDATE OF b" : "")
            """).first.map(Self.block)
    }

    /// Deletes block `id`, or closes it when appointments (cancelled ones, kept for the record) still refer to it.
    /// The caller has already made sure no active appointment is left in it.
    /// - Throws: `PostgresError` on database failure.
    public func removeBlock(id: Int64, on db: PostgresConnection) throws -> BlockRemoval {
        let referenced = try !db.query("SELECT 1 AS x FROM appointments WHERE time_block_id = \(id) LIMIT 1").isEmpty
        if referenced {
            try db.execute("UPDATE time_blocks SET open = false WHERE id = \(id)")
            return .closed
        }
        try db.execute("DELETE FROM time_blocks WHERE id = \(id)")
        return .deleted
    }

    private static func block(_ row: PostgresRow) throws -> StoredBlock {
        StoredBlock(id: try row.decode("id"), doctorID: try row.decode("doctor_id"),
                    clinic: ClinicRef(id: try row.decode("clinic_id"), name: try row.decode("clinic_name"),
                                      timeZone: try row.decode("timezone")),
                    patternID: try row.decode("pattern_id"),
                    range: TimeRange(start: try row.decode("starts_at"), end: try row.decode("ends_at")),
                    capacity: try row.decode("capacity"), booked: try row.decode("booked"), open: try row.decode("open"))
    }

    // MARK: - Time off

    /// Records time off and closes every block of the doctor overlapping it; returns the time off's id.
    /// - Throws: `PostgresError.checkViolation` for an empty or inverted range or an over-long reason.
    public func createTimeOff(doctorID: Int64, range: TimeRange, reason: String, on db: PostgresConnection) throws -> Int64 {
        let id: Int64 = try db.query("""
            INSERT INTO time_off (doctor_id, starts_at, ends_at, reason) VALUES (\(doctorID), \(range.start), \(range.end), \(reason))
            RETURNING id
            """)[0].decode("id")
        try closeBlocksInTimeOff(doctorID: doctorID, on: db)
        return id
    }

    /// Closes the doctor's open blocks that overlap any of their time off, so none of them can be booked;
    /// returns how many were closed. Run after adding time off and after adding blocks.
    /// - Throws: `PostgresError` on database failure.
    @discardableResult
    public func closeBlocksInTimeOff(doctorID: Int64, on db: PostgresConnection) throws -> Int {
        try db.execute("""
            UPDATE time_blocks b SET open = false
            WHERE b.doctor_id = \(doctorID) AND b.open AND EXISTS (
                SELECT 1 FROM time_off o WHERE o.doctor_id = b.doctor_id
                AND tstzrange(o.starts_at, o.ends_at) && tstzrange(b.starts_at, b.ends_at))
            """)
    }

    /// The doctor's time off that has not ended by `instant`, in time order.
    /// - Throws: `PostgresError` on database failure.
    public func timeOff(doctorID: Int64, endingAfter instant: Date, on db: PostgresConnection) throws -> [TimeOff] {
        try db.query("""
            SELECT id, starts_at, ends_at, reason FROM time_off
            WHERE doctor_id = \(doctorID) AND ends_at > \(instant) ORDER BY starts_at, id
            """).map { row in
            TimeOff(id: try row.decode("id"), range: TimeRange(start: try row.decode("starts_at"), end: try row.decode("ends_at")),
                    reason: try row.decode("reason"))
        }
    }
}

extension PostgresDate {
    /// The SQL date of a calendar day.
    public init(_ date: LocalDate) {
        self.init(year: date.year, month: date.month, day: date.day)
    }
}

extension LocalDate {
    /// The calendar day of an SQL date (always a real date, so this cannot trap).
    public init(_ date: PostgresDate) {
        self.init(year: date.year, month: date.month, day: date.day)
    }
}
