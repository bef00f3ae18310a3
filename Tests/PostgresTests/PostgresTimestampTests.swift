import Foundation
import Testing
@testable import Postgres

struct PostgresTimestampTests {
    @Test func formatsUTCWithMicroseconds() {
        let date = Date(timeIntervalSince1970: 1_714_555_800.123456)
        #expect(PostgresTimestamp.format(date) == "2024-05-01T09:30:00.123456Z")
    }

    @Test func formatsInstantsBefore1970OnTheRightDay() {
        #expect(PostgresTimestamp.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500000Z")
    }

    @Test func parsesServerOutputWithOffsets() throws {
        let utc = try #require(PostgresTimestamp.parse("2024-05-01 09:30:00.123456+00"))
        #expect(PostgresTimestamp.format(utc) == "2024-05-01T09:30:00.123456Z")
        let shifted = try #require(PostgresTimestamp.parse("2024-05-01 11:00:00+05:30"))
        #expect(PostgresTimestamp.format(shifted) == "2024-05-01T05:30:00.000000Z")
        let shortFraction = try #require(PostgresTimestamp.parse("2024-02-29 00:00:00.5-01"))
        #expect(PostgresTimestamp.format(shortFraction) == "2024-02-29T01:00:00.500000Z")
    }

    @Test func rejectsMalformedAndImpossibleTimestamps() {
        #expect(PostgresTimestamp.parse("infinity") == nil)
        #expect(PostgresTimestamp.parse("2023-02-29 00:00:00+00") == nil)
        #expect(PostgresTimestamp.parse("2024-05-01 09:30:00+00 BC") == nil)
        #expect(PostgresTimestamp.parse("2024-05-01") == nil)
    }

    @Test func postgresDateParsesAndOrders() throws {
        let date = try #require(PostgresDate("2024-02-29"))
        #expect(date == PostgresDate(year: 2024, month: 2, day: 29))
        #expect(PostgresDate("2023-02-29") == nil)
        #expect(PostgresDate("2024-1-01") == nil)
        #expect(PostgresDate(year: 2024, month: 1, day: 31) < PostgresDate(year: 2024, month: 2, day: 1))
        #expect(PostgresDate(year: 987, month: 3, day: 4).description == "0987-03-04")
    }
}
