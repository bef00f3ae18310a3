import Foundation
import Postgres
import Scheduling

/// A block as the booking form and the booking transaction see it: the block, its doctor and clinic, and the clinic's policy.
public struct BookingTarget: Sendable, Equatable {
    public var blockID: Int64
    public var doctorID: Int64
    public var doctorName: String
    public var clinic: DirectoryClinic
    public var range: TimeRange
    public var capacity: Int
    public var booked: Int
    public var isOpen: Bool
    public var policy: ClinicPolicy

    /// The block as `bookingRefusal` takes it.
    public var candidate: BookingCandidate {
        BookingCandidate(block: range, isOpen: isOpen, capacity: capacity, activeAppointments: booked)
    }
}

/// An appointment type a patient may choose online.
public struct BookableAppointmentType: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var minMinutes: Int
    public var maxMinutes: Int
}

/// What a patient asks for when booking.
public struct BookingRequest: Sendable, Equatable {
    public var blockID: Int64
    public var patientID: Int64
    public var appointmentTypeID: Int64
    public var reason: String
    public var patientNotes: String
    /// The one-time key of the form render: a second submission of the same form finds the first booking.
    public var bookingKey: String

    public init(blockID: Int64, patientID: Int64, appointmentTypeID: Int64, reason: String, patientNotes: String, bookingKey: String) {
        self.blockID = blockID
        self.patientID = patientID
        self.appointmentTypeID = appointmentTypeID
        self.reason = reason
        self.patientNotes = patientNotes
        self.bookingKey = bookingKey
    }
}

/// The result of a booking attempt; refusals wrote nothing.
public enum BookingOutcome: Sendable, Equatable {
    case booked(appointmentID: Int64)
    /// The same form was submitted before: this is the appointment it created.
    case alreadyBooked(appointmentID: Int64)
    case refused(BookingRefusal)
}

/// The result of a patient's cancellation; everything but `.cancelled` wrote nothing.
public enum PatientCancelOutcome: Sendable, Equatable {
    /// Cancelled; `late` when inside the window and the clinic allows it.
    case cancelled(late: Bool)
    /// Inside the late-cancel window (or started) and the clinic refuses: call the clinic.
    case refusedLate(clinicPhone: String)
    /// Not pending or confirmed any more (already cancelled, completed…).
    case notCancellable
}

/// The result of a reschedule; everything but `.rescheduled` left the old appointment untouched.
public enum RescheduleOutcome: Sendable, Equatable {
    case rescheduled(newAppointmentID: Int64)
    /// The new block cannot be booked (full, taken meanwhile, overlap…).
    case refused(BookingRefusal)
    /// Cancelling the old appointment now is refused by the late-cancel policy.
    case refusedLate(clinicPhone: String)
    case notChangeable
}

/// Patient-side appointments: booking, cancelling, rescheduling and reading one's own.
///
/// Booking is exact under concurrency because the database has the last word: the block row is
/// locked (`FOR UPDATE`) before the rules are checked, so concurrent bookings of one block queue
/// and each sees the seats the previous one took; the `booked ≤ capacity` CHECK and the patient
/// no-overlap exclusion constraint stop anything the checks missed, and their violations map to
/// refusals. Lock order everywhere: appointment row, block rows (by id), doctor row, patient row.
public struct AppointmentStore: Sendable {
    public init() {}

    // MARK: - Reading

    /// The patient's appointments, by start (both upcoming and past).
    /// - Throws: `PostgresError` on database failure.
    public func forPatient(_ patientID: Int64, on db: PostgresConnection) throws -> [Appointment] {
        try db.query("""
            SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins)
            WHERE a.patient_id = \(patientID) ORDER BY a.starts_at, a.id
            """).map(Appointment.init)
    }

    /// The appointment `id` if it belongs to `patientID`; nil for a missing one and for someone else's alike.
    /// - Throws: `PostgresError` on database failure.
    public func find(id: Int64, patientID: Int64, on db: PostgresConnection) throws -> Appointment? {
        try db.query("""
            SELECT \(unsafeRaw: Appointment.columns) FROM appointments a \(unsafeRaw: Appointment.joins)
            WHERE a.id = \(id) AND a.patient_id = \(patientID)
            """).first.map(Appointment.init)
    }

