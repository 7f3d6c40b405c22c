import Foundation
import HubPostgres
import Testing

@Suite("PostgreSQL migrations", .enabled(if: TestServers.hasDatabase))
struct PostgresMigratorTests {
    static let migrations = [
        Migration(version: 1, name: "create_clsm", sql: "CREATE TABLE clsm (id text PRIMARY KEY, name text NOT NULL)"),
        Migration(
            version: 2, name: "add_region",
            sql: """
                ALTER TABLE clsm ADD COLUMN region text;
                CREATE INDEX clsm_region ON clsm (region);
                """),
    ]

    @Test("pending migrations apply once, in order, and a second run applies nothing")
    func applyOnce() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            let migrator = try PostgresMigrator(migrations: Self.migrations.reversed(), schema: schema)
            let first = try await migrator.migrate(on: connection)
            #expect(first.applied.map(\.version) == [1, 2])
            #expect(first.alreadyApplied.isEmpty)
            try await connection.execute("INSERT INTO clsm (id, name, region) VALUES (\("c1"), \("Lille"), \("32"))")

            let second = try await migrator.migrate(on: connection)
            #expect(second.applied.isEmpty)
            #expect(second.alreadyApplied == [1, 2])

            let third = Migration(version: 3, name: "add_active", sql: "ALTER TABLE clsm ADD COLUMN active boolean NOT NULL DEFAULT true")
            let later = try await PostgresMigrator(migrations: Self.migrations + [third], schema: schema).migrate(on: connection)
            #expect(later.applied.map(\.version) == [3])
            let recorded = try await connection.query(
                "SELECT version, name, checksum, applied_at FROM hub_schema_migrations ORDER BY version")
            #expect(try recorded.map { try $0.decode(Int.self, at: "version") } == [1, 2, 3])
            #expect(try recorded[2].decode(String.self, at: "checksum") == third.checksum)
            #expect(try await connection.query("SELECT active FROM clsm").scalar(Bool.self))
        }
    }

    @Test("a migration changed after it was applied is refused with a clear error")
    func changedChecksum() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await PostgresMigrator(migrations: Self.migrations, schema: schema).migrate(on: connection)
            var changed = Self.migrations
            changed[1] = Migration(version: 2, name: "add_region", sql: "ALTER TABLE clsm ADD COLUMN region varchar(3)")
            let third = Migration(version: 3, name: "never", sql: "CREATE TABLE never_applied (x int)")
            let error = await #expect(throws: PostgresError.self) {
                try await PostgresMigrator(migrations: changed + [third], schema: schema).migrate(on: connection)
            }
            #expect(error?.kind == .migrationFailed)
            #expect(error?.description.contains("migration 2 (add_region) was changed after it was applied") == true)
            let exists = try await connection.query("SELECT to_regclass(\("\(schema).never_applied")) IS NOT NULL")
            #expect(try exists.scalar(Bool.self) == false)
        }
    }

    @Test("a failing migration leaves neither its changes nor its record; earlier ones stay")
    func failingMigration() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            let broken = Migration(version: 3, name: "broken", sql: "CREATE TABLE half_done (x int); SELECT 1/0;")
            let error = await #expect(throws: PostgresError.self) {
                try await PostgresMigrator(migrations: Self.migrations + [broken], schema: schema).migrate(on: connection)
            }
            #expect(error?.sqlState == "22012")
            #expect(error?.description.contains("migration 3 broken") == true)
            let versions = try await connection.query("SELECT version FROM hub_schema_migrations ORDER BY version")
            #expect(try versions.map { try $0.decode(Int.self, at: 0) } == [1, 2])
            #expect(try await connection.query("SELECT to_regclass('half_done') IS NULL").scalar(Bool.self))
        }
    }

    @Test("two migrators racing apply each migration once")
    func concurrentMigrators() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            let configuration = try PostgresTestDatabase.configuration().withSearchPath([schema])
            let slow = Migration(version: 3, name: "slow", sql: "SELECT pg_sleep(0.3); CREATE TABLE slow_one (x int);")
            let migrator = try PostgresMigrator(migrations: Self.migrations + [slow], schema: schema)
            let reports = try await withThrowingTaskGroup(of: MigrationReport.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let own = try await PostgresConnection.connect(configuration)
                        do {
                            let report = try await migrator.migrate(on: own)
                            await own.close()
                            return report
                        } catch {
                            await own.close()
                            throw error
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.flatMap(\.applied).map(\.version).sorted() == [1, 2, 3])
            #expect(try await connection.query("SELECT count(*) FROM hub_schema_migrations").scalar(Int.self) == 3)
        }
    }

    @Test("a bad migration list is refused before touching the database")
    func badList() throws {
        #expect(throws: PostgresError.self) {
            try PostgresMigrator(migrations: [Migration(version: 1, name: "a", sql: ""), Migration(version: 1, name: "b", sql: "")])
        }
        #expect(throws: PostgresError.self) { try PostgresMigrator(migrations: [Migration(version: 0, name: "zero", sql: "")]) }
    }
}
