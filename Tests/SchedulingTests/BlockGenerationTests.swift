import Foundation
import Testing
@testable import Scheduling

@Test func normalWeekGivesEvenSlotsAtTheLocalTimes() {
    let blocks = generateBlocks(for: .make(weekday: .monday, capacity: 1),
                                from: date(2026, 6, 1), through: date(2026, 6, 7), in: berlin)
    #expect(blocks.count == 6)
    // 09:00 CEST is 07:00 UTC.
    #expect(blocks.map(\.startsAt) == (0..<6).map { utc(2026, 6, 1, 7, $0 * 30) })
    #expect(blocks.allSatisfy { $0.endsAt.timeIntervalSince($0.startsAt) == 1800 && $0.capacity == 1 })
}

@Test func everyWeekdayOfAWeekGetsItsOwnPattern() {
    let patterns = Weekday.allCases.map { WeeklyPattern.make(weekday: $0, start: "08:00", end: "10:00", slotMinutes: 60) }
    let blocks = patterns.flatMap { generateBlocks(for: $0, from: date(2026, 6, 1), through: date(2026, 6, 7), in: berlin) }
    #expect(blocks.count == 14)
    #expect(Set(blocks.map { LocalDate.of($0.startsAt, in: berlin) }).count == 7)
}

@Test func partialTrailingSlotIsDropped() {
    let blocks = generateBlocks(for: .make(start: "09:00", end: "10:40"), from: date(2026, 6, 1), through: date(2026, 6, 1), in: berlin)
    #expect(blocks.map { LocalTime.of($0.startsAt, in: berlin) } == [time("09:00"), time("09:30"), time("10:00")])
    #expect(blocks.last?.endsAt == utc(2026, 6, 1, 8, 30))
}

@Test func nineOClockStaysNineLocalAcrossSpringForward() {
    // Sundays 2026-03-22 (CET, UTC+1) and 2026-03-29 (CEST, UTC+2).
    let blocks = generateBlocks(for: .make(weekday: .sunday, start: "09:00", end: "10:00", slotMinutes: 60),
                                from: date(2026, 3, 16), through: date(2026, 4, 1), in: berlin)
    #expect(blocks.map(\.startsAt) == [utc(2026, 3, 22, 8), utc(2026, 3, 29, 7)])
    #expect(blocks.allSatisfy { LocalTime.of($0.startsAt, in: berlin) == time("09:00") })
    #expect(berlin.secondsFromGMT(for: blocks[0].startsAt) == 3600)
    #expect(berlin.secondsFromGMT(for: blocks[1].startsAt) == 7200)
}

@Test func nineOClockStaysNineLocalAcrossFallBack() {
    // Sundays 2026-10-18 (CEST) and 2026-10-25 (CET).
    let blocks = generateBlocks(for: .make(weekday: .sunday, start: "09:00", end: "10:00", slotMinutes: 60),
                                from: date(2026, 10, 12), through: date(2026, 10, 31), in: berlin)
    #expect(blocks.map(\.startsAt) == [utc(2026, 10, 18, 7), utc(2026, 10, 25, 8)])
    #expect(blocks.allSatisfy { LocalTime.of($0.startsAt, in: berlin) == time("09:00") })
    #expect(berlin.secondsFromGMT(for: blocks[0].startsAt) != berlin.secondsFromGMT(for: blocks[1].startsAt))
}

@Test func slotsInTheSpringForwardGapAreSkipped() {
    let blocks = generateBlocks(for: .make(weekday: .sunday, start: "01:30", end: "03:30"),
                                from: date(2026, 3, 29), through: date(2026, 3, 29), in: berlin)
    // 01:30 CET and 03:00 CEST exist; 02:00 and 02:30 do not.
    #expect(blocks.map { LocalTime.of($0.startsAt, in: berlin) } == [time("01:30"), time("03:00")])
    #expect(blocks.map(\.startsAt) == [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1)])
    #expect(blocks.allSatisfy { $0.endsAt.timeIntervalSince($0.startsAt) == 1800 })
}

@Test func slotsOnTheRepeatedFallBackHourAreMadeOnceAndNeverOverlap() {
    let blocks = generateBlocks(for: .make(weekday: .sunday, start: "01:30", end: "03:30"),
                                from: date(2026, 10, 25), through: date(2026, 10, 25), in: berlin)
    #expect(blocks.map { LocalTime.of($0.startsAt, in: berlin) } == [time("01:30"), time("02:00"), time("02:30"), time("03:00")])
    #expect(blocks.map(\.startsAt) == [utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2)])
    #expect(zip(blocks, blocks.dropFirst()).allSatisfy { $0.endsAt <= $1.startsAt })
}

@Test func aSlotThatWouldOverlapAfterTheGapIsDropped() {
    // 45-minute slots: 01:30 CET runs to 03:15 CEST, so the 03:00 slot would overlap it.
    let blocks = generateBlocks(for: .make(weekday: .sunday, start: "01:30", end: "03:30", slotMinutes: 45),
                                from: date(2026, 3, 29), through: date(2026, 3, 29), in: berlin)
    #expect(blocks == [BlockSpec(startsAt: utc(2026, 3, 29, 0, 30), endsAt: utc(2026, 3, 29, 1, 15), capacity: 1)])
}