    /// The block `blockID` with its doctor, clinic and policy, or nil when it does not exist or its doctor is inactive.
    /// - Throws: `PostgresError` on database failure.
    public func bookingTarget(blockID: Int64, on db: PostgresConnection) throws -> BookingTarget? {
        try target(blockID: blockID, lock: false, on: db)
    }

    /// Online-bookable appointment types whose duration range fits `block`, by name.
    /// - Throws: `PostgresError` on database failure.
    public func bookableTypes(for block: TimeRange, on db: PostgresConnection) throws -> [BookableAppointmentType] {
        try db.query("SELECT id, name, min_minutes, max_minutes FROM appointment_types WHERE bookable_online ORDER BY name, id")
            .map { BookableAppointmentType(id: try $0.decode("id"), name: try $0.decode("name"),
                                           minMinutes: try $0.decode("min_minutes"), maxMinutes: try $0.decode("max_minutes")) }
            .filter { appointmentTypeFits(minMinutes: $0.minMinutes, maxMinutes: $0.maxMinutes, block: block) }
    }

    /// Everything around `target` that decides whether `patientID` may book it at `now`.
    ///
    /// `ignoringAppointment` leaves out one of the patient's appointments (the one being rescheduled).
    /// - Throws: `PostgresError` on database failure.
    public func bookingContext(for target: BookingTarget, patientID: Int64, now: Date, ignoringAppointment: Int64? = nil,
                               on db: PostgresConnection) throws -> BookingContext {
        let directory = DirectoryStore()
        let buffer = TimeInterval(target.policy.bufferMinutes * 60)
        let around = TimeRange(start: target.range.start.addingTimeInterval(-buffer), end: target.range.end.addingTimeInterval(buffer))
        let timeOff = try directory.timeOff(doctorID: target.doctorID, overlapping: target.range, on: db)
        let doctorAppointments = try directory.activeAppointments(doctorID: target.doctorID, overlapping: around, on: db)
            .filter { $0.blockID != target.blockID && $0.id != ignoringAppointment }.map(\.range)
        let own = try db.query("""
            SELECT starts_at, ends_at FROM appointments
            WHERE patient_id = \(patientID) AND status IN \(unsafeRaw: DirectoryStore.activeStatuses)
              AND tstzrange(starts_at, ends_at) && tstzrange(\(target.range.start), \(target.range.end))
              AND (\(ignoringAppointment)::bigint IS NULL OR id <> \(ignoringAppointment))
            """).map { TimeRange(start: try $0.decode("starts_at"), end: try $0.decode("ends_at")) }
        let open: Int = try db.query("""
            SELECT count(*)::int AS n FROM appointments
            WHERE patient_id = \(patientID) AND clinic_id = \(target.clinic.id) AND status IN ('pending', 'confirmed')
              AND starts_at > \(now) AND (\(ignoringAppointment)::bigint IS NULL OR id <> \(ignoringAppointment))
            """)[0].decode("n")
        return BookingContext(doctorTimeOff: timeOff, doctorAppointmentsElsewhere: doctorAppointments,
                              patientAppointments: own, patientOpenBookings: open)
    }

    // MARK: - Booking

