import Testing
@testable import Scheduling

@Test func defaultPolicyIsTheCautiousPractice() {
    let policy = ClinicPolicy()
    #expect(policy == ClinicPolicy(bufferMinutes: 0, minimumLeadMinutes: 120, horizonDays: 90, lateCancelHours: 24,
                                   portalBookingsStartConfirmed: false, allowLateCancellation: false,
                                   maxOpenBookingsPerPatient: 5))
    #expect(policy.validate().isEmpty)
}

@Test func outOfRangePolicyValuesAreReportedBesideTheirFields() {
    let problems = ClinicPolicy(bufferMinutes: -1, minimumLeadMinutes: -5, horizonDays: 0, lateCancelHours: 1000,
                                maxOpenBookingsPerPatient: 0).validate()
    #expect(problems.map(\.field) == ["buffer_minutes", "minimum_lead_minutes", "horizon_days", "late_cancel_hours", "max_open_bookings"])
    #expect(problems.first?.message == "Enter a whole number from 0 to 240.")
}
