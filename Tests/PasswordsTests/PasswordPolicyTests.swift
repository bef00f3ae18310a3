import Testing
@testable import Passwords

private let policy = PasswordPolicy()
private let email = "anna.berg@example.org"
private let name = "Anna Maria Berg-Lund"

private func check(_ password: String) -> PasswordPolicyViolation? {
    policy.validate(password, email: email, fullName: name)
}

@Test func goodPassphraseIsAccepted() {
    #expect(check("violet kettle drums at dawn") == nil)
    #expect(check("Zq7!mV2#pL9x") == nil)
}

@Test func elevenScalarsIsTooShortAndTwelveIsEnough() {
    #expect(check("k3Ww9!zQpR2") == .tooShort(minimum: 12))
    #expect(check("k3Ww9!zQpR2m") == nil)
}

@Test func lengthCountsUnicodeScalarsNotBytesOrCharacters() {
    // Twelve scalars of several UTF-8 bytes each.
    let cyrillic = "жёлтый🦊синий"
    #expect(cyrillic.unicodeScalars.count == 12 && cyrillic.utf8.count > 12)
    #expect(check(cyrillic) == nil)
    // Six characters, each a letter plus a combining accent: twelve scalars.
    let accented = "k\u{301}m\u{301}r\u{301}v\u{301}t\u{301}z\u{301}"
    #expect(accented.count == 6 && accented.unicodeScalars.count == 12)
    #expect(check(accented) == nil)
    #expect(check("ж🦊ё🦊л🦊т🦊ы🦊й") == .tooShort(minimum: 12))
}

@Test func sixtyFourAndTenTwentyFourScalarsAreAcceptedAndOneMoreIsTooLong() {
    let sixtyFour = String((0..<64).map { Character(UnicodeScalar(UInt8(33 + ($0 * 7) % 90))) })
    #expect(check(sixtyFour) == nil)
    let maximum = String((0..<1024).map { Character(UnicodeScalar(UInt8(33 + ($0 * 7) % 90))) })
    #expect(check(maximum) == nil)
    #expect(check(maximum + "x") == .tooLong(maximum: 1024))
}

@Test func tooLongIsReportedEvenWhenOtherRulesWouldFail() {
    // A megabyte of one repeated character: too long wins, checked first.
    #expect(check(String(repeating: "a", count: 1_000_000)) == .tooLong(maximum: 1024))
    #expect(check(String(repeating: "anna", count: 300)) == .tooLong(maximum: 1024))
}

@Test(arguments: ["my anna.berg secret", "ANNA.BERG forever!", "xx berg on the hill", "lund river crossing", "MARIA sings opera 9"])
func passwordWithEmailLocalPartOrNameIsRefused(_ password: String) {
    #expect(check(password) == .containsPersonalInfo)
}

@Test func shortNamePiecesDoNotRefuseAPassword() {
    #expect(policy.validate("quiet li rivers flow", email: "li@example.org", fullName: "Li Xu") == nil)
}

@Test(arguments: [
    "aaaaaaaaaaaa", "777777777777777", "abababababab",
    "qwertyuiopas", "QWERTZUIOPAS", "asdfghjklzxc", "123456789012", "0987654321098", "abcdefghijklm", "zyxwvutsrqpo",
    "abcabcabcabc", "passpasspass", "1a2b1a2b1a2b1",
    "Password123!", "password1234", "2024Welcome!!", "iloveyou1234", "passwordpassword", "P@ssw0rd2024",
])
func triviallyWeakPasswordIsRefused(_ password: String) {
    #expect(check(password) == .tooWeak)
}

@Test func confirmationMustMatch() {
    #expect(policy.validate("violet kettle drums at dawn", confirmation: "violet kettle drums at dawn",
                            email: email, fullName: name) == nil)
    #expect(policy.validate("violet kettle drums at dawn", confirmation: "violet kettle drums at dusk",
                            email: email, fullName: name) == .mismatch)
    // The password's own problem is reported before a mismatch.
    #expect(policy.validate("short", confirmation: "other", email: email, fullName: name) == .tooShort(minimum: 12))
}

@Test func personalTokensSplitEmailAndNameAndDropShortPieces() {
    let tokens = Set(PasswordPolicy.personalTokens(email: " Jo.Smith+clinic@Example.org ", fullName: "Jo O'Neil Smith"))
    #expect(tokens == ["jo.smith+clinic", "smith", "clinic", "neil"])
}