    /// Books `request` in one transaction: lock the block, recheck every rule, insert, audit.
    ///
    /// Never throws for a business refusal: capacity (`time_blocks_booked_within_capacity`) and
    /// overlap (`appointments_patient_no_overlap`) violations become `.refused`, a repeated
    /// booking key becomes `.alreadyBooked`.
    /// - Throws: `PostgresError` on database failure; `BookingTargetMissing` when the block does not exist.
    public func book(_ request: BookingRequest, now: Date, actor: Actor, audit: AuditStore, pool: PostgresPool) throws -> BookingOutcome {
        do {
            return try pool.transaction { db -> BookingOutcome in
                guard let target = try target(blockID: request.blockID, lock: true, on: db) else { throw BookingTargetMissing() }
                try lockDoctorAndPatient(target: target, patientID: request.patientID, on: db)
                if let existing = try appointmentID(patientID: request.patientID, bookingKey: request.bookingKey, on: db) {
                    return .alreadyBooked(appointmentID: existing)
                }
                let context = try bookingContext(for: target, patientID: request.patientID, now: now, on: db)
                if let refusal = bookingRefusal(for: target.candidate, context: context, now: now, policy: target.policy) {
                    return .refused(refusal)
                }
                let id = try insert(target: target, patientID: request.patientID, typeID: request.appointmentTypeID,
                                    reason: request.reason, notes: request.patientNotes, bookingKey: request.bookingKey, now: now, on: db)
                try audit.record(actor: actor, action: "appointment.booked", entity: "appointment", entityID: String(id),
                                 details: ["block": String(target.blockID), "doctor": String(target.doctorID),
                                           "status": statusOnBooking(target.policy).rawValue], on: db)
                return .booked(appointmentID: id)
            }
        } catch PostgresError.checkViolation(constraint: "time_blocks_booked_within_capacity") {
            return .refused(.full)
        } catch PostgresError.exclusionViolation(constraint: "appointments_patient_no_overlap") {
            return .refused(.overlapsOwnAppointment)
        } catch PostgresError.uniqueViolation(constraint: "appointments_booking_key_unique") {
            // A concurrent twin of this submission committed first; it is the booking.
            if let existing = try pool.withConnection({ db in
                try appointmentID(patientID: request.patientID, bookingKey: request.bookingKey, on: db)
            }) {
                return .alreadyBooked(appointmentID: existing)
            }
            throw PostgresError.uniqueViolation(constraint: "appointments_booking_key_unique")
        }
    }

    // MARK: - Cancelling

    /// Cancels the patient's own appointment if the status and the late-cancel policy allow; the
    /// trigger frees the seat in the same transaction.
    /// - Throws: `AppointmentNotFound` for a missing appointment or someone else's; `PostgresError` on database failure.
    public func cancel(appointmentID: Int64, patientID: Int64, reason: String, now: Date, actor: Actor, audit: AuditStore,
                       pool: PostgresPool) throws -> PatientCancelOutcome {
        try pool.transaction { db -> PatientCancelOutcome in
            let current = try lockOwn(appointmentID: appointmentID, patientID: patientID, on: db)
            switch cancellability(current, now: now) {
            case .notCancellable: return .notCancellable
            case .refusedLate(let phone): return .refusedLate(clinicPhone: phone)
            case .allowed(let late):
                try markCancelled(current, by: patientID, reason: reason, late: late, now: now, on: db)
                try audit.record(actor: actor, action: "appointment.cancelled", entity: "appointment", entityID: String(appointmentID),
                                 details: ["by": "patient", "late": late ? "true" : "false", "block": String(current.blockID)], on: db)
                return .cancelled(late: late)
            }
        }
    }

    /// Whether the patient may cancel `appointment` at `now` under its clinic's policy: for showing or hiding the form.
    /// - Throws: `PostgresError` on database failure.
    public func cancellationDecision(for appointment: Appointment, now: Date, on db: PostgresConnection) throws -> CancellationDecision? {
        guard checkTransition(from: appointment.status, to: .cancelled, by: .patient, appointmentStart: appointment.startsAt, now: now) == nil
        else { return nil }
        let row = try db.query("SELECT \(unsafeRaw: DirectoryStore.policyColumns) FROM clinics c WHERE c.id = \(appointment.clinicID)")[0]
        return Scheduling.cancellationDecision(appointmentStart: appointment.startsAt, now: now, policy: try DirectoryStore.policy(from: row))
    }

    // MARK: - Rescheduling

