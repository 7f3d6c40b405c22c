import Foundation
import HubPostgres
import Testing

/// The migrations are history and keep their text; the table descriptions the queries are
/// built from (`StateTables`) must describe what the migrations leave.
@Suite("State tables against the migrated schema", .enabled(if: TestServers.hasDatabase))
struct StateTablesSchemaTests {
    @Test("every table description matches the migrated table: columns, types, order, NOT NULL, primary key")
    func descriptionsMatchMigratedTables() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            for table in StateTables.all {
                let columns = try await connection.query(
                    """
                    SELECT column_name::text, udt_name::text, is_nullable::text FROM information_schema.columns
                     WHERE table_schema = \(schema) AND table_name = \(table.name) ORDER BY ordinal_position
                    """
                ).map { row in
                    "\(try row.decode(String.self, at: 0)) \(try row.decode(String.self, at: 1)) \(try row.decode(String.self, at: 2))"
                }
                #expect(columns == table.columns.map { "\($0.name) \($0.type.udtName) NO" }, "\(table.name)")

                let key = try await connection.query(
                    """
                    SELECT a.attname::text FROM pg_index i
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                     WHERE i.indrelid = (quote_ident(\(schema)) || '.' || quote_ident(\(table.name)))::regclass AND i.indisprimary
                     ORDER BY array_position(i.indkey::int2[], a.attnum)
                    """
                ).map { try $0.decode(String.self, at: 0) }
                #expect(key == table.key.map(\.name), "\(table.name)")
            }
        }
    }

    @Test("the tables ResidentState mirrors are the ones whose writes change the state version")
    func residentTablesHaveTheTrigger() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            let triggered = try await connection.query(
                """
                SELECT DISTINCT event_object_table::text FROM information_schema.triggers
                 WHERE trigger_schema = \(schema) AND trigger_name = 'hub_state_written'
                """
            ).map { try $0.decode(String.self, at: 0) }
            let resident = StateTables.all.filter(\.isResident).map(\.name)
            #expect(Set(triggered) == Set(resident + ["hub_inbox"]))
        }
    }
}
