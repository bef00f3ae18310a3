import Testing
@testable import Scheduling

@Test func activeStatusesAreThoseThatHoldASeat() {
    #expect(AppointmentStatus.allCases.filter(\.isActive) == [.pending, .confirmed, .arrived, .inProgress, .completed])
    #expect(AppointmentStatus.allCases.filter(\.isOpen) == [.pending, .confirmed])
    #expect(AppointmentStatus.allCases.filter(\.isTerminal) == [.completed, .cancelled, .noShow])
}

@Test func statusRawValuesMatchTheDatabase() {
    #expect(AppointmentStatus.allCases.map(\.rawValue) == ["pending", "confirmed", "arrived", "in_progress", "completed", "cancelled", "no_show"])
    #expect(AppointmentStatus(rawValue: "in_progress") == .inProgress)
    #expect(Role(rawValue: "doctor") == .doctor)
}
