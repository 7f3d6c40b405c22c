import Foundation
import HubCore
import HubDomain
import HubPostgres
import HubSimulation
import Logging
import Testing

/// `hub-admin replay rebuild`, the real executable, on a schema filled by the real batch
/// processing: the rebuild reproduces the state, repairs a corrupted one, never touches the
/// outbox, and refuses to write a fold that disagrees with history.
@Suite("hub-admin replay rebuild", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct ReplayRebuildTests {
    static let territory = SyntheticTerritory.make(seed: 23, clsmCount: 30, qpvCount: 150)

    /// The synthetic stream processed by `BatchProcessor` in batches of 200, as the workers do.
    private func populate(_ connection: PostgresConnection, _ schema: String) async throws -> Int {
        _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
        try await StateStore().importReference(Self.territory.reference, on: connection)
        let stream = SyntheticEventStream(
            territory: Self.territory, seed: 23, count: 1500,
            options: SyntheticStreamOptions(invalidFraction: 0.02, duplicateFraction: 0.02, activityReportShare: 0.03))
        let messages = stream.enumerated().map { index, event in event.consumed(at: Int64(index)) }
        let processor = BatchProcessor(logger: Logger(label: "tests.replay"))
        for start in stride(from: 0, to: messages.count, by: 200) {
            _ = try await processor.process(Array(messages[start..<min(start + 200, messages.count)]), on: connection)
        }
        return try await connection.query("SELECT count(*) FROM hub_event_log").scalar(Int.self)
    }

    /// Every outbox row as it stands (notifications and dead letters, sent or not).
    private func outbox(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            SELECT o.sequence || ' ' || o.notification_id || ' ' || o.topic || ' ' || md5(o.value) || ' ' || coalesce(d.sent_at::text, '-')
              FROM hub_outbox o JOIN hub_outbox_deliveries d USING (sequence) ORDER BY o.sequence
            """
        ).map { try $0.decode(String.self, at: 0) }
    }

    /// hub-admin's JSON listing as item -> value (the first of repeated items).
    private func items(_ result: AdminProcess.Result) throws -> [String: Any] {
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]],
            "\(result)")
        var items: [String: Any] = [:]
        for row in rows {
            if let item = row["item"] as? String, items[item] == nil { items[item] = row["value"] }
        }
        return items
    }

    private func rebuild(_ schema: String, _ arguments: [String] = []) async throws -> (AdminProcess.Result, [String: Any]) {
        let result = try await AdminProcess.run(["replay", "rebuild", "--format", "json"] + arguments, schema: schema)
        return (result, try items(result))
    }

    @Test("on an untouched state the rebuild gives the same checksum and the outbox's notification ids")
    func untouchedStateIsReproduced() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            let logged = try await populate(connection, schema)
            #expect(logged > 1000)
            let original = try await StateChecksum.compute(on: connection)
            #expect(original.tables.allSatisfy { $0.rows > 0 }, "\(original.tables)")
            let outboxBefore = try await outbox(connection)

            let (result, items) = try await rebuild(schema)
            #expect(result.status == 0, "\(result)")
            #expect(items["events folded"] as? Int == logged)
            #expect(items["checksum before"] as? String == original.sha256)
            #expect(items["checksum after"] as? String == original.sha256)
            #expect(items["state"] as? String == "same as stored")
            #expect(items["same notification ids"] as? Bool == true)
            #expect((items["notifications of the fold"] as? Int ?? 0) > 100)
            #expect(items["notifications of the fold"] as? Int == items["notifications in hub_outbox"] as? Int)
            #expect(items["events the rules refuse now"] as? Int == 0)
            #expect(items["written"] as? String == "yes")
            #expect(try await StateChecksum.compute(on: connection) == original)
            #expect(try await outbox(connection) == outboxBefore, "the rebuild enqueues nothing")
        }
    }

    @Test("history accepted while the hub ran open is rebuilt the same once sources are registered")
    func historyOfTheOpenHubIsKept() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            let logged = try await populate(connection, schema)
            let original = try await StateChecksum.compute(on: connection)
            // From now on only this ARS may speak: none of the logged events' sources is registered.
            let region = try #require(Self.territory.reference.regions.first?.code)
            let sources = ReferenceDataDocument(sources: [
                RegisteredSource(source: "urn:ars:test", kind: .ars, name: "ARS", regions: [region])
            ])
            try await StateStore().importReference(sources, on: connection)

            let (result, items) = try await rebuild(schema)
            #expect(result.status == 0, "\(result)")
            #expect(items["events folded"] as? Int == logged)
            #expect(items["events the rules refuse now"] as? Int == 0)
            #expect(items["same notification ids"] as? Bool == true)
            #expect(try await StateChecksum.compute(on: connection) == original)
        }
    }

    @Test("a corrupted read model is repaired: the checksum after is the original one, the outbox is unchanged")
    func corruptionIsRepaired() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await populate(connection, schema)
            let original = try await StateChecksum.compute(on: connection)
            let stateBefore = try await StateStore().loadEverything(on: connection)
            let outboxBefore = try await outbox(connection)

            // A record's document, an index column, a lost row and a lost diagnostic version.
            try await connection.execute(
                """
                UPDATE clsms SET record = jsonb_set(record, '{declaration,name}', '"corrompu"')
                 WHERE id = (SELECT min(id) FROM clsms)
                """)
            try await connection.execute(
                "UPDATE sism_proposals SET accepted = NOT accepted WHERE id = (SELECT min(id) FROM sism_proposals)")
            try await connection.execute("DELETE FROM qpv_actions WHERE id = (SELECT max(id) FROM qpv_actions)")
            try await connection.execute(
                "DELETE FROM ptsm_diagnostics WHERE (ptsm_id, version) = (SELECT ptsm_id, version FROM ptsm_diagnostics LIMIT 1)")
            let corrupted = try await StateChecksum.compute(on: connection)
            #expect(corrupted.sha256 != original.sha256)
            #expect(Set(corrupted.tablesDiffering(from: original)) == ["clsms", "ptsm_diagnostics", "qpv_actions", "sism_proposals"])

            // A dry run computes the repair and writes nothing.
            let (dryRun, dryItems) = try await rebuild(schema, ["--dry-run"])
            #expect(dryRun.status == 0, "\(dryRun)")
            #expect(dryItems["checksum before"] as? String == corrupted.sha256)
            #expect(dryItems["checksum after"] as? String == original.sha256)
            #expect(dryItems["written"] as? String == "no (dry run)")
            #expect(try await StateChecksum.compute(on: connection) == corrupted)

            let (result, items) = try await rebuild(schema)
            #expect(result.status == 0, "\(result)")
            #expect(items["checksum before"] as? String == corrupted.sha256)
            #expect(items["checksum after"] as? String == original.sha256)
            #expect((items["state"] as? String)?.hasPrefix("differs from the stored one (clsms, ptsm_diagnostics") == true)
            #expect(items["same notification ids"] as? Bool == true)
            #expect(items["written"] as? String == "yes")
            #expect(try await StateChecksum.compute(on: connection) == original)
            let stateAfter = try await StateStore().loadEverything(on: connection)
            #expect(stateAfter == stateBefore)
            #expect(try await outbox(connection) == outboxBefore, "the rebuild enqueues nothing")
        }
    }

    @Test("a fold that disagrees with hub_outbox is reported and not written, unless accepted")
    func disagreementIsNotWritten() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await populate(connection, schema)
            let original = try await StateChecksum.compute(on: connection)
            // A CLS imported after the events, on a commune of an active CLSM: the fold, on
            // today's reference data, notifies it (cls.clsm.overlap), history did not.
            let clsm = try #require(Self.territory.clsms.first { $0.status == .active })
            let cls = Cls(id: "CLS-REPLAY", name: "CLS ajouté après coup", region: clsm.region, communes: [clsm.communes[0]])
            try await StateStore().importReference(ReferenceDataDocument(cls: [cls]), on: connection)
            // And a read model corrupted, to see that nothing is written.
            try await connection.execute("DELETE FROM qpv_actions WHERE id = (SELECT min(id) FROM qpv_actions)")
            let corrupted = try await StateChecksum.compute(on: connection)
            let outboxBefore = try await outbox(connection)

            let (result, items) = try await rebuild(schema)
            #expect(result.status == 1, "\(result)")
            #expect(result.standardError.contains("disagrees with history"), "\(result.standardError)")
            #expect(items["same notification ids"] as? Bool == false)
            #expect((items["ids only in the fold"] as? String)?.hasPrefix("none") == false)
            #expect(items["written"] as? String == "no (the fold disagrees with history)")
            #expect((items["note"] as? String)?.contains("reference data") == true)
            #expect(try await StateChecksum.compute(on: connection) == corrupted, "nothing written")

            let (accepted, acceptedItems) = try await rebuild(schema, ["--accept-differences"])
            #expect(accepted.status == 0, "\(accepted)")
            #expect(acceptedItems["written"] as? String == "yes")
            let rebuilt = try await StateChecksum.compute(on: connection)
            #expect(rebuilt.sha256 == acceptedItems["checksum after"] as? String)
            #expect(rebuilt.table("qpv_actions") == original.table("qpv_actions"), "the lost row is back")
            #expect(rebuilt.table("clsms") != original.table("clsms"), "the CLSM's articulation now holds the new CLS")
            #expect(try await outbox(connection) == outboxBefore, "differences or not, the rebuild enqueues nothing")
        }
    }

    @Test("the rebuild waits for the workers' batch lock")
    func waitsForTheBatchLock() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await populate(connection, schema)
            let holder = try await PostgresConnection.connect(
                try PostgresTestDatabase.configuration().withSearchPath([schema]), logger: PostgresTestDatabase.logger)
            try await holder.executeScript("BEGIN")
            try await holder.execute(
                "SELECT pg_advisory_xact_lock(\(BatchProcessor.processingLockKey)::integer, hashtext(current_schema()))")
            async let rebuilt = AdminProcess.run(["replay", "rebuild", "--format", "json"], schema: schema)
            // The admin session shows up waiting for the lock the "batch" holds.
            var waited = false
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: .seconds(60))
            while !waited, clock.now < end {
                waited =
                    try await connection.query(
                        """
                        SELECT count(*) FROM pg_locks
                         WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2
                           AND classid = \(BatchProcessor.processingLockKey)::integer::oid AND objid = hashtext(current_schema())::oid
                        """
                    ).scalar(Int.self) > 0
                if !waited { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(waited, "hub-admin never waited for the batch lock")
            let checksum = try await StateChecksum.compute(on: connection)
            try await holder.executeScript("COMMIT")
            await holder.close()
            let result = try await rebuilt
            #expect(result.status == 0, "\(result)")
            #expect(try items(result)["checksum after"] as? String == checksum.sha256)
        }
    }
}