@Test func twentyThreeAndTwentyFiveHourDaysGenerateOneBlockPerExistingHour() {
    let pattern = WeeklyPattern.make(weekday: .sunday, start: "00:00", end: "23:00", slotMinutes: 60)
    let spring = generateBlocks(for: pattern, from: date(2026, 3, 29), through: date(2026, 3, 29), in: berlin)
    let autumn = generateBlocks(for: pattern, from: date(2026, 10, 25), through: date(2026, 10, 25), in: berlin)
    let ordinary = generateBlocks(for: pattern, from: date(2026, 6, 7), through: date(2026, 6, 7), in: berlin)
    #expect(ordinary.count == 23)
    #expect(spring.count == 22)   // 02:00 does not exist
    #expect(autumn.count == 23)   // 02:00 happens twice, used once
    #expect(!spring.map { LocalTime.of($0.startsAt, in: berlin) }.contains(time("02:00")))
}

@Test func zoneWithoutDaylightSavingKeepsOneOffsetAllYear() {
    let pattern = WeeklyPattern.make(weekday: .wednesday, start: "09:00", end: "10:00", slotMinutes: 20)
    let blocks = generateBlocks(for: pattern, from: date(2026, 1, 1), through: date(2026, 12, 31), in: tokyo)
    #expect(blocks.count == 52 * 3)
    #expect(blocks.allSatisfy { tokyo.secondsFromGMT(for: $0.startsAt) == 9 * 3600 })
    #expect(blocks.allSatisfy { LocalTime.of($0.startsAt, in: tokyo).minute % 20 == 0 })
    #expect(blocks.first?.startsAt == utc(2026, 1, 7, 0))
}

@Test func validityRangeIsHonoured() {
    let pattern = WeeklyPattern.make(weekday: .wednesday, start: "09:00", end: "09:30",
                                     validFrom: date(2026, 6, 10), validTo: date(2026, 6, 24))
    let blocks = generateBlocks(for: pattern, from: date(2026, 6, 1), through: date(2026, 6, 30), in: berlin)
    #expect(blocks.map { LocalDate.of($0.startsAt, in: berlin) } == [date(2026, 6, 10), date(2026, 6, 17), date(2026, 6, 24)])
    #expect(generateBlocks(for: pattern, from: date(2026, 7, 1), through: date(2026, 7, 31), in: berlin).isEmpty)
    let openEnded = WeeklyPattern.make(weekday: .wednesday, start: "09:00", end: "09:30", validFrom: date(2026, 6, 10))
    #expect(generateBlocks(for: openEnded, from: date(2026, 6, 1), through: date(2026, 7, 1), in: berlin).count == 4)
}

@Test func generationIsDeterministicSoStoringItIsIdempotent() {
    let pattern = WeeklyPattern.make(weekday: .friday, capacity: 3)
    let first = generateBlocks(for: pattern, from: date(2026, 3, 1), through: date(2026, 11, 1), in: berlin)
    let again = generateBlocks(for: pattern, from: date(2026, 3, 1), through: date(2026, 11, 1), in: berlin)
    #expect(first == again)
    #expect(Set(first.map(\.startsAt)).count == first.count)
    #expect(first.allSatisfy { $0.capacity == 3 })
}

@Test func invalidPatternGeneratesNothing() {
    #expect(generateBlocks(for: .make(capacity: 0), from: date(2026, 6, 1), through: date(2026, 6, 30), in: berlin).isEmpty)
    #expect(generateBlocks(for: .make(), from: date(2026, 6, 30), through: date(2026, 6, 1), in: berlin).isEmpty)
}

@Test func oneOffBlockResolvesLocalTimesAndRefusesBadInput() throws {
    let block = try oneOffBlock(on: date(2026, 7, 1), from: time("14:00"), to: time("15:30"), capacity: 4, in: berlin)
    #expect(block == BlockSpec(startsAt: utc(2026, 7, 1, 12), endsAt: utc(2026, 7, 1, 13, 30), capacity: 4))
    #expect(throws: BlockProblem.startDoesNotExist) {
        try oneOffBlock(on: date(2026, 3, 29), from: time("02:15"), to: time("04:00"), capacity: 1, in: berlin)
    }
    #expect(throws: BlockProblem.endDoesNotExist) {
        try oneOffBlock(on: date(2026, 3, 29), from: time("01:00"), to: time("02:30"), capacity: 1, in: berlin)
    }
    #expect(throws: BlockProblem.endNotAfterStart) {
        try oneOffBlock(on: date(2026, 7, 1), from: time("15:00"), to: time("15:00"), capacity: 1, in: berlin)
    }
    #expect(throws: BlockProblem.capacityOutOfRange) {
        try oneOffBlock(on: date(2026, 7, 1), from: time("14:00"), to: time("15:00"), capacity: 0, in: berlin)
    }
}
