import Foundation

/// The blocks `pattern` yields on the dates `from`…`through` (inclusive) in `zone`, in time order.
///
/// Slots sit on the local wall-clock grid `start, start + slot, …`, so a 09:00 pattern
/// stays 09:00 local across daylight-saving changes. Each slot lasts `slotMinutes` of
/// real time. A slot is dropped when its start does not exist (spring-forward gap),
/// when it would overlap the previous slot (a gap shortened the day), or when it
/// would end after the window's end (a partial trailing slot). In a repeated
/// fall-back hour the first occurrence is used, so that hour yields one set of slots.
/// An invalid pattern yields nothing; the validity range is honoured. The result is
/// deterministic, which is what makes storing it idempotent.
public func generateBlocks(for pattern: WeeklyPattern, from: LocalDate, through: LocalDate, in zone: TimeZone) -> [BlockSpec] {
    guard pattern.validate().isEmpty else { return [] }
    let first = max(from, pattern.validFrom)
    let last = pattern.validTo.map { min(through, $0) } ?? through
    guard first <= last else { return [] }

    var blocks: [BlockSpec] = []
    var date = first.adding(days: (pattern.weekday.rawValue - first.weekday.rawValue + 7) % 7)
    while date <= last {
        blocks += slots(of: pattern, on: date, in: zone)
        date = date.adding(days: 7)
    }
    return blocks
}

/// The blocks of one day of `pattern`.
private func slots(of pattern: WeeklyPattern, on date: LocalDate, in zone: TimeZone) -> [BlockSpec] {
    let windowEnd: Date
    switch resolve(date, pattern.end, in: zone) {
    case .exact(let instant): windowEnd = instant
    // An end inside the gap means "when the gap begins", which is the resuming instant in real time.
    case .skipped(let resumesAt): windowEnd = resumesAt
    }
    let length = TimeInterval(pattern.slotMinutes * 60)
    var blocks: [BlockSpec] = []
    var minute = pattern.start.minutesSinceMidnight
    while minute + pattern.slotMinutes <= pattern.end.minutesSinceMidnight {
        defer { minute += pattern.slotMinutes }
        guard let start = instant(of: date, LocalTime(minutesSinceMidnight: minute)!, in: zone) else { continue }
        let end = start.addingTimeInterval(length)
        if end > windowEnd { continue }
        if let previous = blocks.last, start < previous.endsAt { continue }
        blocks.append(BlockSpec(startsAt: start, endsAt: end, capacity: pattern.capacity))
    }
    return blocks
}

/// A one-off block from local `date`, `start` and `end` in `zone`.
///
/// - Throws: `BlockProblem` when a time falls in a daylight-saving gap, the end is
///   not after the start, or the capacity is out of range.
public func oneOffBlock(on date: LocalDate, from start: LocalTime, to end: LocalTime, capacity: Int,
                        in zone: TimeZone) throws -> BlockSpec {
    guard WeeklyPattern.capacityRange.contains(capacity) else { throw BlockProblem.capacityOutOfRange }
    guard let startsAt = instant(of: date, start, in: zone) else { throw BlockProblem.startDoesNotExist }
    guard let endsAt = instant(of: date, end, in: zone) else { throw BlockProblem.endDoesNotExist }
    guard endsAt > startsAt else { throw BlockProblem.endNotAfterStart }
    return BlockSpec(startsAt: startsAt, endsAt: endsAt, capacity: capacity)
}
