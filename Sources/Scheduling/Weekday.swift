/// A day of the week, numbered as ISO 8601 does (Monday = 1 … Sunday = 7).
///
/// ISO numbering (not Foundation's Sunday = 1) because weeks in the portal start on Monday.
public enum Weekday: Int, Sendable, CaseIterable, Comparable {
    /// The seven days, Monday (1) first.
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    /// Orders Monday first.
    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
}
