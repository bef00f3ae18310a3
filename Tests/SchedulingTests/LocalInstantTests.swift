import Foundation
import Testing
@testable import Scheduling

@Test func ordinaryWallTimeMapsToTheZonesOffset() {
    #expect(instant(of: date(2026, 1, 15), time("09:00"), in: berlin) == utc(2026, 1, 15, 8))
    #expect(instant(of: date(2026, 7, 15), time("09:00"), in: berlin) == utc(2026, 7, 15, 7))
    #expect(instant(of: date(2026, 7, 15), time("09:00"), in: tokyo) == utc(2026, 7, 15, 0))
    #expect(instant(of: date(2026, 7, 15), time("21:00"), in: newYork) == utc(2026, 7, 16, 1))
}

@Test func wallTimeInSpringForwardGapDoesNotExist() {
    // Europe/Berlin 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    let day = date(2026, 3, 29)
    for text in ["02:00", "02:30", "02:59"] {
        #expect(instant(of: day, time(text), in: berlin) == nil)
    }
    #expect(instant(of: day, time("01:59"), in: berlin) == utc(2026, 3, 29, 0, 59))
    #expect(instant(of: day, time("03:00"), in: berlin) == utc(2026, 3, 29, 1))
}

@Test func repeatedFallBackWallTimeTakesTheFirstOccurrence() throws {
    // Europe/Berlin 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC, so 02:00–02:59 happen twice.
    let first = try #require(instant(of: date(2026, 10, 25), time("02:30"), in: berlin))
    #expect(first == utc(2026, 10, 25, 0, 30))
    // The second occurrence an hour later shows the same wall time.
    #expect(LocalTime.of(first.addingTimeInterval(3600), in: berlin) == time("02:30"))
    #expect(instant(of: date(2026, 10, 25), time("03:00"), in: berlin) == utc(2026, 10, 25, 2))
}

@Test(arguments: [berlin, newYork, tokyo, TimeZone(identifier: "Australia/Lord_Howe")!])
func everyExistingHalfHourOfAYearRoundTripsThroughFoundation(_ zone: TimeZone) {
    let calendar = gregorian(zone)
    var day = date(2026, 1, 1)
    var gaps = 0
    while day < date(2027, 1, 1) {
        for minutes in stride(from: 0, to: 1440, by: 30) {
            let wall = LocalTime(minutesSinceMidnight: minutes)!
            guard let found = instant(of: day, wall, in: zone) else {
                gaps += 1
                // Foundation shifts a skipped time; it never shows this wall time on this day.
                continue
            }
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: found)
            #expect(parts.year == day.year && parts.month == day.month && parts.day == day.day
                    && parts.hour == wall.hour && parts.minute == wall.minute)
            // First occurrence: half an hour or an hour earlier (the size of any shift here) shows another wall time.
            for earlier in [-1800.0, -3600.0] {
                let before = found.addingTimeInterval(earlier)
                #expect(LocalTime.of(before, in: zone) != wall || LocalDate.of(before, in: zone) != day)
            }
        }
        day = day.adding(days: 1)
    }
    // Berlin and New York skip two half hours a year, Lord Howe one (a 30-minute shift), Tokyo none.
    let expected = [berlin.identifier: 2, newYork.identifier: 2, tokyo.identifier: 0, "Australia/Lord_Howe": 1]
    #expect(gaps == expected[zone.identifier])
}

@Test func startOfDayIsMidnightEvenOnDaylightSavingDays() {
    #expect(startOfDay(date(2026, 3, 29), in: berlin) == utc(2026, 3, 28, 23))
    #expect(startOfDay(date(2026, 10, 25), in: berlin) == utc(2026, 10, 24, 22))
    #expect(date(2026, 3, 29).range(in: berlin).minutes == 23 * 60)
    #expect(date(2026, 10, 25).range(in: berlin).minutes == 25 * 60)
    #expect(date(2026, 10, 25).range(in: tokyo).minutes == 24 * 60)
}

@Test func startOfDayWhenMidnightIsSkippedIsTheEndOfTheGap() {
    // America/Havana springs forward at 00:00 (to 01:00) on 2026-03-08.
    let havana = TimeZone(identifier: "America/Havana")!
    #expect(instant(of: date(2026, 3, 8), time("00:00"), in: havana) == nil)
    let start = startOfDay(date(2026, 3, 8), in: havana)
    #expect(LocalDate.of(start, in: havana) == date(2026, 3, 8))
    #expect(LocalTime.of(start, in: havana) == time("01:00"))
    #expect(LocalDate.of(start.addingTimeInterval(-1), in: havana) == date(2026, 3, 7))
}
