import Foundation
import Testing
import TestSupport
@testable import Postgres

struct PostgresErrorTests {
    @Test(arguments: [
        ("23505", PostgresError.uniqueViolation(constraint: "c")),
        ("23P01", .exclusionViolation(constraint: "c")),
        ("23503", .foreignKeyViolation(constraint: "c")),
        ("23514", .checkViolation(constraint: "c")),
        ("40001", .serializationFailure),
        ("40P01", .deadlockDetected),
        ("57014", .queryCanceled),
        ("57P01", .connectionFailed("m")),
        ("08006", .connectionFailed("m")),
        ("42601", .server(sqlstate: "42601", message: "m")),
    ])
    func sqlstateMapsToItsCase(sqlstate: String, expected: PostgresError) {
        #expect(PostgresError(sqlstate: sqlstate, message: "m", constraint: "c") == expected)
    }

    /// A database with tables that can violate each kind of constraint.
    private func constrainedDatabase() throws -> (String, PostgresPool) {
        let (url, pool) = try TestDatabase.freshEmpty()
        try pool.withConnection { (c: PostgresConnection) throws in
            try c.executeScript("""
                CREATE EXTENSION btree_gist;
                CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL CONSTRAINT users_email_key UNIQUE,
                                    age int CONSTRAINT users_age_check CHECK (age >= 0));
                CREATE TABLE bookings (id int PRIMARY KEY,
                                       user_id int NOT NULL CONSTRAINT bookings_user_fk REFERENCES users ON DELETE RESTRICT,
                                       room int NOT NULL, during tstzrange NOT NULL,
                                       CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&));
                INSERT INTO users VALUES (1, 'a@example.test', 30);
                """)
        }
        return (url, pool)
    }

    @Test func constraintViolationsCarryTheirConstraintName() throws {
        let (_, pool) = try constrainedDatabase()
        defer { pool.close() }
        try pool.withConnection { (c: PostgresConnection) throws in
            #expect(throws: PostgresError.uniqueViolation(constraint: "users_email_key")) {
                try c.execute("INSERT INTO users VALUES (\(2), \("a@example.test"), \(1))")
            }
            #expect(throws: PostgresError.checkViolation(constraint: "users_age_check")) {
                try c.execute("INSERT INTO users VALUES (\(3), \("b@example.test"), \(-1))")
            }
            #expect(throws: PostgresError.foreignKeyViolation(constraint: "bookings_user_fk")) {
                try c.execute("INSERT INTO bookings VALUES (\(1), \(99), \(1), tstzrange(now(), now() + interval '1 hour'))")
            }
            try c.execute("INSERT INTO bookings VALUES (\(1), \(1), \(1), tstzrange('2024-05-01 09:00+00', '2024-05-01 10:00+00'))")
            #expect(throws: PostgresError.exclusionViolation(constraint: "bookings_no_overlap")) {
                try c.execute("INSERT INTO bookings VALUES (\(2), \(1), \(1), tstzrange('2024-05-01 09:30+00', '2024-05-01 10:30+00'))")
            }
            #expect(throws: PostgresError.foreignKeyViolation(constraint: "bookings_user_fk")) {
                try c.execute("DELETE FROM users WHERE id = \(1)")
            }
            #expect(throws: PostgresError.server(sqlstate: "42P01", message: "relation \"missing\" does not exist")) {
                try c.query("SELECT * FROM missing")
            }
        }
    }

    @Test func writeSkewUnderSerializableRaisesSerializationFailure() throws {
        let (url, pool) = try constrainedDatabase()
        pool.close()
        let first = try PostgresConnection(url: url), second = try PostgresConnection(url: url)
        defer { first.close(); second.close() }
        try first.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        try second.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        _ = try first.query("SELECT count(*) FROM users")
        _ = try second.query("SELECT count(*) FROM users")
        try first.execute("INSERT INTO users VALUES (\(10), \("x@example.test"), \(1))")
        try first.execute("COMMIT")
        // Depending on timing PostgreSQL reports the conflict at the write or at COMMIT.
        #expect(throws: PostgresError.serializationFailure) {
            try second.execute("INSERT INTO users VALUES (\(11), \("y@example.test"), \(1))")
            try second.execute("COMMIT")
        }
    }
}
