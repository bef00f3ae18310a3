import Foundation

/// The instant at which a wall clock in `zone` shows `time` on `date`.
///
/// Returns nil when that local time does not exist (the hour skipped when clocks
/// spring forward, e.g. 02:30 on 2026-03-29 in Europe/Berlin). When it exists twice
/// (the hour repeated when clocks fall back) the FIRST occurrence is returned, i.e.
/// the one still at the summer offset, so a slot at 02:30 on 2026-10-25 in Berlin is
/// 00:30 UTC, not 01:30 UTC.
public func instant(of date: LocalDate, _ time: LocalTime, in zone: TimeZone) -> Date? {
    switch resolve(date, time, in: zone) {
    case .exact(let first): return first
    case .skipped: return nil
    }
}

/// The first instant of `date` in `zone`: local midnight, or the end of the gap
/// when midnight itself is skipped (zones that change clocks at 00:00).
public func startOfDay(_ date: LocalDate, in zone: TimeZone) -> Date {
    switch resolve(date, LocalTime(hour: 0, minute: 0)!, in: zone) {
    case .exact(let first): return first
    case .skipped(let resumesAt): return resumesAt
    }
}

/// The instants a wall time maps to.
enum WallTimeResolution: Equatable {
    /// The earliest instant showing this wall time.
    case exact(Date)
    /// No instant shows it; clocks resume at this instant (the transition) after the gap.
    case skipped(resumesAt: Date)
}

/// Maps a wall time to an instant without Foundation's silent shifting of skipped times.
///
/// An instant u shows wall time L exactly when u = L − offset(u). Every UTC offset
/// lies within −12 h…+14 h, so u lies within [L − 14 h, L + 12 h]; the candidate
/// offsets are those in force somewhere in that window. Each candidate is kept only
/// if the zone really uses that offset at the resulting instant; none means a gap,
/// two mean a repeated hour and the earlier is taken.
func resolve(_ date: LocalDate, _ time: LocalTime, in zone: TimeZone) -> WallTimeResolution {
    let wall = date.daysSinceEpoch * 86_400 + time.minutesSinceMidnight * 60
    let earliest = wall - 14 * 3600, latest = wall + 12 * 3600
    func offset(at seconds: Int) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
    var offsets: Set<Int> = [offset(at: earliest), offset(at: latest)]
    if offsets.count > 1 {
        // Offsets changed inside the window: sample every half hour to catch every one in force.
        for seconds in stride(from: earliest, through: latest, by: 1800) { offsets.insert(offset(at: seconds)) }
    }
    let matches = offsets.map { wall - $0 }.filter { offset(at: $0) == wall - $0 }
    if let first = matches.min() {
        return .exact(Date(timeIntervalSince1970: TimeInterval(first)))
    }
    // In a gap the wall time lies after the transition under the old offset and
    // before it under the new one, so the transition is the next one after the latter.
    let afterGap = wall - (offsets.max() ?? 0)
    let searchFrom = Date(timeIntervalSince1970: TimeInterval(afterGap - 1))
    let transition = zone.nextDaylightSavingTimeTransition(after: searchFrom)
        ?? Date(timeIntervalSince1970: TimeInterval(wall - (offsets.min() ?? 0)))
    return .skipped(resumesAt: transition)
}
