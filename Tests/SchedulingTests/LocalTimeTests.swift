import Foundation
import Testing
@testable import Scheduling

@Test func hhmmParsesAndPrintsBack() throws {
    let nine = try #require(LocalTime(hhmm: "09:05"))
    #expect(nine.hour == 9 && nine.minute == 5)
    #expect(nine.hhmm == "09:05")
    #expect(nine.minutesSinceMidnight == 545)
    #expect(LocalTime(hhmm: "23:59")?.minutesSinceMidnight == 1439)
    #expect(LocalTime(hhmm: "00:00")?.minutesSinceMidnight == 0)
}

@Test(arguments: ["9:00", "24:00", "12:60", "ab:cd", "09-00", "09:00:00", "", " 09:00", "-1:00"])
func hhmmRejectsMalformedTimes(_ text: String) {
    #expect(LocalTime(hhmm: text) == nil)
}

@Test func sqlTimeAcceptsPostgresOutputWithZeroSecondsOnly() {
    #expect(LocalTime(sqlTime: "09:30:00") == time("09:30"))
    #expect(LocalTime(sqlTime: "09:30") == time("09:30"))
    #expect(LocalTime(sqlTime: "09:30:15") == nil)
}

@Test func partsOutOfRangeAreRefused() {
    #expect(LocalTime(hour: 24, minute: 0) == nil)
    #expect(LocalTime(hour: 0, minute: -1) == nil)
    #expect(LocalTime(minutesSinceMidnight: 1440) == nil)
    #expect(LocalTime(minutesSinceMidnight: 61) == time("01:01"))
}

@Test func timeOfAnInstantDependsOnTheZoneAndSeason() {
    #expect(LocalTime.of(utc(2026, 1, 15, 8, 0, 59), in: berlin) == time("09:00"))
    #expect(LocalTime.of(utc(2026, 7, 15, 8, 0), in: berlin) == time("10:00"))
    #expect(LocalTime.of(utc(2026, 7, 15, 20, 0), in: tokyo) == time("05:00"))
    #expect(LocalTime.of(utc(2026, 7, 15, 2, 0), in: newYork) == time("22:00"))
}
