import Foundation
import Postgres
import Scheduling

/// A clinic as the doctor directory and the booking pages show it.
public struct DirectoryClinic: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var address: String
    public var phone: String
    /// IANA zone every time of this clinic is shown in.
    public var timeZone: String
}

/// The first block of a doctor a patient could book now.
public struct NextFreeSlot: Sendable, Equatable {
    public var blockID: Int64
    public var startsAt: Date
    public var clinicName: String
    public var clinicTimeZone: String
}

/// A doctor in the public directory.
public struct DirectoryDoctor: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var specialty: String
    public var bio: String
    /// Where the doctor works, by name.
    public var clinics: [DirectoryClinic]
    /// The earliest bookable block, nil when nothing is free within the clinics' horizons.
    public var nextFree: NextFreeSlot?
}

/// Narrows the directory; nil or empty means any.
public struct DirectoryFilter: Sendable, Equatable {
    /// Exact specialty, case-insensitive.
    public var specialty: String?
    public var clinicID: Int64?
    /// Part of the doctor's name, case-insensitive.
    public var name: String?

    public init(specialty: String? = nil, clinicID: Int64? = nil, name: String? = nil) {
        self.specialty = specialty
        self.clinicID = clinicID
        self.name = name
    }
}

/// A block a patient may book right now, with its seats.
public struct BookableBlock: Sendable, Equatable {
    public var id: Int64
    public var doctorID: Int64
    public var clinicID: Int64
    public var clinicName: String
    public var clinicTimeZone: String
    public var range: TimeRange
    public var capacity: Int
    public var booked: Int

    /// Seats still free (group blocks show this).
    public var seatsLeft: Int { Scheduling.seatsLeft(capacity: capacity, active: booked) }
}

/// The public side of availability: the doctor directory and the blocks a patient may book.
///
/// What counts as bookable is decided by `bookingRefusal` (Scheduling) on rows read here, so
/// the slot pages and the booking transaction apply one rule. The directory's "next free slot"
/// is the one exception: it is a per-doctor `LIMIT 1` search and is written in SQL, mirroring
/// the same rules (tests check it agrees with the week page).
public struct DirectoryStore: Sendable {
    public init() {}

    /// Statuses that hold a seat (`AppointmentStatus.isActive`), spelled as the partial indexes spell them.
    static let activeStatuses = "('pending', 'confirmed', 'arrived', 'in_progress', 'completed')"

    /// The policy columns of `clinics c`, decoded by `policy(from:)`.
    static let policyColumns = """
        c.buffer_minutes, c.min_lead_minutes, c.horizon_days, c.late_cancel_hours, c.allow_late_cancel,
        c.bookings_start_confirmed, c.max_open_bookings
        """

    /// Decodes a row holding `policyColumns`.
    static func policy(from row: PostgresRow) throws -> ClinicPolicy {
        ClinicPolicy(bufferMinutes: try row.decode("buffer_minutes"), minimumLeadMinutes: try row.decode("min_lead_minutes"),
                     horizonDays: try row.decode("horizon_days"), lateCancelHours: try row.decode("late_cancel_hours"),
                     portalBookingsStartConfirmed: try row.decode("bookings_start_confirmed"),
                     allowLateCancellation: try row.decode("allow_late_cancel"),
                     maxOpenBookingsPerPatient: try row.decode("max_open_bookings"))
    }

    // MARK: - Directory

    /// Every specialty of an active doctor, for the filter's choices.
    /// - Throws: `PostgresError` on database failure.
    public func specialties(on db: PostgresConnection) throws -> [String] {
        try db.query("""
            SELECT DISTINCT d.specialty FROM doctors d JOIN users u ON u.id = d.user_id
            WHERE u.active ORDER BY d.specialty
            """).map { try $0.decode("specialty") }
    }

