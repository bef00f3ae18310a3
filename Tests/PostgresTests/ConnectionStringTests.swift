import Postgres
import Testing

struct ConnectionStringTests {
    @Test func conninfoQuotesValues() {
        #expect(ConnectionString.conninfo(["host": "/tmp/it's here", "dbname": #"a\b"#]) == #"dbname='a\\b' host='/tmp/it\'s here'"#)
    }

    @Test func replacingDatabaseKeepsEveryOtherParameter() throws {
        let url = try ConnectionString.replacingDatabase(in: "postgresql://alice:s%20cret@db.example:6543/clinic?sslmode=require", with: "t_1")
        #expect(url.contains("dbname='t_1'"))
        #expect(url.contains("host='db.example'"))
        #expect(url.contains("port='6543'"))
        #expect(url.contains("password='s cret'"))
        #expect(url.contains("sslmode='require'"))
        #expect(!url.contains("clinic"))
    }

    @Test func malformedURLIsRejected() {
        #expect(throws: PostgresError.self) { try ConnectionString.replacingDatabase(in: "host='unterminated", with: "x") }
    }
}
