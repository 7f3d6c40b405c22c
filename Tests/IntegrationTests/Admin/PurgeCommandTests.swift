import Foundation
import HubCore
import HubDomain
import HubPostgres
import Logging
import Testing

/// `hub-admin purge --older-than`, the real executable against a real PostgreSQL: what is
/// older than the horizon goes, what is newer, not yet relayed or the relay's position
/// stays, and an applied event whose inbox row went is still recognised when redelivered.
@Suite("hub-admin purge", .enabled(if: TestServers.hasDatabase))
struct PurgeCommandTests {
    static let logger = Logger(label: "tests.purge")

    /// A migrated schema with the demo reference data.
    static func withPreparedSchema(_ body: (PostgresConnection, String) async throws -> Void) async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            try await StateStore().importReference(try ExampleEvents.referenceDocument(), on: connection)
            try await body(connection, schema)
        }
    }

    static func count(_ sql: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.query(PostgresQuery(unescaped: sql)).scalar(Int.self)
    }

    /// The JSON listing of a purge: each table's rows deleted (or that would be).
    static func rowsPerTable(_ result: AdminProcess.Result, column: String) throws -> [String: Int] {
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]], "\(result)")
        var counts: [String: Int] = [:]
        for row in rows {
            let table = try #require(row["table"] as? String, "\(row)")
            counts[table] = try #require(row[column] as? Int, "\(row)")
            #expect(row["seconds"] is Double || row["seconds"] is Int, "\(row)")
        }
        return counts
    }

    static func garbage(offset: Int64) -> InboundRecord {
        InboundRecord(
            topic: "clsm.declared", partition: 1, offset: offset, key: Array("k".utf8), value: Array("not json".utf8),
            headers: ExampleEvents.structuredHeaders, timestampMilliseconds: nil)
    }

    @Test(
        "rows older than the horizon go, newer ones, outbox rows not yet relayed and the relay's position stay; a dry run deletes nothing")
    func purgesOnlyWhatIsOld() async throws {
        try await Self.withPreparedSchema { db, schema in
            // Two batches, each with a dead letter: the first's inbox rows and dead letter are
            // made old, the second's stay new.
            let messages = try ExampleEvents.consumedMessages()
            let half = messages.count / 2
            let processor = BatchProcessor(logger: Self.logger)
            let first = try await processor.process(Array(messages[..<half]) + [Self.garbage(offset: 1)], on: db)
            _ = try await processor.process(Array(messages[half...]) + [Self.garbage(offset: 2)], on: db)
            let oldIdentities = first.applied + first.stale
            #expect(oldIdentities > 0)
            try await db.execute(
                """
                UPDATE hub_inbox SET processed_at = now() - interval '40 days'
                 WHERE kafka_offset < \(Int64(half)) AND kafka_partition = 0
                """)
            try await db.execute("UPDATE hub_dead_letters SET recorded_at = now() - interval '40 days' WHERE kafka_offset = 1")
            // An old identity the event log does not hold stays: it is all that recognises it.
            try await db.execute(
                """
                INSERT INTO hub_inbox (event_source, event_id, topic, kafka_partition, kafka_offset, outcome, processed_at)
                VALUES ('urn:test', 'not-logged', 'clsm.declared', 9, 9, 'applied', now() - interval '40 days')
                """)

            // The relay passed the first half of the outbox, in three batches; every outbox
            // row and position is old but the second row.
            let outbox = try await db.query(
                "SELECT writer_xact::text, sequence FROM hub_outbox ORDER BY writer_xact, sequence"
            ).map { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) }
            #expect(outbox.count > 8, "notifications and two dead letters")
            let middle = outbox.count / 2
            for index in [0, middle / 2, middle] {
                try await db.execute(
                    "INSERT INTO hub_outbox_relayed (writer_xact, sequence) VALUES (\(outbox[index].0)::xid8, \(outbox[index].1))")
            }
            try await db.execute("UPDATE hub_outbox SET created_at = now() - interval '40 days' WHERE sequence <> \(outbox[1].1)")
            try await db.execute("UPDATE hub_outbox_relayed SET sent_at = now() - interval '40 days'")
            let relayedBefore = try await Self.count("SELECT count(*) FROM hub_outbox_relayed", on: db)
            // Parked records: one of a row behind the position (goes with its row), one of a
            // row not yet relayed (stays, as its row does).
            for index in [2, outbox.count - 1] {
                try await db.execute(
                    """
                    INSERT INTO hub_outbox_parked (writer_xact, sequence, topic, error, parked_at)
                    VALUES (\(outbox[index].0)::xid8, \(outbox[index].1), 'hub.notifications', 'too large', now() - interval '40 days')
                    """)
            }
            let expected = [
                "hub_inbox": oldIdentities, "hub_outbox": middle, "hub_outbox_parked": 1,
                "hub_outbox_relayed": relayedBefore - 1, "hub_dead_letters": 1,
            ]
            let totals = """
                SELECT (SELECT count(*) FROM hub_inbox) + (SELECT count(*) FROM hub_outbox) + (SELECT count(*) FROM hub_outbox_parked)
                     + (SELECT count(*) FROM hub_outbox_relayed) + (SELECT count(*) FROM hub_dead_letters)
                """
            let totalBefore = try await Self.count(totals, on: db)

            let dryRun = try await AdminProcess.run(["purge", "--older-than", "30d", "--dry-run", "--format", "json"], schema: schema)
            #expect(dryRun.status == 0, "\(dryRun)")
            #expect(try Self.rowsPerTable(dryRun, column: "would_delete") == expected, "\(dryRun)")
            #expect(try await Self.count(totals, on: db) == totalBefore, "a dry run deletes nothing")
            #expect(try await Self.count("SELECT count(*) FROM hub_retention", on: db) == 0, "nor records a cutoff")

            let versionBefore = try await Self.count("SELECT version FROM hub_state_version", on: db)
            let purge = try await AdminProcess.run(
                ["purge", "--older-than", "30d", "--chunk-size", "2", "--format", "json"], schema: schema)
            #expect(purge.status == 0, "\(purge)")
            #expect(try Self.rowsPerTable(purge, column: "deleted") == expected, "\(purge)")
            #expect(try await Self.count(totals, on: db) == totalBefore - expected.values.reduce(0, +))
            #expect(
                try await Self.count("SELECT version FROM hub_state_version", on: db) == versionBefore,
                "deleting inbox identities does not make the workers read their resident state again")

            // What stays: the new inbox rows and the one not logged; the outbox rows after the
            // position and the new one; the position; the parked record of an unsent row; the
            // new dead letter.
            #expect(try await Self.count("SELECT count(*) FROM hub_inbox WHERE processed_at < now() - interval '30 days'", on: db) == 1)
            #expect(try await Self.count("SELECT count(*) FROM hub_inbox WHERE event_id = 'not-logged'", on: db) == 1)
            let kept = Set(try await db.query("SELECT sequence FROM hub_outbox").map { try $0.decode(Int64.self, at: 0) })
            #expect(kept == Set(outbox[(middle + 1)...].map(\.1) + [outbox[1].1]))
            let position = try await db.query("SELECT writer_xact::text, sequence FROM hub_outbox_relayed")
            #expect(position.count == 1)
            #expect(
                try position[0].decode(String.self, at: 0) == outbox[middle].0 && position[0].decode(Int64.self, at: 1) == outbox[middle].1)
            #expect(try await Self.count("SELECT count(*) FROM hub_outbox_unsent", on: db) == outbox.count - middle - 1)
            #expect(try await Self.count("SELECT sequence FROM hub_outbox_parked", on: db) == Int(outbox[outbox.count - 1].1))
            #expect(try await Self.count("SELECT kafka_offset FROM hub_dead_letters", on: db) == 2)
            #expect(
                Set(try await db.query("SELECT table_name FROM hub_retention").map { try $0.decode(String.self, at: 0) })
                    == Set(RetentionTable.allCases.map(\.name)))

            // Nothing left to purge: a second run deletes nothing, and says so.
            let again = try await AdminProcess.run(["purge", "--older-than", "30d"], schema: schema)
            #expect(again.status == 0, "\(again)")
            #expect(again.standardOutput.hasPrefix("deleted rows older than "), "\(again)")
            for table in RetentionTable.allCases {
                #expect(again.standardOutput.contains("\n\(table.name) "), "\(again)")
            }
        }
    }

    @Test("an applied event whose inbox row was purged, redelivered, is a duplicate: no effect, no notification")
    func purgedIdentityStaysProcessed() async throws {
        try await Self.withPreparedSchema { db, schema in
            let messages = try ExampleEvents.consumedMessages()
            let processor = BatchProcessor(logger: Self.logger)
            let first = try await processor.process(messages, on: db)
            #expect(first.applied > 0 && first.notifications > 0)
            // Relayed, and old: the purge deletes every inbox and outbox row.
            try await db.execute(
                """
                INSERT INTO hub_outbox_relayed (writer_xact, sequence)
                SELECT writer_xact, sequence FROM hub_outbox ORDER BY writer_xact DESC, sequence DESC LIMIT 1
                """)
            // Each row's time is its processing transaction's: the log's too.
            for (table, column) in [("hub_inbox", "processed_at"), ("hub_outbox", "created_at"), ("hub_event_log", "recorded_at")] {
                try await db.execute("UPDATE \(identifier: table) SET \(identifier: column) = now() - interval '2 hours'")
            }
            let purge = try await AdminProcess.run(["purge", "--older-than", "90m", "--force"], schema: schema)
            #expect(purge.status == 0, "\(purge)")
            #expect(try await Self.count("SELECT count(*) FROM hub_inbox", on: db) == 0)
            #expect(try await Self.count("SELECT count(*) FROM hub_outbox", on: db) == 0)

            // The fold of the event log still agrees with history: what the purge deleted is
            // not counted as missing.
            let rebuild = try await AdminProcess.run(["replay", "rebuild", "--dry-run"], schema: schema)
            #expect(rebuild.status == 0, "\(rebuild)")
            let purgedLine = rebuild.standardOutput.split(separator: "\n").first { $0.hasPrefix("notifications purged (not compared)") }
            #expect(purgedLine?.hasSuffix(" \(first.notifications)") == true, "\(rebuild)")

            func snapshot() async throws -> [String] {
                try await db.query(
                    """
                    SELECT (SELECT string_agg(record::text, ',' ORDER BY id) FROM clsms)
                        || (SELECT count(*) FROM hub_event_log)::text || '/' || (SELECT count(*) FROM hub_outbox)::text
                    """
                ).map { try $0.decode(String.self, at: 0) }
            }
            let before = try await snapshot()

            // The same processor (its resident filter kept: the purge did not change the state
            // version), a new one reading everything from PostgreSQL, and a new one that
            // loads its filter after its first batch.
            var readsEverything = BatchProcessor(logger: Self.logger)
            readsEverything.keepsResidentState = false
            let fresh = BatchProcessor(logger: Self.logger)
            let half = messages.count / 2
            let runs: [(String, BatchProcessor, [[InboundRecord]])] = [
                ("same processor", processor, [messages]),
                ("no resident state", readsEverything, [messages]),
                ("new resident state", fresh, [Array(messages[..<half]), Array(messages[half...]), messages]),
            ]
            for (name, runner, batches) in runs {
                for batch in batches {
                    let again = try await runner.process(batch, on: db)
                    #expect(again.applied == 0 && again.stale == 0 && again.notifications == 0, "\(name): \(again)")
                    #expect(again.deadLettered == 0, "\(name): \(again)")
                    #expect(again.duplicates == batch.count, "\(name): \(again)")
                }
            }
            #expect(try await snapshot() == before, "no changed record, no new log entry, no outbox row")
            #expect(try await Self.count("SELECT count(*) FROM hub_inbox", on: db) == 0, "duplicates are not recorded")
        }
    }

    @Test("a horizon that is not <number><m|h|d>, zero, too long, or under a day without --force is refused (65) and deletes nothing")
    func refusedHorizons() async throws {
        try await Self.withPreparedSchema { db, schema in
            try await db.execute(
                "INSERT INTO hub_outbox_relayed (writer_xact, sequence, sent_at) VALUES ('0', 0, now() - interval '40 days')")
            let relayed = try await Self.count("SELECT count(*) FROM hub_outbox_relayed", on: db)
            for horizon in ["30", "d", "0d", "1.5d", "30 d", "5M", "1w", "36501d", "99999999999999999999m", "٣d"] {
                let refused = try await AdminProcess.run(["purge", "--older-than", horizon], schema: schema)
                #expect(refused.status == 65, "\(horizon): \(refused)")
                #expect(refused.standardError.contains("examples: 30d, 12h, 90m"), "\(horizon): \(refused)")
            }
            let short = try await AdminProcess.run(["purge", "--older-than", "23h"], schema: schema)
            #expect(short.status == 65 && short.standardError.contains("--force"), "\(short)")
            let badChunk = try await AdminProcess.run(["purge", "--older-than", "30d", "--chunk-size", "0"], schema: schema)
            #expect(badChunk.status == 64, "\(badChunk)")
            #expect(try await Self.count("SELECT count(*) FROM hub_outbox_relayed", on: db) == relayed)
        }
    }
}
