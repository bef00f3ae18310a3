import Foundation
import Testing
@testable import Scheduling

private let start = utc(2026, 6, 2, 9)
private let before = start.addingTimeInterval(-60)
private let after = start.addingTimeInterval(60)

/// DESIGN.md §3 as a table: the moves each role may make, ignoring time.
private let staffMoves: Set<[AppointmentStatus]> = [
    [.pending, .confirmed], [.pending, .cancelled], [.confirmed, .arrived], [.confirmed, .cancelled],
    [.confirmed, .noShow], [.arrived, .inProgress], [.inProgress, .completed],
]
private let patientMoves: Set<[AppointmentStatus]> = [[.pending, .cancelled], [.confirmed, .cancelled]]

@Test(arguments: [Role.doctor, .admin])
func staffMayTakeEveryForwardStepAndNothingElse(_ role: Role) {
    for from in AppointmentStatus.allCases {
        for to in AppointmentStatus.allCases {
            let refusal = checkTransition(from: from, to: to, by: role, appointmentStart: start, now: after)
            if staffMoves.contains([from, to]) {
                #expect(refusal == nil, "\(role) \(from) → \(to)")
            } else {
                #expect(refusal == .notAllowed(from: from, to: to), "\(role) \(from) → \(to)")
            }
        }
    }
}

@Test func patientMayOnlyCancelBeforeTheStart() {
    for from in AppointmentStatus.allCases {
        for to in AppointmentStatus.allCases {
            let refusal = checkTransition(from: from, to: to, by: .patient, appointmentStart: start, now: before)
            if patientMoves.contains([from, to]) {
                #expect(refusal == nil, "patient \(from) → \(to)")
            } else if staffMoves.contains([from, to]) {
                #expect(refusal == .roleMayNot, "patient \(from) → \(to)")
            } else {
                #expect(refusal == .notAllowed(from: from, to: to), "patient \(from) → \(to)")
            }
        }
    }
    #expect(checkTransition(from: .confirmed, to: .cancelled, by: .patient, appointmentStart: start, now: start) == .alreadyStarted)
}

@Test(arguments: [Role.doctor, .admin])
func noShowOnlyAfterTheStart(_ role: Role) {
    #expect(checkTransition(from: .confirmed, to: .noShow, by: role, appointmentStart: start, now: before) == .notYetStarted)
    #expect(checkTransition(from: .confirmed, to: .noShow, by: role, appointmentStart: start, now: start) == nil)
    #expect(checkTransition(from: .pending, to: .noShow, by: role, appointmentStart: start, now: after) == .notAllowed(from: .pending, to: .noShow))
}

@Test func staffMayCancelEvenAfterTheStart() {
    #expect(checkTransition(from: .confirmed, to: .cancelled, by: .doctor, appointmentStart: start, now: after) == nil)
}

@Test func nothingMovesBackwardsOrOutOfAFinalStatus() {
    for role in Role.allCases {
        #expect(checkTransition(from: .confirmed, to: .pending, by: role, appointmentStart: start, now: after) != nil)
        #expect(checkTransition(from: .completed, to: .inProgress, by: role, appointmentStart: start, now: after) != nil)
        for to in AppointmentStatus.allCases {
            for final in [AppointmentStatus.completed, .cancelled, .noShow] {
                #expect(checkTransition(from: final, to: to, by: role, appointmentStart: start, now: after) == .notAllowed(from: final, to: to))
            }
        }
    }
}

@Test func allowedTransitionsListTheActionsToOffer() {
    #expect(allowedTransitions(from: .confirmed, by: .doctor, appointmentStart: start, now: before) == [.arrived, .cancelled])
    #expect(allowedTransitions(from: .confirmed, by: .doctor, appointmentStart: start, now: after) == [.arrived, .cancelled, .noShow])
    #expect(allowedTransitions(from: .pending, by: .admin, appointmentStart: start, now: before) == [.confirmed, .cancelled])
    #expect(allowedTransitions(from: .pending, by: .patient, appointmentStart: start, now: before) == [.cancelled])
    #expect(allowedTransitions(from: .pending, by: .patient, appointmentStart: start, now: after).isEmpty)
    #expect(allowedTransitions(from: .arrived, by: .patient, appointmentStart: start, now: before).isEmpty)
    #expect(allowedTransitions(from: .completed, by: .admin, appointmentStart: start, now: after).isEmpty)
}
