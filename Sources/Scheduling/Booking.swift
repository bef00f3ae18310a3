import Foundation

/// Why a block cannot be booked; each maps to a clear message and nothing written.
public enum BookingRefusal: Error, Sendable, Equatable {
    /// The block has already started.
    case inPast
    /// The block starts sooner than the clinic's minimum lead time.
    case insideLeadTime
    /// The block starts further ahead than the clinic's booking horizon.
    case beyondHorizon
    /// The doctor closed the block (or it is empty).
    case blockClosed
    /// The block overlaps the doctor's time off.
    case inTimeOff
    /// Every seat of the block is taken.
    case full
    /// The block is within the buffer of another of the doctor's appointments.
    case withinBuffer
    /// The patient already holds an active appointment overlapping the block.
    case overlapsOwnAppointment
    /// The patient already holds the policy's maximum of open bookings.
    case tooManyOpenBookings
}

/// Whether a block may be booked at `now` as far as time goes: nil, or why not.
///
/// Past when it has started; inside the lead time when it starts sooner than
/// `minimumLeadMinutes` from now (exactly at the lead time is allowed); beyond the
/// horizon when it starts more than `horizonDays` × 24 h from now. An empty or
/// inverted block (end not after start) is treated as closed.
public func bookability(blockStart: Date, blockEnd: Date, now: Date, policy: ClinicPolicy) -> BookingRefusal? {
    if blockEnd <= blockStart { return .blockClosed }
    if blockStart <= now { return .inPast }
    if blockStart < now.addingTimeInterval(TimeInterval(policy.minimumLeadMinutes * 60)) { return .insideLeadTime }
    if blockStart > now.addingTimeInterval(TimeInterval(policy.horizonDays * 86_400)) { return .beyondHorizon }
    return nil
}

/// Whether [start, end) comes closer than `bufferMinutes` to any of `others`.
///
/// With a buffer of 0 this is plain overlap, and back-to-back appointments are fine;
/// with 10 an appointment ending at 09:30 blocks anything starting before 09:40.
public func conflictsWithBuffer(start: Date, end: Date, others: [(start: Date, end: Date)], bufferMinutes: Int) -> Bool {
    let buffer = TimeInterval(max(0, bufferMinutes) * 60)
    return others.contains { other in
        other.start < end.addingTimeInterval(buffer) && start < other.end.addingTimeInterval(buffer)
    }
}

/// Free seats in a block holding `active` active appointments.
public func seatsLeft(capacity: Int, active: Int) -> Int { max(0, capacity - active) }

/// Whether an appointment type lasting `minMinutes`…`maxMinutes` may be booked into `block`:
/// the appointment takes the whole block, so the block's length must lie in that range.
public func appointmentTypeFits(minMinutes: Int, maxMinutes: Int, block: TimeRange) -> Bool {
    (minMinutes...max(minMinutes, maxMinutes)).contains(block.minutes)
}

/// Every booking rule at once: nil when the patient may book `candidate`, else the first refusal.
///
/// Checked in this order: closed, past, lead time, horizon, time off, full, buffer,
/// own overlap, open bookings. This decides what the slot page shows and which
/// message a refused booking gets; the database still enforces capacity and
/// overlap inside the booking transaction, because this check alone races.
public func bookingRefusal(for candidate: BookingCandidate, context: BookingContext, now: Date,
                           policy: ClinicPolicy) -> BookingRefusal? {
    let block = candidate.block
    if !candidate.isOpen { return .blockClosed }
    if let refusal = bookability(blockStart: block.start, blockEnd: block.end, now: now, policy: policy) { return refusal }
    if context.doctorTimeOff.contains(where: { $0.overlaps(block) }) { return .inTimeOff }
    if seatsLeft(capacity: candidate.capacity, active: candidate.activeAppointments) == 0 { return .full }
    if conflictsWithBuffer(start: block.start, end: block.end,
                           others: context.doctorAppointmentsElsewhere.map { ($0.start, $0.end) },
                           bufferMinutes: policy.bufferMinutes) { return .withinBuffer }
    if context.patientAppointments.contains(where: { $0.overlaps(block) }) { return .overlapsOwnAppointment }
    if context.patientOpenBookings >= policy.maxOpenBookingsPerPatient { return .tooManyOpenBookings }
    return nil
}
