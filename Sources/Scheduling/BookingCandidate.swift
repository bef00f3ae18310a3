/// What is known about one block when a patient asks to book it.
public struct BookingCandidate: Sendable, Hashable {
    /// When the block runs.
    public var block: TimeRange
    /// Whether the doctor has left the block open.
    public var isOpen: Bool
    /// Seats in the block.
    public var capacity: Int
    /// Active appointments already in the block.
    public var activeAppointments: Int

    /// Creates a candidate.
    public init(block: TimeRange, isOpen: Bool = true, capacity: Int, activeAppointments: Int) {
        self.block = block
        self.isOpen = isOpen
        self.capacity = capacity
        self.activeAppointments = activeAppointments
    }
}
