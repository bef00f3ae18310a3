/// The "trivially weak" blocklist rules of `PasswordPolicy`, over a lowercased password.
///
/// NIST SP 800-63B §5.1.1.2 asks verifiers to refuse repetitive or sequential
/// characters and commonly used passwords; these rules do that without composition
/// rules. They only see passwords that already meet the minimum length.
enum WeakPasswordRules {
    /// Keyboard rows and columns, digits and the alphabet. A password that is a
    /// stretch of one of these, read cyclically forwards or backwards, is a run.
    static let walks: [String] = [
        "qwertyuiopasdfghjklzxcvbnm",            // US rows, left to right
        "qwertzuiopasdfghjklyxcvbnm",            // German rows (QWERTZ)
        "azertyuiopqsdfghjklmwxcvbn",            // French rows (AZERTY)
        "1234567890",
        "abcdefghijklmnopqrstuvwxyz",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",   // US columns
        "qazwsxedcrfvtgbyhnujmikolp",
        "1234567890qwertyuiopasdfghjklzxcvbnm",   // top row into the letter rows
        "!@#$%^&*()",                            // shifted digits
    ]

    /// Base words of very common passwords; a password that is one of these with
    /// only digits and symbols around it ("Password123!", "2024welcome!") is weak.
    static let commonWords: Set<String> = [
        "password", "passwort", "passw0rd", "p@ssw0rd", "p@ssword", "welcome", "letmein", "iloveyou",
        "qwerty", "admin", "administrator", "changeme", "monkey", "dragon", "football",
        "baseball", "sunshine", "princess", "superman", "batman", "trustno", "master",
        "shadow", "whatever", "starwars", "computer", "internet", "secret", "hello",
        "hallo", "login", "default", "clinic", "clinicportal", "doctor", "patient",
        "summer", "winter", "spring", "autumn", "michael", "jennifer", "charlie",
        "freedom", "mustang", "access", "google", "facebook",
    ]

    /// Whether `lowered` (already lowercased) is trivially weak.
    static func isWeak(_ lowered: String) -> Bool {
        let scalars = Array(lowered.unicodeScalars)
        // One or two distinct characters ("aaaaaaaaaaaa", "abababababab") carry almost no entropy.
        if Set(scalars).count <= 2 { return true }
        if isRepeatedPattern(scalars) { return true }
        if isWalk(lowered) { return true }
        return isCommon(lowered)
    }

    /// Whether the password is a unit of at most 8 scalars repeated at least twice,
    /// possibly ending in a partial copy ("abcabcabcabc", "passpasspass", "1a2b1a2b1a2b1").
    static func isRepeatedPattern(_ scalars: [Unicode.Scalar]) -> Bool {
        let count = scalars.count
        guard count >= 4 else { return false }
        for unit in 1...min(8, count / 2) {
            var repeats = true
            for index in unit..<count where scalars[index] != scalars[index - unit] {
                repeats = false
                break
            }
            if repeats { return true }
        }
        return false
    }

    /// Whether the password is a stretch of a keyboard walk, read cyclically either way.
    static func isWalk(_ lowered: String) -> Bool {
        walks.contains { walk in
            let reversed = String(walk.reversed())
            // Enough cyclic copies that any stretch of the password's length fits.
            let copies = lowered.count / walk.count + 2
            let forwards = String(repeating: walk, count: copies)
            let backwards = String(repeating: reversed, count: copies)
            return forwards.contains(lowered) || backwards.contains(lowered)
        }
    }

    /// Whether the password is a common word (or a repetition of one) padded with digits and symbols.
    static func isCommon(_ lowered: String) -> Bool {
        let isPadding: (Character) -> Bool = { !$0.isLetter }
        var core = Substring(lowered)
        while let first = core.first, isPadding(first) { core = core.dropFirst() }
        while let last = core.last, isPadding(last) { core = core.dropLast() }
        if commonWords.contains(String(core)) { return true }
        // "passwordpassword", "welcomewelcome1"
        return commonWords.contains { word in
            core.count % word.count == 0 && core.count > word.count
                && String(repeating: word, count: core.count / word.count) == core
        }
    }
}
