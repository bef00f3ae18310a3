import Foundation
import Testing
@testable import Scheduling

@Test func fixedClockAlwaysAnswersItsInstant() {
    let clock: any Clock = FixedClock(utc(2026, 6, 1, 10))
    #expect(clock.now() == utc(2026, 6, 1, 10))
    #expect(clock.now() == clock.now())
}

@Test func systemClockFollowsTheSystemTime() {
    let before = Date()
    let read = SystemClock().now()
    #expect(read >= before && read <= Date())
}
