import Foundation

/// A half-open interval of real time [start, end), the shape of blocks, appointments and time off.
public struct TimeRange: Sendable, Hashable {
    /// First instant inside the range.
    public var start: Date
    /// First instant after the range.
    public var end: Date

    /// Creates a range; an empty or inverted range overlaps nothing.
    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }

    /// Whether the two ranges share an instant (touching ends do not), matching PostgreSQL's `tstzrange &&`.
    public func overlaps(_ other: TimeRange) -> Bool {
        start < other.end && other.start < end && start < end && other.start < other.end
    }

    /// Whether `instant` lies inside the range.
    public func contains(_ instant: Date) -> Bool { start <= instant && instant < end }

    /// Length in whole minutes.
    public var minutes: Int { Int(end.timeIntervalSince(start) / 60) }
}
