import Foundation
import HubPostgres
import Testing

/// `PostgresMigrator.requireCurrent`, what hub-workers runs at start-up instead of migrating:
/// it reads, never writes, and says what to do when the schema is not the build's.
@Suite("Schema version check", .enabled(if: TestServers.hasDatabase))
struct SchemaVersionCheckTests {
    static let migrations = [
        Migration(version: 1, name: "create_clsm", sql: "CREATE TABLE clsm (id text PRIMARY KEY)"),
        Migration(version: 2, name: "add_region", sql: "ALTER TABLE clsm ADD COLUMN region text"),
    ]

    private func tables(_ schema: String, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \(schema) ORDER BY 1"
        ).map { try $0.decode(String.self, at: 0) }
    }

    @Test("current: the version; never migrated, behind, ahead or changed: refused with what to do, nothing written")
    func requireCurrent() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            let check = try PostgresMigrator(migrations: Self.migrations)
            let missing = await #expect(throws: PostgresError.self) { try await check.requireCurrent(on: connection) }
            #expect(missing?.kind == .migrationFailed)
            #expect(missing?.description.contains("hub_schema_migrations is missing") == true, "\(String(describing: missing))")
            #expect(try await tables(schema, on: connection).isEmpty, "the check created nothing")

            try await PostgresMigrator(migrations: [Self.migrations[0]], schema: schema).migrate(on: connection)
            let behind = await #expect(throws: PostgresError.self) { try await check.requireCurrent(on: connection) }
            #expect(
                behind?.description.contains("the schema is at version 1 and this hub needs version 2 (migrations 2 not applied)")
                    == true, "\(String(describing: behind))")
            #expect(behind?.description.contains("run hub-admin migrate") == true)
            #expect(try await tables(schema, on: connection) == ["clsm", "hub_schema_migrations"], "the check applied nothing")

            try await PostgresMigrator(migrations: Self.migrations, schema: schema).migrate(on: connection)
            #expect(try await check.requireCurrent(on: connection) == 2)

            let older = try PostgresMigrator(migrations: [Self.migrations[0]])
            let ahead = await #expect(throws: PostgresError.self) { try await older.requireCurrent(on: connection) }
            #expect(ahead?.description.contains("is a newer hub running against it?") == true, "\(String(describing: ahead))")

            let changed = try PostgresMigrator(migrations: [
                Self.migrations[0], Migration(version: 2, name: "add_region", sql: "ALTER TABLE clsm ADD COLUMN region varchar(3)"),
            ])
            let edited = await #expect(throws: PostgresError.self) { try await changed.requireCurrent(on: connection) }
            #expect(edited?.description.contains("was changed after it was applied") == true, "\(String(describing: edited))")
        }
    }
}