    /// Moves the patient's appointment to `newBlockID` in ONE transaction: the old one is
    /// cancelled (by the patient's cancel rules) and a new one booked with the same type, reason and notes.
    /// If the new block cannot be had, the transaction rolls back and the old appointment stays as it was.
    /// - Throws: `AppointmentNotFound` for someone else's appointment, `BookingTargetMissing` for a missing block,
    ///   `PostgresError` on database failure.
    public func reschedule(appointmentID: Int64, patientID: Int64, to newBlockID: Int64, cancelReason: String, now: Date,
                           actor: Actor, audit: AuditStore, pool: PostgresPool) throws -> RescheduleOutcome {
        do {
            return try pool.transaction { db -> RescheduleOutcome in
                let current = try lockOwn(appointmentID: appointmentID, patientID: patientID, on: db)
                guard current.blockID != newBlockID else { return .refused(.overlapsOwnAppointment) }
                let late: Bool
                switch cancellability(current, now: now) {
                case .notCancellable: return .notChangeable
                case .refusedLate(let phone): return .refusedLate(clinicPhone: phone)
                case .allowed(let isLate): late = isLate
                }
                // Both block rows, in id order, so two reschedules crossing each other cannot deadlock.
                try db.execute("""
                    SELECT id FROM time_blocks WHERE id IN (\(current.blockID), \(newBlockID)) ORDER BY id FOR UPDATE
                    """)
                guard let target = try target(blockID: newBlockID, lock: true, on: db) else { throw BookingTargetMissing() }
                guard target.doctorID == current.doctorID else { throw BookingTargetMissing() }
                try lockDoctorAndPatient(target: target, patientID: patientID, on: db)
                let context = try bookingContext(for: target, patientID: patientID, now: now, ignoringAppointment: appointmentID, on: db)
                if let refusal = bookingRefusal(for: target.candidate, context: context, now: now, policy: target.policy) {
                    return .refused(refusal)
                }
                try markCancelled(current, by: patientID, reason: cancelReason, late: late, now: now, on: db)
                let newID = try insert(target: target, patientID: patientID, typeID: current.typeID, reason: current.reason,
                                       notes: current.notes, bookingKey: nil, now: now, on: db)
                try audit.record(actor: actor, action: "appointment.rescheduled", entity: "appointment", entityID: String(appointmentID),
                                 details: ["from_block": String(current.blockID), "to_block": String(newBlockID),
                                           "new_appointment": String(newID), "late": late ? "true" : "false"], on: db)
                return .rescheduled(newAppointmentID: newID)
            }
        } catch PostgresError.checkViolation(constraint: "time_blocks_booked_within_capacity") {
            return .refused(.full)
        } catch PostgresError.exclusionViolation(constraint: "appointments_patient_no_overlap") {
            return .refused(.overlapsOwnAppointment)
        }
    }

    // MARK: - Internals

    private struct Locked {
        var id: Int64
        var blockID: Int64
        var doctorID: Int64
        var typeID: Int64?
        var status: AppointmentStatus
        var startsAt: Date
        var reason: String
        var notes: String
        var clinicPhone: String
        var policy: ClinicPolicy
    }

    private enum Cancellability {
        case allowed(late: Bool)
        case refusedLate(String)
        case notCancellable
    }

    private func cancellability(_ current: Locked, now: Date) -> Cancellability {
        guard checkTransition(from: current.status, to: .cancelled, by: .patient, appointmentStart: current.startsAt, now: now) == nil else {
            // A started appointment is "too late", a finished or cancelled one is simply not cancellable.
            return current.status.isOpen ? .refusedLate(current.clinicPhone) : .notCancellable
        }
        switch Scheduling.cancellationDecision(appointmentStart: current.startsAt, now: now, policy: current.policy) {
        case .allowed: return .allowed(late: false)
        case .allowedLate: return .allowed(late: true)
        case .refusedLate: return .refusedLate(current.clinicPhone)
        }
    }

    private func lockOwn(appointmentID: Int64, patientID: Int64, on db: PostgresConnection) throws -> Locked {
        guard let row = try db.query("""
            SELECT a.id, a.time_block_id, a.doctor_id, a.appointment_type_id, a.status, a.starts_at, a.reason, a.patient_notes,
                   c.phone, \(unsafeRaw: DirectoryStore.policyColumns)
            FROM appointments a JOIN clinics c ON c.id = a.clinic_id
            WHERE a.id = \(appointmentID) AND a.patient_id = \(patientID)
            FOR UPDATE OF a
            """).first else { throw AppointmentNotFound() }
        guard let status = AppointmentStatus(rawValue: try row.decode("status", as: String.self)) else {
            throw PostgresError.decoding("unknown appointment status")
        }
        return Locked(id: try row.decode("id"), blockID: try row.decode("time_block_id"), doctorID: try row.decode("doctor_id"),
                      typeID: try row.decode("appointment_type_id"), status: status, startsAt: try row.decode("starts_at"),
                      reason: try row.decode("reason"), notes: try row.decode("patient_notes"), clinicPhone: try row.decode("phone"),
                      policy: try DirectoryStore.policy(from: row))
    }

