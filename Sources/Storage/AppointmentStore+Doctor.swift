import Foundation
import Postgres
import Scheduling

/// The doctor's side of appointments: their day and week, status changes guarded by the row's
/// `version`, notes, and cancelling the appointments of a block being removed.
///
/// Every query is scoped by `doctorID`, so a doctor can never read or change another doctor's appointment.
extension AppointmentStore {
    /// The doctor's appointments starting inside `range`, in time order (all statuses).
    /// - Throws: `PostgresError` on database failure.
    public func forDoctor(_ doctorID: Int64, startingIn range: TimeRange, on db: PostgresConnection) throws -> [Appointment] {
        try db.query("""
            SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins)
            WHERE a.doctor_id = \(doctorID) AND a.starts_at >= \(range.start) AND a.starts_at < \(range.end)
            ORDER BY a.starts_at, a.id
            """).map(Appointment.init(row:))
    }

    /// The doctor's active appointments overlapping `range` (for time off), in time order.
    /// - Throws: `PostgresError` on database failure.
    public func activeForDoctor(_ doctorID: Int64, overlapping range: TimeRange, on db: PostgresConnection) throws -> [Appointment] {
        try db.query("""
            SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins)
            WHERE a.doctor_id = \(doctorID) AND appointment_is_active(a.status)
              AND a.starts_at < \(range.end) AND a.ends_at > \(range.start)
            ORDER BY a.starts_at, a.id
            """).map(Appointment.init(row:))
    }

    /// The active appointments of block `blockID`, in booking order. With `forUpdate` their rows stay locked
    /// until the transaction ends (take these before the block's row: the lock order is appointments, then blocks).
    /// - Throws: `PostgresError` on database failure.
    public func activeInBlock(_ blockID: Int64, forUpdate: Bool = false, on db: PostgresConnection) throws -> [Appointment] {
        try db.query("""
            SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins)
            WHERE a.time_block_id = \(blockID) AND appointment_is_active(a.status)
            ORDER BY a.created_at, a.id \(unsafeRaw: forUpdate ? "FOR UPDATE OF a" : "")
            """).map(Appointment.init(row:))
    }

    /// Appointment `id` if it is the doctor's; nil otherwise, so someone else's looks missing.
    /// - Throws: `PostgresError` on database failure.
    public func find(id: Int64, doctorID: Int64, on db: PostgresConnection) throws -> Appointment? {
        try db.query("""
            SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins)
            WHERE a.id = \(id) AND a.doctor_id = \(doctorID)
            """).first.map(Appointment.init(row:))
    }

    /// Moves appointment `id` to `status` if it still has `expectedVersion`, bumping the version; false when
    /// someone changed it meanwhile (two tabs). With `doctorID` the row must also be that doctor's (a doctor acting);
    /// nil lets an admin act on any. Cancelling records the reason (shown to the patient) and who cancelled.
    /// The caller has checked the move against `checkTransition`.
    /// - Throws: `PostgresError` on database failure.
    public func changeStatus(id: Int64, doctorID: Int64?, expectedVersion: Int, to status: AppointmentStatus, reason: String,
                             by userID: Int64, on db: PostgresConnection) throws -> Bool {
        let cancelling = status == .cancelled
        return try db.execute("""
            UPDATE appointments SET status = \(status.rawValue), version = version + 1, updated_at = now(),
                cancel_reason = CASE WHEN \(cancelling) THEN \(reason) ELSE cancel_reason END,
                cancelled_by = CASE WHEN \(cancelling) THEN \(userID) ELSE cancelled_by END
            WHERE id = \(id) AND version = \(expectedVersion) AND (\(doctorID)::bigint IS NULL OR doctor_id = \(doctorID))
            """) == 1
    }

    /// Replaces the doctor's notes on appointment `id` if it still has `version`; false when it changed meanwhile.
    /// - Throws: `PostgresError.checkViolation` for over-long notes.
    public func updateDoctorNotes(id: Int64, doctorID: Int64, expectedVersion: Int, notes: String, on db: PostgresConnection) throws -> Bool {
        try db.execute("""
            UPDATE appointments SET doctor_notes = \(notes), version = version + 1, updated_at = now()
            WHERE id = \(id) AND doctor_id = \(doctorID) AND version = \(expectedVersion)
            """) == 1
    }

    /// Cancels every pending or confirmed appointment of block `blockID` with `reason` (shown to the patients)
    /// and returns them as they were before; the caller audits each. Run in the transaction that removes the
    /// block, after making sure nothing in it has moved past confirmed (those cannot be cancelled).
    /// - Throws: `PostgresError` on database failure.
    public func cancelAllInBlock(_ blockID: Int64, reason: String, by userID: Int64, on db: PostgresConnection) throws -> [Appointment] {
        let active = try db.query("""
            SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins)
            WHERE a.time_block_id = \(blockID) AND a.status IN ('pending', 'confirmed')
            ORDER BY a.id FOR UPDATE OF a
            """).map(Appointment.init(row:))
        for appointment in active {
            try db.execute("""
                UPDATE appointments SET status = 'cancelled', cancel_reason = \(reason), cancelled_by = \(userID),
                    version = version + 1, updated_at = now()
                WHERE id = \(appointment.id)
                """)
        }
        return active
    }
}