    /// Active doctors matching `filter`, by name, each with the next block bookable at `now`.
    ///
    /// The next-slot search walks `time_blocks (doctor_id, starts_at)` from now and stops at the
    /// first block passing every rule of `bookingRefusal` that does not depend on the patient:
    /// open, not started, outside the lead time, within the horizon, not full, not in time off,
    /// not within the clinic's buffer of another active appointment of the doctor.
    /// - Throws: `PostgresError` on database failure.
    public func doctors(_ filter: DirectoryFilter, now: Date, on db: PostgresConnection) throws -> [DirectoryDoctor] {
        let specialty = filter.specialty.flatMap { $0.isEmpty ? nil : $0 }
        let name = filter.name.flatMap { $0.isEmpty ? nil : "%" + Self.likeEscaped($0) + "%" }
        let rows = try db.query("""
            SELECT d.id, u.full_name, d.specialty, d.bio,
                   nf.id AS next_block_id, nf.starts_at AS next_starts_at, nf.name AS next_clinic, nf.timezone AS next_timezone
            FROM doctors d JOIN users u ON u.id = d.user_id
            LEFT JOIN LATERAL (
                SELECT b.id, b.starts_at, c.name, c.timezone
                FROM time_blocks b JOIN clinics c ON c.id = b.clinic_id
                WHERE b.doctor_id = d.id AND b.starts_at > \(now)
                  AND (\(filter.clinicID)::bigint IS NULL OR b.clinic_id = \(filter.clinicID))
                  AND b.open AND b.booked < b.capacity AND b.ends_at > b.starts_at
                  AND b.starts_at >= \(now)::timestamptz + make_interval(mins => c.min_lead_minutes)
                  AND b.starts_at <= \(now)::timestamptz + make_interval(secs => c.horizon_days * 86400)
                  AND NOT EXISTS (
                      SELECT 1 FROM time_off o WHERE o.doctor_id = b.doctor_id
                        AND tstzrange(o.starts_at, o.ends_at) && tstzrange(b.starts_at, b.ends_at))
                  AND NOT EXISTS (
                      SELECT 1 FROM appointments a WHERE a.doctor_id = b.doctor_id AND a.time_block_id <> b.id
                        AND a.status IN \(unsafeRaw: Self.activeStatuses)
                        AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at - make_interval(mins => c.buffer_minutes),
                                                                         b.ends_at + make_interval(mins => c.buffer_minutes)))
                ORDER BY b.starts_at LIMIT 1
            ) nf ON true
            WHERE u.active
              AND (\(specialty)::text IS NULL OR lower(d.specialty) = lower(\(specialty)))
              AND (\(name)::text IS NULL OR u.full_name ILIKE \(name))
              AND (\(filter.clinicID)::bigint IS NULL
                   OR EXISTS (SELECT 1 FROM doctor_clinics dc WHERE dc.doctor_id = d.id AND dc.clinic_id = \(filter.clinicID)))
            ORDER BY u.full_name, d.id
            """)
        let clinicsByDoctor = try clinics(ofDoctors: try rows.map { try $0.decode("id", as: Int64.self) }, on: db)
        return try rows.map { row in
            let id: Int64 = try row.decode("id")
            var next: NextFreeSlot?
            if let blockID = try row.decode("next_block_id", as: Int64?.self) {
                next = NextFreeSlot(blockID: blockID, startsAt: try row.decode("next_starts_at"),
                                    clinicName: try row.decode("next_clinic"), clinicTimeZone: try row.decode("next_timezone"))
            }
            return DirectoryDoctor(id: id, name: try row.decode("full_name"), specialty: try row.decode("specialty"),
                                   bio: try row.decode("bio"), clinics: clinicsByDoctor[id] ?? [], nextFree: next)
        }
    }

    /// One active doctor with their clinics (no slot search), or nil.
    /// - Throws: `PostgresError` on database failure.
    public func doctor(id: Int64, on db: PostgresConnection) throws -> DirectoryDoctor? {
        guard let row = try db.query("""
            SELECT d.id, u.full_name, d.specialty, d.bio FROM doctors d JOIN users u ON u.id = d.user_id
            WHERE d.id = \(id) AND u.active
            """).first else { return nil }
        return DirectoryDoctor(id: id, name: try row.decode("full_name"), specialty: try row.decode("specialty"),
                               bio: try row.decode("bio"), clinics: try clinics(ofDoctors: [id], on: db)[id] ?? [], nextFree: nil)
    }

    private func clinics(ofDoctors ids: [Int64], on db: PostgresConnection) throws -> [Int64: [DirectoryClinic]] {
        guard !ids.isEmpty else { return [:] }
        let list = "{" + ids.map(String.init).joined(separator: ",") + "}"
        var result: [Int64: [DirectoryClinic]] = [:]
        for row in try db.query("""
            SELECT dc.doctor_id, c.id, c.name, c.address, c.phone, c.timezone
            FROM doctor_clinics dc JOIN clinics c ON c.id = dc.clinic_id
            WHERE dc.doctor_id = ANY(\(list)::bigint[]) ORDER BY c.name, c.id
            """) {
            let clinic = DirectoryClinic(id: try row.decode("id"), name: try row.decode("name"), address: try row.decode("address"),
                                         phone: try row.decode("phone"), timeZone: try row.decode("timezone"))
            result[try row.decode("doctor_id"), default: []].append(clinic)
        }
        return result
    }

    // MARK: - Bookable blocks

