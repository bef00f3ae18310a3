import Foundation
import Postgres
import Testing
import TestSupport

/// Round trips every supported type through a real server: encode as a parameter, cast to the SQL type, decode.
struct PostgresDecodableTests {
    private func roundTrip<T: PostgresEncodable & PostgresDecodable>(_ value: T, as sqlType: String, on connection: PostgresConnection) throws -> T {
        let rows = try connection.query("SELECT \(value)\(unsafeRaw: "::" + sqlType) AS v")
        return try #require(rows.first).decode("v", as: T.self)
    }

    @Test func scalarTypesRoundTrip() throws {
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        try pool.withConnection { (c: PostgresConnection) throws in
            #expect(try roundTrip("héllo ✓ 'quoted' \\ back", as: "text", on: c) == "héllo ✓ 'quoted' \\ back")
            #expect(try roundTrip("", as: "text", on: c) == "")
            #expect(try roundTrip(Int.max, as: "bigint", on: c) == Int.max)
            #expect(try roundTrip(Int.min, as: "bigint", on: c) == Int.min)
            #expect(try roundTrip(Int32.min, as: "integer", on: c) == Int32.min)
            #expect(try roundTrip(Int64(-42), as: "bigint", on: c) == -42)
            #expect(try roundTrip(true, as: "boolean", on: c) == true)
            #expect(try roundTrip(false, as: "boolean", on: c) == false)
            #expect(try roundTrip(0.1, as: "double precision", on: c) == 0.1)
            #expect(try roundTrip(-1.5e-300, as: "double precision", on: c) == -1.5e-300)
            #expect(try roundTrip(Double.infinity, as: "double precision", on: c) == .infinity)
            #expect(try roundTrip(Double.nan, as: "double precision", on: c).isNaN)
        }
    }

    @Test func timestamptzKeepsMicroseconds() throws {
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        try pool.withConnection { (c: PostgresConnection) throws in
            let date = Date(timeIntervalSince1970: 1_714_555_800.654321)
            let back = try roundTrip(date, as: "timestamptz", on: c)
            #expect(back.postgresText == "2024-05-01T09:30:00.654321Z")
            #expect(abs(back.timeIntervalSince(date)) < 0.000_001)
            // The server's own clock and arithmetic agree with ours.
            let row = try #require(c.query("SELECT '2024-05-01 12:00:00.000001+02'::timestamptz AS t").first)
            #expect(try row.decode("t", as: Date.self).postgresText == "2024-05-01T10:00:00.000001Z")
        }
    }

    @Test func datesUUIDsJSONAndBytesRoundTrip() throws {
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        try pool.withConnection { (c: PostgresConnection) throws in
            #expect(try roundTrip(PostgresDate(year: 2024, month: 2, day: 29), as: "date", on: c) == PostgresDate(year: 2024, month: 2, day: 29))
            let id = UUID()
            #expect(try roundTrip(id, as: "uuid", on: c) == id)
            let json = try roundTrip(JSONText(#"{"b": [1, 2], "a": "x"}"#), as: "jsonb", on: c)
            #expect(json == JSONText(#"{"a": "x", "b": [1, 2]}"#))
            let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xff, 0x5c, 0x27]
            #expect(try roundTrip(bytes, as: "bytea", on: c) == bytes)
            #expect(try roundTrip([UInt8](), as: "bytea", on: c) == [])
        }
    }

    @Test func nullDecodesToNilAndFailsForNonOptionalTypes() throws {
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        try pool.withConnection { (c: PostgresConnection) throws in
            let missing: Int? = nil
            let row = try #require(c.query("SELECT \(missing)::integer AS n, \(Optional(5))::integer AS five").first)
            #expect(try row.decode("n", as: Int?.self) == nil)
            #expect(try row.decode("five", as: Int?.self) == 5)
            #expect(try row.decode(1, as: Int.self) == 5)
            for decode in [{ _ = try row.decode("n", as: Int.self) }, { _ = try row.decode("n", as: String.self) },
                           { _ = try row.decode("n", as: Date.self) }, { _ = try row.decode("n", as: UUID.self) }] {
                #expect(throws: PostgresError.self) { try decode() }
            }
        }
    }

    @Test func decodingErrorsNameTheColumn() throws {
        let (_, pool) = try TestDatabase.freshEmpty()
        defer { pool.close() }
        try pool.withConnection { (c: PostgresConnection) throws in
            let row = try #require(c.query("SELECT 'abc'::text AS word").first)
            #expect(throws: PostgresError.decoding("column \"word\": cannot decode Int from \"abc\"")) { _ = try row.decode("word", as: Int.self) }
            #expect(throws: PostgresError.self) { _ = try row.decode("nope", as: String.self) }
            #expect(throws: PostgresError.self) { _ = try row.decode(3, as: String.self) }
        }
    }
}
