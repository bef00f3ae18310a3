import Foundation

/// Writes iCalendar files (RFC 5545) holding events, for "add to my calendar" downloads.
///
/// Only what the portal needs: a VCALENDAR with VEVENTs, times in UTC, TEXT values escaped and
/// long lines folded. Output is a `String` whose lines end in CRLF.
public struct ICalendar: Sendable, Equatable {
    /// The status of an event (RFC 5545 §3.8.1.11, values for VEVENT).
    public enum Status: String, Sendable {
        case tentative = "TENTATIVE"
        case confirmed = "CONFIRMED"
        case cancelled = "CANCELLED"
    }

    /// One VEVENT.
    public struct Event: Sendable, Equatable {
        /// Globally unique and stable for the same appointment, so calendars update rather than duplicate (§3.8.4.7).
        public var uid: String
        /// When this calendar object was created (§3.8.7.2).
        public var stamp: Date
        public var start: Date
        public var end: Date
        public var summary: String
        public var location: String
        public var description: String
        public var status: Status
        /// Revision number; raise it whenever the event changes (§3.8.7.4).
        public var sequence: Int
        public var lastModified: Date?

        public init(uid: String, stamp: Date, start: Date, end: Date, summary: String, location: String = "",
                    description: String = "", status: Status, sequence: Int = 0, lastModified: Date? = nil) {
            self.uid = uid
            self.stamp = stamp
            self.start = start
            self.end = end
            self.summary = summary
            self.location = location
            self.description = description
            self.status = status
            self.sequence = sequence
            self.lastModified = lastModified
        }
    }

    /// Identifies the product that wrote the file (§3.7.3).
    public var productID: String
    public var events: [Event]

    public init(productID: String = "-//Clinic Portal//Appointments//EN", events: [Event]) {
        self.productID = productID
        self.events = events
    }

    /// The file's text: content lines folded at 75 octets, each ending in CRLF.
    public func serialized() -> String {
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:" + Self.escapeText(productID), "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
        for event in events {
            lines.append("BEGIN:VEVENT")
            lines.append("UID:" + Self.escapeText(event.uid))
            lines.append("DTSTAMP:" + Self.utc(event.stamp))
            lines.append("DTSTART:" + Self.utc(event.start))
            lines.append("DTEND:" + Self.utc(event.end))
            lines.append("SUMMARY:" + Self.escapeText(event.summary))
            if !event.location.isEmpty { lines.append("LOCATION:" + Self.escapeText(event.location)) }
            if !event.description.isEmpty { lines.append("DESCRIPTION:" + Self.escapeText(event.description)) }
            lines.append("STATUS:" + event.status.rawValue)
            lines.append("SEQUENCE:" + String(event.sequence))
            if let modified = event.lastModified { lines.append("LAST-MODIFIED:" + Self.utc(modified)) }
            lines.append("END:VEVENT")
        }
        lines.append("END:VCALENDAR")
        return lines.map { Self.fold($0) + "\r\n" }.joined()
    }

    // MARK: - Value encoding

    /// RFC 5545 §3.3.11: backslash, semicolon and comma are escaped with a backslash, a line
    /// break becomes `\n` (CRLF and lone CR included), other control characters are dropped.
    public static func escapeText(_ text: String) -> String {
        var out = ""
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\r": out += "\\n"
            case "\n": if !previousWasCR { out += "\\n" }
            case "\t": out.unicodeScalars.append(scalar)
            default:
                // §3.1: CONTROL characters other than HTAB are not allowed in values.
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// RFC 5545 §3.1: a line longer than 75 octets is split, the continuation lines starting with
    /// one space; splits never fall inside a UTF-8 multi-octet sequence.
    public static func fold(_ line: String) -> String {
        var out = ""
        var octets = 0
        var limit = 75
        for scalar in line.unicodeScalars {
            let size = UTF8.width(scalar)
            if octets + size > limit {
                out += "\r\n "
                octets = 0
                limit = 74  // the leading space counts towards the next line's 75
            }
            out.unicodeScalars.append(scalar)
            octets += size
        }
        return out
    }

    /// RFC 5545 §3.3.5, form #2: date with UTC time, `19980119T070000Z`.
    public static func utc(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.year, 4) + pad(parts.month, 2) + pad(parts.day, 2) + "T"
            + pad(parts.hour, 2) + pad(parts.minute, 2) + pad(parts.second, 2) + "Z"
    }
}
