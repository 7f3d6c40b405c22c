import Foundation
import HubDomain
import HubPostgres
import Testing

/// The filter a worker's resident state starts from holds the identities of the inbox AND of
/// the event log: `hub-admin purge` deletes old inbox rows, the event log keeps every applied
/// event, and an identity missing from the filter would let a redelivered, purged-but-applied
/// event be applied twice.
@Suite("Processed-event filter loaded from PostgreSQL", .enabled(if: TestServers.hasDatabase))
struct ProcessedEventFilterLoadTests {
    @Test("identities of the inbox and of the event log, read in pages, each counted once")
    func inboxAndEventLog() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            // 20 events applied (inbox and log), of which the inbox has lost the first 12 to
            // a purge; 5 more dead-lettered (inbox only).
            try await connection.execute(
                """
                INSERT INTO hub_event_log (event_source, event_id, event_type, ce_time, event_time, topic,
                                           kafka_partition, kafka_offset, data)
                SELECT 'urn:test:' || (n % 3), 'applied-' || n, 'clsm.declared', '2025-01-01T00:00:00Z', now(),
                       'clsm.declared', 0, n, '{}'::jsonb
                  FROM generate_series(1, 20) n
                """)
            try await connection.execute(
                """
                INSERT INTO hub_inbox (event_source, event_id, topic, kafka_partition, kafka_offset, outcome)
                SELECT event_source, event_id, topic, kafka_partition, kafka_offset, 'applied' FROM hub_event_log
                UNION ALL
                SELECT 'urn:test:' || (n % 3), 'refused-' || n, 'clsm.declared', 0, 100 + n, 'dead_lettered'
                  FROM generate_series(1, 5) n
                """)
            try await connection.execute(
                "DELETE FROM hub_inbox WHERE event_id IN (SELECT 'applied-' || n FROM generate_series(1, 12) n)")

            let expected =
                (1...20).map { EventIdentity(source: "urn:test:\($0 % 3)", id: "applied-\($0)") }
                + (1...5).map { EventIdentity(source: "urn:test:\($0 % 3)", id: "refused-\($0)") }
            let filter = try await StateStore().loadProcessedEventFilter(on: connection, pageSize: 3)
            #expect(expected.allSatisfy(filter.mightContain), "an identity of the event log or the inbox is missing")
            // 8 applied identities are in both tables: added once.
            #expect(filter.count == expected.count)
            let never = (1...1000).map { EventIdentity(source: "urn:test:0", id: "never-\($0)") }
            #expect(never.filter(filter.mightContain).count < 30)
        }
    }
}
