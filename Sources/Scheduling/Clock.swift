import Foundation

/// A source of the current instant, passed in so that rules about "now" are testable.
public protocol Clock: Sendable {
    /// The current instant.
    func now() -> Date
}

/// The live clock: the system's wall-clock time.
public struct SystemClock: Clock {
    /// Creates the system clock.
    public init() {}

    /// The current system time.
    public func now() -> Date { Date() }
}

/// A clock stopped at one instant, for tests and for evaluating rules "as of" a time.
public struct FixedClock: Clock {
    /// The instant `now()` returns.
    public var instant: Date

    /// Creates a clock that always answers `instant`.
    public init(_ instant: Date) { self.instant = instant }

    /// Returns `instant`.
    public func now() -> Date { instant }
}
