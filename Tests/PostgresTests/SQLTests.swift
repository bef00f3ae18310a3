import Testing
@testable import Postgres

struct SQLTests {
    @Test func interpolatedValuesBecomeNumberedPlaceholders() {
        let email = "a@example.test"
        let limit = 10
        let sql: SQL = "SELECT id FROM users WHERE email = \(email) AND active = \(true) LIMIT \(limit)"
        #expect(sql.text == "SELECT id FROM users WHERE email = $1 AND active = $2 LIMIT $3")
        #expect(sql.binds == ["a@example.test", "true", "10"])
    }

    @Test func valuesThatLookLikeSQLStayOutOfTheText() {
        let hostile = "x'; DROP TABLE users; --"
        let sql: SQL = "SELECT \(hostile)"
        #expect(sql.text == "SELECT $1")
        #expect(sql.binds == [hostile])
    }

    @Test func nilOptionalBindsNull() {
        let missing: String? = nil
        let sql: SQL = "INSERT INTO t VALUES (\(missing), \(Optional(3)))"
        #expect(sql.text == "INSERT INTO t VALUES ($1, $2)")
        #expect(sql.binds == [nil, "3"])
    }

    @Test func unsafeRawIsPastedVerbatimWithoutBinding() {
        let sql: SQL = "SELECT * FROM t WHERE a = \(1) \(unsafeRaw: "ORDER BY created_at DESC")"
        #expect(sql.text == "SELECT * FROM t WHERE a = $1 ORDER BY created_at DESC")
        #expect(sql.binds == ["1"])
        #expect(SQL.unsafeRaw("SELECT 1").binds.isEmpty)
    }

    @Test func plusRenumbersTheRightHandPlaceholders() {
        let base: SQL = "SELECT * FROM t WHERE a = \(1) AND b = \(2)"
        let more: SQL = " AND c = \(3) AND d = \(4)"
        let sql = base + more
        #expect(sql.text == "SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3 AND d = $4")
        #expect(sql.binds == ["1", "2", "3", "4"])
    }

    @Test func plusDoesNotTouchDollarSignsInsideLiterals() {
        let sql = SQL("SELECT '$1' || \(1)") + SQL(" || '$1' || \(2)")
        #expect(sql.text == "SELECT '$1' || $1 || '$1' || $2")
    }

    @Test func embeddedFragmentIsRenumberedInPlace() {
        let filter: SQL = "status = \("pending") AND doctor_id = \(7)"
        let sql: SQL = "SELECT * FROM a WHERE clinic_id = \(3) AND \(fragment: filter) LIMIT \(5)"
        #expect(sql.text == "SELECT * FROM a WHERE clinic_id = $1 AND status = $2 AND doctor_id = $3 LIMIT $4")
        #expect(sql.binds == ["3", "pending", "7", "5"])
    }

    @Test func descriptionShowsTextButNeverValues() {
        let sql: SQL = "SELECT * FROM users WHERE password_hash = \("secret")"
        #expect("\(sql)" == "SELECT * FROM users WHERE password_hash = $1")
    }
}
