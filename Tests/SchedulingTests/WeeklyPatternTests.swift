import Testing
@testable import Scheduling

@Test func sensiblePatternHasNoProblems() {
    #expect(WeeklyPattern.make().validate().isEmpty)
    #expect(WeeklyPattern.make(slotMinutes: 180, capacity: 12, validTo: date(2026, 1, 1)).validate().isEmpty)
}

@Test func eachPatternProblemIsReportedBesideItsField() {
    #expect(WeeklyPattern.make(start: "12:00", end: "12:00").validate() == [.endNotAfterStart])
    #expect(WeeklyPattern.make(start: "13:00", end: "12:00").validate() == [.endNotAfterStart])
    #expect(WeeklyPattern.make(slotMinutes: 4).validate() == [.slotMinutesOutOfRange])
    #expect(WeeklyPattern.make(slotMinutes: 721).validate() == [.slotMinutesOutOfRange])
    #expect(WeeklyPattern.make(end: "09:20").validate() == [.slotLongerThanWindow])
    #expect(WeeklyPattern.make(capacity: 0).validate() == [.capacityOutOfRange])
    #expect(WeeklyPattern.make(validFrom: date(2026, 2, 1), validTo: date(2026, 1, 31)).validate() == [.validToBeforeValidFrom])
    let all = WeeklyPattern.make(start: "10:00", end: "09:00", slotMinutes: 0, capacity: -1,
                                 validFrom: date(2026, 2, 1), validTo: date(2026, 1, 1)).validate()
    #expect(all.map(\.field) == ["end", "slot_minutes", "capacity", "valid_to"])
    #expect(all.allSatisfy { !$0.message.isEmpty })
}
