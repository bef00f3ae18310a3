import Foundation
import Testing
@testable import Scheduling

private let now = utc(2026, 6, 1, 10)
private let policy = ClinicPolicy(bufferMinutes: 10, minimumLeadMinutes: 120, horizonDays: 90)

private func refusal(startingIn minutes: Int, policy: ClinicPolicy = policy) -> BookingRefusal? {
    let start = now.addingTimeInterval(TimeInterval(minutes * 60))
    return bookability(blockStart: start, blockEnd: start.addingTimeInterval(1800), now: now, policy: policy)
}

@Test func blockThatHasStartedIsInThePast() {
    #expect(refusal(startingIn: 0) == .inPast)
    #expect(refusal(startingIn: -60) == .inPast)
}

@Test func blockInsideTheLeadTimeIsRefusedAndOneExactlyAtItIsBookable() {
    #expect(refusal(startingIn: 1) == .insideLeadTime)
    #expect(refusal(startingIn: 119) == .insideLeadTime)
    #expect(refusal(startingIn: 120) == nil)
    #expect(refusal(startingIn: 1, policy: ClinicPolicy(minimumLeadMinutes: 0)) == nil)
}

@Test func blockBeyondTheHorizonIsRefusedAndOneExactlyAtItIsBookable() {
    #expect(refusal(startingIn: 90 * 24 * 60) == nil)
    #expect(refusal(startingIn: 90 * 24 * 60 + 1) == .beyondHorizon)
}

@Test func emptyOrInvertedBlockIsClosed() {
    let start = now.addingTimeInterval(86_400)
    #expect(bookability(blockStart: start, blockEnd: start, now: now, policy: policy) == .blockClosed)
}

@Test func bufferKeepsAppointmentsApart() {
    let nine = utc(2026, 6, 2, 9)
    let others = [(start: nine, end: nine.addingTimeInterval(1800))]   // 09:00–09:30
    func conflicts(from minutes: Int, buffer: Int) -> Bool {
        let start = nine.addingTimeInterval(TimeInterval(minutes * 60))
        return conflictsWithBuffer(start: start, end: start.addingTimeInterval(1800), others: others, bufferMinutes: buffer)
    }
    #expect(!conflicts(from: 30, buffer: 0))      // back to back is fine without a buffer
    #expect(conflicts(from: 15, buffer: 0))       // plain overlap
    #expect(conflicts(from: 30, buffer: 10))      // 09:30 is inside 09:30 + 10 min
    #expect(conflicts(from: 39, buffer: 10))
    #expect(!conflicts(from: 40, buffer: 10))     // exactly the buffer apart
    #expect(conflicts(from: -39, buffer: 10))     // ends 08:51, within 10 min before 09:00
    #expect(!conflicts(from: -40, buffer: 10))
    #expect(!conflictsWithBuffer(start: nine, end: nine.addingTimeInterval(60), others: [], bufferMinutes: 60))
}

@Test func seatsLeftNeverGoesNegative() {
    #expect(seatsLeft(capacity: 3, active: 1) == 2)
    #expect(seatsLeft(capacity: 3, active: 3) == 0)
    #expect(seatsLeft(capacity: 1, active: 2) == 0)
}

@Test func appointmentTypeFitsWhenTheBlockLengthIsWithinItsRange() {
    let block = TimeRange.make(now, from: 0, length: 30)
    #expect(appointmentTypeFits(minMinutes: 15, maxMinutes: 30, block: block))
    #expect(appointmentTypeFits(minMinutes: 30, maxMinutes: 60, block: block))
    #expect(!appointmentTypeFits(minMinutes: 45, maxMinutes: 60, block: block))
    #expect(!appointmentTypeFits(minMinutes: 10, maxMinutes: 20, block: block))
}

// MARK: - All rules together

private let tomorrow = utc(2026, 6, 2, 9)
private let block = TimeRange.make(tomorrow, from: 0)

private func refusal(_ candidate: BookingCandidate = BookingCandidate(block: block, capacity: 1, activeAppointments: 0),
                     _ context: BookingContext = BookingContext()) -> BookingRefusal? {
    bookingRefusal(for: candidate, context: context, now: now, policy: policy)
}

private func refusal(_ context: BookingContext) -> BookingRefusal? {
    refusal(BookingCandidate(block: block, capacity: 1, activeAppointments: 0), context)
}

@Test func freeBlockWithNothingAroundIsBookable() {
    #expect(refusal() == nil)
}

@Test func eachBookingRuleRefusesOnItsOwn() {
    #expect(refusal(BookingCandidate(block: block, isOpen: false, capacity: 1, activeAppointments: 0)) == .blockClosed)
    #expect(refusal(BookingCandidate(block: TimeRange.make(now, from: 30), capacity: 1, activeAppointments: 0)) == .insideLeadTime)
    #expect(refusal(BookingContext(doctorTimeOff: [TimeRange.make(tomorrow, from: 20, length: 600)])) == .inTimeOff)
    #expect(refusal(BookingCandidate(block: block, capacity: 3, activeAppointments: 3)) == .full)
    #expect(refusal(BookingContext(doctorAppointmentsElsewhere: [TimeRange.make(tomorrow, from: 35)])) == .withinBuffer)
    #expect(refusal(BookingContext(patientAppointments: [TimeRange.make(tomorrow, from: 15)])) == .overlapsOwnAppointment)
    #expect(refusal(BookingContext(patientOpenBookings: 5)) == .tooManyOpenBookings)
    #expect(refusal(BookingContext(patientOpenBookings: 4)) == nil)
}

@Test func groupBlockWithSeatsLeftIsBookable() {
    #expect(refusal(BookingCandidate(block: block, capacity: 3, activeAppointments: 2)) == nil)
}

@Test func timeOffAndAppointmentsThatOnlyTouchTheBlockDoNotRefuseIt() {
    let context = BookingContext(doctorTimeOff: [TimeRange.make(tomorrow, from: 30, length: 60)],
                                 patientAppointments: [TimeRange.make(tomorrow, from: -30)])
    #expect(refusal(BookingCandidate(block: block, capacity: 1, activeAppointments: 0), context) == nil)
}

@Test func closedBlockIsReportedBeforeAnyOtherRule() {
    let context = BookingContext(doctorTimeOff: [block], patientOpenBookings: 99)
    #expect(refusal(BookingCandidate(block: block, isOpen: false, capacity: 1, activeAppointments: 1), context) == .blockClosed)
}

@Test func timeRangeOverlapIsHalfOpen() {
    let a = TimeRange.make(tomorrow, from: 0)
    #expect(a.overlaps(TimeRange.make(tomorrow, from: 29)))
    #expect(!a.overlaps(TimeRange.make(tomorrow, from: 30)))
    #expect(!a.overlaps(TimeRange(start: tomorrow, end: tomorrow)))
    #expect(a.contains(tomorrow) && !a.contains(a.end))
    #expect(a.minutes == 30)
}