    private func markCancelled(_ current: Locked, by userID: Int64, reason: String, late: Bool, now: Date, on db: PostgresConnection) throws {
        try db.execute("""
            UPDATE appointments SET status = 'cancelled', cancel_reason = \(reason), cancelled_by = \(userID),
                   cancelled_late = \(late), version = version + 1, updated_at = \(now)
            WHERE id = \(current.id)
            """)
    }

    private func target(blockID: Int64, lock: Bool, on db: PostgresConnection) throws -> BookingTarget? {
        guard let row = try db.query("""
            SELECT b.id, b.doctor_id, du.full_name AS doctor_name, b.starts_at, b.ends_at, b.capacity, b.booked, b.open,
                   c.id AS clinic_id, c.name AS clinic_name, c.address, c.phone, c.timezone, \(unsafeRaw: DirectoryStore.policyColumns)
            FROM time_blocks b JOIN clinics c ON c.id = b.clinic_id
            JOIN doctors d ON d.id = b.doctor_id JOIN users du ON du.id = d.user_id
            WHERE b.id = \(blockID) AND du.active
            \(unsafeRaw: lock ? "FOR UPDATE OF b" : "")
            """).first else { return nil }
        let clinic = DirectoryClinic(id: try row.decode("clinic_id"), name: try row.decode("clinic_name"), address: try row.decode("address"),
                                     phone: try row.decode("phone"), timeZone: try row.decode("timezone"))
        return BookingTarget(blockID: blockID, doctorID: try row.decode("doctor_id"), doctorName: try row.decode("doctor_name"),
                             clinic: clinic, range: TimeRange(start: try row.decode("starts_at"), end: try row.decode("ends_at")),
                             capacity: try row.decode("capacity"), booked: try row.decode("booked"), isOpen: try row.decode("open"),
                             policy: try DirectoryStore.policy(from: row))
    }

    /// Serialises what the block lock alone does not: with a buffer, bookings of the doctor's
    /// NEIGHBOURING blocks (the doctor row), and one patient's concurrent bookings (the open-bookings
    /// limit, the patient row). `FOR NO KEY UPDATE` leaves foreign-key checks (KEY SHARE) unblocked.
    private func lockDoctorAndPatient(target: BookingTarget, patientID: Int64, on db: PostgresConnection) throws {
        if target.policy.bufferMinutes > 0 {
            try db.execute("SELECT id FROM doctors WHERE id = \(target.doctorID) FOR NO KEY UPDATE")
        }
        try db.execute("SELECT id FROM users WHERE id = \(patientID) FOR NO KEY UPDATE")
    }

    private func appointmentID(patientID: Int64, bookingKey: String, on db: PostgresConnection) throws -> Int64? {
        try db.query("SELECT id FROM appointments WHERE patient_id = \(patientID) AND booking_key = \(bookingKey)").first?.decode("id")
    }

    private func statusOnBooking(_ policy: ClinicPolicy) -> AppointmentStatus {
        policy.portalBookingsStartConfirmed ? .confirmed : .pending
    }

    private func insert(target: BookingTarget, patientID: Int64, typeID: Int64?, reason: String, notes: String, bookingKey: String?,
                        now: Date, on db: PostgresConnection) throws -> Int64 {
        // starts/ends are copied from the block so the exclusion constraint can see them.
        try db.query("""
            INSERT INTO appointments (time_block_id, patient_id, doctor_id, clinic_id, appointment_type_id, starts_at, ends_at,
                                      status, reason, patient_notes, source, booking_key, created_at, updated_at)
            VALUES (\(target.blockID), \(patientID), \(target.doctorID), \(target.clinic.id), \(typeID), \(target.range.start),
                    \(target.range.end), \(statusOnBooking(target.policy).rawValue), \(reason), \(notes), 'portal', \(bookingKey),
                    \(now), \(now))
            RETURNING id
            """)[0].decode("id")
    }
}

/// The block asked for does not exist (or its doctor is inactive): the page answers 404.
public struct BookingTargetMissing: Error, Equatable {
    public init() {}
}

/// The appointment does not exist or belongs to someone else: the page answers 404.
public struct AppointmentNotFound: Error, Equatable {
    public init() {}
}
