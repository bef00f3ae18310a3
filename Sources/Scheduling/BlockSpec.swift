import Foundation

/// A bookable time block to be stored: a half-open interval [startsAt, endsAt) of real time and its capacity.
public struct BlockSpec: Sendable, Hashable {
    /// First instant of the block.
    public var startsAt: Date
    /// First instant after the block.
    public var endsAt: Date
    /// Patients the block takes.
    public var capacity: Int

    /// Creates a block specification.
    public init(startsAt: Date, endsAt: Date, capacity: Int) {
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.capacity = capacity
    }
}
