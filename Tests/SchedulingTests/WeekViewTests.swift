import Foundation
import Testing
@testable import Scheduling

@Test func weekRunsMondayToSundayWithNeighbours() {
    let week = WeekView(containing: date(2026, 3, 29))
    #expect(week.start == date(2026, 3, 23))
    #expect(week.end == date(2026, 3, 29))
    #expect(week.days == (23...29).map { date(2026, 3, $0) })
    #expect(week.previousStart == date(2026, 3, 16))
    #expect(week.nextStart == date(2026, 3, 30))
    #expect(week.contains(date(2026, 3, 23)) && !week.contains(date(2026, 3, 30)))
}

@Test func weekQueryAcceptsAnyDayAndFallsBackToToday() {
    let today = date(2026, 6, 3)
    #expect(WeekView(query: "2026-03-26", today: today).start == date(2026, 3, 23))
    #expect(WeekView(query: "2026-3-26", today: today).start == date(2026, 6, 1))
    #expect(WeekView(query: nil, today: today).start == date(2026, 6, 1))
}

@Test func weekOfADaylightSavingChangeIsNotSevenTimesTwentyFourHours() {
    #expect(WeekView(containing: date(2026, 3, 29)).range(in: berlin).minutes == 167 * 60)
    #expect(WeekView(containing: date(2026, 10, 25)).range(in: berlin).minutes == 169 * 60)
    #expect(WeekView(containing: date(2026, 3, 29)).range(in: tokyo).minutes == 168 * 60)
    #expect(WeekView(containing: date(2026, 3, 29)).range(in: berlin).start == utc(2026, 3, 22, 23))
}