    /// The doctor's blocks starting inside `range` that a patient may book at `now`, by start.
    ///
    /// Three indexed reads whatever the size of the range: the blocks with their booked counts
    /// (`time_blocks (doctor_id, starts_at)`), then the doctor's time off and active appointments
    /// around them (range indexes of migration 0005); each block is then judged by `bookingRefusal`.
    /// - Throws: `PostgresError` on database failure.
    public func bookableBlocks(doctorID: Int64, startingIn range: TimeRange, now: Date,
                               on db: PostgresConnection) throws -> [BookableBlock] {
        let rows = try db.query("""
            SELECT b.id, b.clinic_id, c.name AS clinic_name, c.timezone, b.starts_at, b.ends_at, b.capacity, b.booked,
                   \(unsafeRaw: Self.policyColumns)
            FROM time_blocks b JOIN clinics c ON c.id = b.clinic_id
            WHERE b.doctor_id = \(doctorID) AND b.starts_at >= \(range.start) AND b.starts_at < \(range.end)
              AND b.starts_at > \(now) AND b.open AND b.booked < b.capacity
            ORDER BY b.starts_at, b.id
            """)
        guard !rows.isEmpty else { return [] }
        var blocks: [(block: BookableBlock, policy: ClinicPolicy)] = []
        for row in rows {
            let block = BookableBlock(id: try row.decode("id"), doctorID: doctorID, clinicID: try row.decode("clinic_id"),
                                      clinicName: try row.decode("clinic_name"), clinicTimeZone: try row.decode("timezone"),
                                      range: TimeRange(start: try row.decode("starts_at"), end: try row.decode("ends_at")),
                                      capacity: try row.decode("capacity"), booked: try row.decode("booked"))
            blocks.append((block, try Self.policy(from: row)))
        }
        let buffer = TimeInterval((blocks.map(\.policy.bufferMinutes).max() ?? 0) * 60)
        let span = TimeRange(start: blocks.map(\.block.range.start).min()!.addingTimeInterval(-buffer),
                             end: blocks.map(\.block.range.end).max()!.addingTimeInterval(buffer))
        let timeOff = try timeOff(doctorID: doctorID, overlapping: span, on: db)
        let appointments = try activeAppointments(doctorID: doctorID, overlapping: span, on: db)
        return blocks.compactMap { block, policy in
            let candidate = BookingCandidate(block: block.range, isOpen: true, capacity: block.capacity, activeAppointments: block.booked)
            let context = BookingContext(doctorTimeOff: timeOff,
                                         doctorAppointmentsElsewhere: appointments.filter { $0.blockID != block.id }.map(\.range))
            return bookingRefusal(for: candidate, context: context, now: now, policy: policy) == nil ? block : nil
        }
    }

    /// Up to `limit` bookable blocks of the doctor nearest in time to `target` (within two weeks either side), by start.
    ///
    /// What the "just taken" page offers instead of a block someone else got first.
    /// - Throws: `PostgresError` on database failure.
    public func nearestBookableBlocks(doctorID: Int64, around target: Date, now: Date, limit: Int = 6,
                                      on db: PostgresConnection) throws -> [BookableBlock] {
        let fortnight: TimeInterval = 14 * 86_400
        let range = TimeRange(start: max(now, target.addingTimeInterval(-fortnight)), end: target.addingTimeInterval(fortnight))
        let blocks = try bookableBlocks(doctorID: doctorID, startingIn: range, now: now, on: db)
        let nearest = blocks.sorted { abs($0.range.start.timeIntervalSince(target)) < abs($1.range.start.timeIntervalSince(target)) }
        return nearest.prefix(limit).sorted { $0.range.start < $1.range.start }
    }

    /// The doctor's time off overlapping `range`.
    /// - Throws: `PostgresError` on database failure.
    func timeOff(doctorID: Int64, overlapping range: TimeRange, on db: PostgresConnection) throws -> [TimeRange] {
        try db.query("""
            SELECT starts_at, ends_at FROM time_off
            WHERE doctor_id = \(doctorID) AND tstzrange(starts_at, ends_at) && tstzrange(\(range.start), \(range.end))
            """).map { TimeRange(start: try $0.decode("starts_at"), end: try $0.decode("ends_at")) }
    }

    /// The doctor's active appointments overlapping `range`, with their blocks.
    /// - Throws: `PostgresError` on database failure.
    func activeAppointments(doctorID: Int64, overlapping range: TimeRange,
                            on db: PostgresConnection) throws -> [(id: Int64, blockID: Int64, range: TimeRange)] {
        try db.query("""
            SELECT id, time_block_id, starts_at, ends_at FROM appointments
            WHERE doctor_id = \(doctorID) AND status IN \(unsafeRaw: Self.activeStatuses)
              AND tstzrange(starts_at, ends_at) && tstzrange(\(range.start), \(range.end))
            """).map { (try $0.decode("id"), try $0.decode("time_block_id"), TimeRange(start: try $0.decode("starts_at"), end: try $0.decode("ends_at"))) }
    }

    /// Escapes `%`, `_` and `\` so user text matches literally inside an ILIKE pattern.
    static func likeEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
