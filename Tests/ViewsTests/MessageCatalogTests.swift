import Foundation
import Testing
@testable import Views

@Suite("Message catalog")
struct MessageCatalogTests {
    private func catalog() throws -> MessageCatalog {
        try MessageCatalog(languages: [
            "en": ["nav.sign_in": "Sign in", "greeting": "Hello, {name}", "only.english": "English only"],
            "de": ["nav.sign_in": "Anmelden", "greeting": "Hallo, {name}"],
        ])
    }

    @Test(arguments: [
        (nil, "en"), ("de", "de"), ("de-AT,de;q=0.9", "de"), ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", "en"),
        ("fr, de;q=0.5", "de"), ("de;q=0, en", "en"), ("*", "en"), ("", "en"), ("xx;q=abc", "en"),
    ] as [(String?, String)])
    func languageFollowsAcceptLanguageWithEnglishAsFallback(header: String?, expected: String) throws {
        #expect(try catalog().language(forAcceptLanguage: header) == expected)
    }

    @Test func missingTranslationsFallBackToEnglish() throws {
        let catalog = try catalog()
        #expect(catalog.format("only.english", language: "de") == "English only")
        #expect(catalog.format("greeting", language: "de", ["name": "Ada"]) == "Hallo, Ada")
        #expect(catalog.format("no.such.key", language: "de") == "no.such.key", "a missing key is visible, not blank")
        let nested = catalog.templateStrings(for: "de")
        #expect((nested["nav"] as? [String: Any])?["sign_in"] as? String == "Anmelden")
        #expect((nested["only"] as? [String: Any])?["english"] as? String == "English only")
    }

    @Test func aKeyThatIsAlsoAPrefixOfAnotherIsRefusedAtStart() {
        #expect(throws: TemplateRenderer.TemplateError.self) {
            try MessageCatalog(languages: ["en": ["field.password": "Password", "field.password.hint": "Long"]])
        }
    }

    @Test func theShippedCatalogLoadsWithoutClashes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = try MessageCatalog(directory: root.path + "/Templates/i18n")
        #expect(catalog.format("app.name", language: "en") == "Clinic Portal")
    }
}

@Suite("Time formatting")
struct TimeFormattingTests {
    @Test func timesAreShownInTheClinicsZoneNotTheServers() {
        let instant = Date(timeIntervalSince1970: 1_782_028_800)  // 2026-06-21 08:00 UTC
        #expect(TimeFormatting.time(instant, in: TimeZone(identifier: "Europe/Berlin")!) == "10:00")
        #expect(TimeFormatting.time(instant, in: TimeZone(identifier: "Asia/Tokyo")!) == "17:00")
        #expect(TimeFormatting.dateTime(instant, in: TimeZone(identifier: "America/New_York")!) == "Sun 21 Jun 2026, 04:00")
        #expect(TimeFormatting.zoneName(TimeZone(identifier: "Europe/Berlin")!, at: instant).hasPrefix("Europe/Berlin"))
    }

    @Test(arguments: ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "UTC"])
    func formatsMatchFoundationsEnglishFormatterAcrossTheYears(zoneName: String) {
        let zone = TimeZone(identifier: zoneName)!
        var formatters: [String: DateFormatter] = [:]
        func foundation(_ pattern: String, _ date: Date) -> String {
            if formatters[pattern] == nil {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_GB")
                formatter.timeZone = zone
                formatter.dateFormat = pattern
                formatters[pattern] = formatter
            }
            return formatters[pattern]!.string(from: date)
        }
        var generator = SystemRandomNumberGenerator()
        // Instants from 2020 to 2032, plus the hours around this zone's 2026 daylight-saving changes.
        var instants = (0..<300).map { _ in Date(timeIntervalSince1970: Double.random(in: 1_577_836_800...1_988_150_400, using: &generator)) }
        var probe = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        while probe.timeIntervalSince1970 < 1_798_761_600 {
            if let change = zone.nextDaylightSavingTimeTransition(after: probe) {
                instants += stride(from: -7200.0, through: 7200, by: 900).map { change.addingTimeInterval($0) }
                probe = change.addingTimeInterval(1)
            } else { break }
        }
        for instant in instants {
            #expect(TimeFormatting.dateTime(instant, in: zone) == foundation("EEE d MMM yyyy, HH:mm", instant), "\(instant)")
            #expect(TimeFormatting.longDate(instant, in: zone) == foundation("EEEE d MMMM yyyy", instant), "\(instant)")
            #expect(TimeFormatting.shortDate(instant, in: zone) == foundation("EEE d MMM", instant), "\(instant)")
            #expect(TimeFormatting.time(instant, in: zone) == foundation("HH:mm", instant), "\(instant)")
        }
    }

    @Test func zoneNamesFollowDaylightSavingEvenWhenRemembered() {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let summer = Date(timeIntervalSince1970: 1_782_028_800)  // 2026-06-21
        let winter = Date(timeIntervalSince1970: 1_768_953_600)  // 2026-01-21
        let first = (TimeFormatting.zoneName(berlin, at: summer), TimeFormatting.zoneName(berlin, at: winter))
        #expect(first.0 != first.1, "summer and winter abbreviations differ: \(first)")
        #expect(TimeFormatting.zoneName(berlin, at: summer) == first.0)
        #expect(TimeFormatting.zoneName(berlin, at: winter) == first.1)
        #expect(TimeFormatting.zoneName(TimeZone(identifier: "Asia/Tokyo")!, at: summer).hasPrefix("Asia/Tokyo"))
    }
}
