import Foundation
import Testing
@testable import Scheduling

@Test func isoDateParsesAndPrintsBack() throws {
    let parsed = try #require(LocalDate(iso: "2026-03-29"))
    #expect(parsed == date(2026, 3, 29))
    #expect(parsed.iso == "2026-03-29")
    #expect("\(date(987, 1, 5))" == "0987-01-05")
    #expect(LocalDate(iso: "2024-02-29") != nil)
}

@Test(arguments: ["2026-02-30", "2026-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "0000-01-01",
                  "2026-1-1", "2026-01-1", "26-01-01", "2026/01/01", "2026-01-01 ", " 2026-01-01", "2026-01-01T00:00",
                  "+026-01-01", "2026-0a-01", "２０２６-01-01", "", "garbage", "yesterday"])
func isoParsingRejectsMalformedOrImpossibleDates(_ text: String) {
    #expect(LocalDate(iso: text) == nil)
}

@Test func validatingInitialiserRefusesImpossibleDates() {
    #expect(LocalDate(validatingYear: 2026, month: 2, day: 30) == nil)
    #expect(LocalDate(validatingYear: 2000, month: 2, day: 29) != nil)
    #expect(LocalDate(validatingYear: 1900, month: 2, day: 29) == nil)
}

@Test func addingDaysCrossesMonthsYearsAndLeapDays() {
    #expect(date(2026, 1, 31).adding(days: 1) == date(2026, 2, 1))
    #expect(date(2024, 2, 28).adding(days: 1) == date(2024, 2, 29))
    #expect(date(2026, 12, 31).adding(days: 1) == date(2027, 1, 1))
    #expect(date(2026, 3, 1).adding(days: -1) == date(2026, 2, 28))
    #expect(date(2026, 1, 1).adding(days: 365) == date(2027, 1, 1))
    #expect(date(2026, 3, 1).days(until: date(2026, 3, 29)) == 28)
}

@Test func civilArithmeticAgreesWithFoundationsGregorianCalendar() {
    let calendar = gregorian(TimeZone(identifier: "UTC")!)
    var day = date(1899, 12, 25)
    while day < date(2101, 1, 7) {
        let reference = calendar.dateComponents([.year, .month, .day, .weekday],
                                                from: Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch * 86_400 + 43_200)))
        #expect(reference.year == day.year && reference.month == day.month && reference.day == day.day)
        // Foundation numbers Sunday 1 … Saturday 7; ISO numbers Monday 1 … Sunday 7.
        #expect((reference.weekday! + 5) % 7 + 1 == day.weekday.rawValue)
        day = day.adding(days: 13)
    }
}

@Test func weekdayAndStartOfWeekUseMondayFirst() {
    #expect(date(2026, 3, 29).weekday == .sunday)
    #expect(date(2026, 3, 23).weekday == .monday)
    #expect(date(1970, 1, 1).weekday == .thursday)
    #expect(date(2026, 3, 29).startOfWeek() == date(2026, 3, 23))
    #expect(date(2026, 3, 23).startOfWeek() == date(2026, 3, 23))
    #expect(date(2026, 1, 1).startOfWeek() == date(2025, 12, 29))
}

@Test func dateOfAnInstantDependsOnTheZone() {
    let instant = utc(2026, 3, 28, 23, 30)
    #expect(LocalDate.of(instant, in: berlin) == date(2026, 3, 29))
    #expect(LocalDate.of(instant, in: tokyo) == date(2026, 3, 29))
    #expect(LocalDate.of(instant, in: newYork) == date(2026, 3, 28))
    #expect(LocalDate.of(utc(1969, 12, 31, 23, 59, 59), in: TimeZone(identifier: "UTC")!) == date(1969, 12, 31))
}

@Test func datesOrderChronologically() {
    #expect(date(2026, 1, 31) < date(2026, 2, 1))
    #expect(date(2025, 12, 31) < date(2026, 1, 1))
    #expect([date(2026, 5, 1), date(2026, 1, 9), date(2026, 1, 2)].sorted() == [date(2026, 1, 2), date(2026, 1, 9), date(2026, 5, 1)])
}
