import Foundation

/// Conversions between `Date` and `timestamptz` text, done with integer calendar arithmetic.
///
/// `DateFormatter` is slow and locale-sensitive; the server's ISO output is a fixed shape, and
/// `Date` is an instant, so proleptic Gregorian day counting in UTC is all that is needed.
enum PostgresTimestamp {
    /// Formats `date` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, rounded to the microsecond `timestamptz` keeps.
    static func format(_ date: Date) -> String {
        // 1.7e15 µs is far below 2^53, so the product is an exact integer after rounding.
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (seconds, fraction) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        let hour = Int(secondOfDay / 3600), minute = Int(secondOfDay % 3600 / 60), second = Int(secondOfDay % 60)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(Int(fraction), 6))Z"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.f…][±HH[:MM[:SS]]|Z]`; a missing offset means UTC (plain `timestamp`).
    static func parse(_ text: String) -> Date? {
        var scanner = ByteScanner(Array(text.utf8))
        guard let year = scanner.number(minDigits: 4), scanner.eat("-"),
              let month = scanner.number(minDigits: 2, maxDigits: 2), scanner.eat("-"),
              let day = scanner.number(minDigits: 2, maxDigits: 2),
              scanner.eat(" ") || scanner.eat("T"),
              let hour = scanner.number(minDigits: 2, maxDigits: 2), scanner.eat(":"),
              let minute = scanner.number(minDigits: 2, maxDigits: 2), scanner.eat(":"),
              let second = scanner.number(minDigits: 2, maxDigits: 2),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var micros = 0
        if scanner.eat(".") {
            var digits = 0
            while let d = scanner.digit() {
                if digits < 6 { micros = micros * 10 + d }
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offsetSeconds = 0
        if scanner.eat("Z") {
            // UTC.
        } else if let sign = scanner.sign() {
            guard let offsetHours = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
            var offset = offsetHours * 3600
            if scanner.eat(":") {
                guard let m = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                offset += m * 60
                if scanner.eat(":") {
                    guard let s = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                    offset += s
                }
            }
            offsetSeconds = sign * offset
        }
        guard scanner.atEnd else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        let totalMicros = seconds * 1_000_000 + Int64(micros)
        return Date(timeIntervalSince1970: Double(totalMicros) / 1_000_000)
    }

    /// Days in `month` of `year` in the proleptic Gregorian calendar.
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Zero-pads a non-negative number to `width` digits.
    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Division rounding towards negative infinity, so instants before 1970 land on the right day.
    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b, r = a % b
        if r < 0 { q -= 1; r += b }
        return (q, r)
    }

    /// Days since 1970-01-01 → (year, month, day); Howard Hinnant's `civil_from_days`.
    private static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }

    /// (year, month, day) → days since 1970-01-01; Howard Hinnant's `days_from_civil`.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// A cursor over ASCII bytes for the fixed-shape formats the server emits.
private struct ByteScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func eat(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    mutating func digit() -> Int? {
        guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { return nil }
        defer { index += 1 }
        return Int(bytes[index] - 48)
    }

    mutating func sign() -> Int? {
        if eat("+") { return 1 }
        if eat("-") { return -1 }
        return nil
    }

    mutating func number(minDigits: Int, maxDigits: Int = 9) -> Int? {
        var value = 0, count = 0
        while count < maxDigits, let d = digit() {
            value = value * 10 + d
            count += 1
        }
        return count >= minDigits ? value : nil
    }
}
