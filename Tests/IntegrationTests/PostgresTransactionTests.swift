import Foundation
import HubPostgres
import Testing

@Suite("PostgreSQL transactions", .enabled(if: TestServers.hasDatabase))
struct PostgresTransactionTests {
    struct Refused: Error, Equatable {}

    private func count(_ connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM ledger").scalar(Int.self)
    }

    @Test("a Swift error thrown inside rolls everything back and comes out unchanged")
    func rollbackOnSwiftError() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE ledger (id int PRIMARY KEY, note text)")
            await #expect(throws: Refused()) {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO ledger VALUES (\(1), \("first"))")
                    try await tx.execute("INSERT INTO ledger VALUES (\(2), \("second"))")
                    throw Refused()
                }
            }
            #expect(try await count(connection) == 0)
        }
    }

    @Test("a failing statement rolls the earlier ones back; the error says so")
    func rollbackOnSQLError() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE ledger (id int PRIMARY KEY, note text)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO ledger VALUES (\(1), \("first"))")
                    try await tx.execute("INSERT INTO ledger VALUES (\(1), \("duplicate"))")
                }
            }
            #expect(error?.sqlState == "23505")
            #expect(error?.context == "transaction rolled back")
            #expect(error?.description.contains("transaction rolled back") == true)
            #expect(try await count(connection) == 0)
            // The connection is usable again, outside any transaction.
            try await connection.execute("INSERT INTO ledger VALUES (\(3), \("after"))")
            #expect(try await count(connection) == 1)
        }
    }

    @Test("a committed transaction keeps its rows and returns the body's value")
    func commit() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE ledger (id int PRIMARY KEY, note text)")
            let inserted = try await connection.transaction { tx in
                try await tx.execute("INSERT INTO ledger VALUES (\(1), \("a")), (\(2), \("b"))")
            }
            #expect(inserted == 2)
            #expect(try await count(connection) == 2)
        }
    }

    @Test("a nested transaction is a savepoint: its failure undoes only its own work")
    func nested() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE ledger (id int PRIMARY KEY, note text)")
            try await connection.transaction { tx in
                try await tx.execute("INSERT INTO ledger VALUES (\(1), \("outer"))")
                await #expect(throws: Refused()) {
                    try await tx.transaction { inner in
                        try await inner.execute("INSERT INTO ledger VALUES (\(2), \("inner"))")
                        throw Refused()
                    }
                }
                try await tx.execute("INSERT INTO ledger VALUES (\(3), \("outer again"))")
            }
            let ids = try await connection.query("SELECT id FROM ledger ORDER BY id").map { try $0.decode(Int.self, at: 0) }
            #expect(ids == [1, 3])
        }
    }

    @Test("swallowing a failed statement's error does not commit the rest")
    func swallowedErrorDoesNotCommit() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE ledger (id int PRIMARY KEY, note text)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO ledger VALUES (\(1), \("kept?"))")
                    _ = try? await tx.execute("INSERT INTO ledger VALUES (\(1), \("duplicate"))")
                }
            }
            #expect(error?.description.contains("rolled the transaction back") == true)
            #expect(try await count(connection) == 0)
        }
    }
}
