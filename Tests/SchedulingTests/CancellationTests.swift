import Foundation
import Testing
@testable import Scheduling

private let start = utc(2026, 6, 2, 9)
private let strict = ClinicPolicy(lateCancelHours: 24, allowLateCancellation: false)
private let lenient = ClinicPolicy(lateCancelHours: 24, allowLateCancellation: true)

private func decision(secondsBefore: TimeInterval, _ policy: ClinicPolicy) -> CancellationDecision {
    cancellationDecision(appointmentStart: start, now: start.addingTimeInterval(-secondsBefore), policy: policy)
}

@Test func cancellingBeforeTheWindowIsAllowed() {
    #expect(decision(secondsBefore: 48 * 3600, strict) == .allowed)
    #expect(decision(secondsBefore: 24 * 3600, strict) == .allowed)   // exactly at the edge is not late
}

@Test func cancellingInsideTheWindowFollowsThePolicy() {
    #expect(decision(secondsBefore: 24 * 3600 - 1, strict) == .refusedLate)
    #expect(decision(secondsBefore: 24 * 3600 - 1, lenient) == .allowedLate)
    #expect(decision(secondsBefore: 1, lenient) == .allowedLate)
}

@Test func cancellingOnceStartedIsRefusedWhateverThePolicy() {
    #expect(decision(secondsBefore: 0, lenient) == .refusedLate)
    #expect(decision(secondsBefore: -3600, lenient) == .refusedLate)
}

@Test func zeroHourWindowNeverMakesACancellationLate() {
    let none = ClinicPolicy(lateCancelHours: 0)
    #expect(decision(secondsBefore: 1, none) == .allowed)
}
