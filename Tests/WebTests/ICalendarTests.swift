import Foundation
import Testing
import Views

@Suite("RFC 5545 writer")
struct ICalendarTests {
    /// Unfolds (RFC 5545 §3.1: CRLF followed by one space or tab continues the line) and returns the
    /// VEVENT's properties by name (parameters dropped); values stay escaped.
    static func parse(_ text: String) -> [String: String] {
        let unfolded = text.replacingOccurrences(of: "\r\n ", with: "").replacingOccurrences(of: "\r\n\t", with: "")
        var properties: [String: String] = [:]
        var inEvent = false
        for line in unfolded.components(separatedBy: "\r\n") where !line.isEmpty {
            if line == "BEGIN:VEVENT" { inEvent = true; continue }
            if line == "END:VEVENT" { inEvent = false; continue }
            guard inEvent, let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].split(separator: ";")[0]
            properties[String(name)] = String(line[line.index(after: colon)...])
        }
        return properties
    }

    static func unescape(_ value: String) -> String {
        var out = ""
        var escaping = false
        for character in value {
            if escaping {
                out.append(character == "n" || character == "N" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func event(summary: String = "Consultation", location: String = "Riverside", status: ICalendar.Status = .confirmed) -> ICalendar.Event {
        ICalendar.Event(uid: "appointment-7@clinic-portal", stamp: Date(timeIntervalSince1970: 1_781_078_400),
                        start: Date(timeIntervalSince1970: 1_781_506_800), end: Date(timeIntervalSince1970: 1_781_508_000),
                        summary: summary, location: location, status: status)
    }

    @Test func textValuesEscapeBackslashSemicolonCommaAndLineBreaks() {
        #expect(ICalendar.escapeText(#"a\b;c,d"#) == #"a\\b\;c\,d"#)
        #expect(ICalendar.escapeText("one\ntwo\r\nthree\rfour") == #"one\ntwo\nthree\nfour"#)
        #expect(ICalendar.escapeText("bell\u{07}tab\t") == "belltab\t")
    }

    @Test func linesAreFoldedAt75OctetsWithoutSplittingUTF8() {
        let long = "SUMMARY:" + String(repeating: "ä", count: 80)  // 8 + 160 octets
        let folded = ICalendar.fold(long)
        let lines = folded.components(separatedBy: "\r\n")
        #expect(lines.count > 2)
        #expect(lines.allSatisfy { $0.utf8.count <= 75 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(folded.replacingOccurrences(of: "\r\n ", with: "") == long)
        #expect(ICalendar.fold("SHORT:line") == "SHORT:line")
        let exact = String(repeating: "x", count: 75)
        #expect(ICalendar.fold(exact) == exact)
        #expect(ICalendar.fold(exact + "y") == exact + "\r\n y")
    }

    @Test func everyLineEndsInCRLFAndTheEventParsesBack() {
        let summary = "Check-up; bring results, and \\ notes\nsecond line " + String(repeating: "long ", count: 20)
        let text = ICalendar(events: [Self.event(summary: summary, location: "Flussufer 12, Berlin", status: .tentative)]).serialized()
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"))
        #expect(text.hasSuffix("END:VCALENDAR\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 75 })
        let event = Self.parse(text)
        #expect(event["UID"] == "appointment-7@clinic-portal")
        #expect(event["DTSTAMP"] == "20260610T080000Z")
        #expect(event["DTSTART"] == "20260615T070000Z")
        #expect(event["DTEND"] == "20260615T072000Z")
        #expect(event["STATUS"] == "TENTATIVE")
        #expect(Self.unescape(event["SUMMARY"] ?? "") == summary)
        #expect(Self.unescape(event["LOCATION"] ?? "") == "Flussufer 12, Berlin")
    }

    @Test func utcTimesUseTheBasicFormWithZ() {
        #expect(ICalendar.utc(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(ICalendar.utc(Date(timeIntervalSince1970: 1_774_749_600)) == "20260329T020000Z")
    }
}
