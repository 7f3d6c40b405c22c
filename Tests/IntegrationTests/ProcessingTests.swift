import Foundation
import HubCore
import HubDomain
import HubPostgres
import HubSimulation
import Logging
import Testing

/// The batch processor against a real PostgreSQL: what it stores and writes to the outbox
/// must be what the pure core decides, and a redelivered batch must take effect once.
@Suite("Batch processing in PostgreSQL", .enabled(if: TestServers.hasDatabase))
struct ProcessingTests {
    let processor = BatchProcessor(logger: Logger(label: "tests.processing"))

    private func prepared(_ connection: PostgresConnection, _ schema: String) async throws {
        _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
        try await StateStore().importReference(try ExampleEvents.referenceDocument(), on: connection)
    }

    /// The pure core's notifications for the same events, folded over a full in-memory state.
    private func expectedNotificationIds() throws -> [String] {
        var state = HubState(reference: try ExampleEvents.referenceDocument())
        let engine = RulesEngine()
        var ids: [String] = []
        for message in try ExampleEvents.consumedMessages() {
            let event = try InboundDecoder().decode(topic: message.topic, headers: message.headers, value: message.value)
            guard let decision = try? engine.decide(event, in: state) else { continue }
            state.apply(decision.changes)
            ids += decision.notifications.map(\.notificationId)
        }
        return ids
    }

    private func outboxIds(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT notification_id::text FROM hub_outbox WHERE topic = 'hub.notifications' ORDER BY sequence")
            .map { try $0.decode(String.self, at: 0) }
    }

    @Test("the examples processed in one batch give the pure core's notifications, in order")
    func oneBatchMatchesThePureCore() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await prepared(connection, schema)
            let outcome = try await processor.process(try ExampleEvents.consumedMessages(), on: connection)
            let expected = try expectedNotificationIds()
            #expect(expected.count > 20)
            #expect(outcome.applied == 11)
            #expect(outcome.notifications == expected.count)
            #expect(outcome.deadLettered == 0, "\(outcome.deadLetters)")
            #expect(try await outboxIds(connection) == expected)
            let logged = try await connection.query("SELECT count(*) FROM hub_event_log").scalar(Int.self)
            #expect(logged == outcome.applied + outcome.stale)
        }
    }

    @Test("processed one event per batch, the result is the same as in one batch")
    func batchSizeDoesNotMatter() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await prepared(connection, schema)
            for message in try ExampleEvents.consumedMessages() {
                _ = try await processor.process([message], on: connection)
            }
            #expect(try await outboxIds(connection) == (try expectedNotificationIds()))
        }
    }

    @Test("a redelivered batch takes effect once")
    func redeliveryTakesEffectOnce() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await prepared(connection, schema)
            let messages = try ExampleEvents.consumedMessages()
            let first = try await processor.process(messages, on: connection)
            let before = try await connection.query("SELECT count(*) FROM hub_outbox").scalar(Int.self)
            let clsmsBefore = try await connection.query("SELECT record::text FROM clsms ORDER BY id").map {
                try $0.decode(String.self, at: 0)
            }
            let second = try await processor.process(messages, on: connection)
            #expect(second.applied == 0)
            #expect(second.duplicates == first.applied + first.stale)
            #expect(try await connection.query("SELECT count(*) FROM hub_outbox").scalar(Int.self) == before)
            #expect(
                try await connection.query("SELECT record::text FROM clsms ORDER BY id").map { try $0.decode(String.self, at: 0) }
                    == clsmsBefore)
        }
    }

    @Test("a record that cannot be processed is dead-lettered with its code, and the rest goes on")
    func deadLetters() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await prepared(connection, schema)
            let garbage = InboundRecord(
                topic: "clsm.declared", partition: 3, offset: 42, key: Array("k".utf8),
                value: Array("not json".utf8), headers: ExampleEvents.structuredHeaders,
                timestampMilliseconds: nil)
            let messages = [garbage] + (try ExampleEvents.consumedMessages(firstOffset: 100))
            let outcome = try await processor.process(messages, on: connection)
            #expect(outcome.deadLetters[.malformedEnvelope] == 1)
            #expect(outcome.applied > 0)
            let rows = try await connection.query("SELECT error_code, topic, kafka_partition, kafka_offset FROM hub_dead_letters")
            #expect(rows.count == 1)
            #expect(try rows[0].decode(String.self, at: 0) == "malformed_envelope")
            #expect(try rows[0].decode(Int.self, at: 3) == 42)
            let relayed = try await connection.query("SELECT count(*) FROM hub_outbox WHERE topic = 'hub.deadletter'").scalar(Int.self)
            #expect(relayed == 1)
            // Delivered again, the dead letter is not recorded twice.
            _ = try await processor.process([garbage], on: connection)
            #expect(try await connection.query("SELECT count(*) FROM hub_dead_letters").scalar(Int.self) == 1)
        }
    }

    /// A synthetic stream with dead letters and re-sent identities, and what the pure core
    /// makes of it: the notifications' bytes, in order, and the state at the end.
    private struct SyntheticCase {
        let territory = SyntheticTerritory.make(seed: 11, clsmCount: 30, qpvCount: 150)
        let messages: [InboundRecord]
        let expectedNotifications: [[UInt8]]
        let expectedState: HubState

        init() {
            let stream = SyntheticEventStream(
                territory: territory, seed: 11, count: 1200,
                options: SyntheticStreamOptions(invalidFraction: 0.02, duplicateFraction: 0.02))
            messages = stream.enumerated().map { index, event in event.consumed(at: Int64(index)) }
            var state = HubState(reference: territory.reference)
            var expected: [[UInt8]] = []
            for message in messages {
                guard let event = try? InboundDecoder().decode(topic: message.topic, headers: message.headers, value: message.value),
                    let decision = try? RulesEngine().decide(event, in: state)
                else { continue }
                state.apply(decision.changes)
                expected += decision.notifications.map { $0.outboundRecord().value }
            }
            expectedNotifications = expected
            expectedState = state
        }

        func batches(of size: Int) -> [[InboundRecord]] {
            stride(from: 0, to: messages.count, by: size).map { Array(messages[$0..<min($0 + size, messages.count)]) }
        }

        /// Checks that `connection`'s schema holds exactly what the pure core expects.
        func expectStored(on connection: PostgresConnection) async throws {
            let stored = try await connection.query(
                "SELECT value FROM hub_outbox WHERE topic = 'hub.notifications' ORDER BY sequence"
            ).map { [UInt8](try $0.decode(Data.self, at: 0)) }
            #expect(stored.count == expectedNotifications.count)
            #expect(stored == expectedNotifications)
            // Every processed event once in the inbox and the event log (duplicates, in one
            // batch or across batches, not again).
            #expect(try await connection.query("SELECT count(*) FROM hub_inbox").scalar(Int.self) == expectedState.processedEvents.count)
            #expect(
                try await connection.query("SELECT count(*) FROM hub_event_log").scalar(Int.self) == expectedState.processedEvents.count)
            let loaded = try await StateStore().loadEverything(on: connection)
            #expect(loaded.clsms == expectedState.clsms)
            #expect(loaded.sismProposals == expectedState.sismProposals)
            #expect(loaded.ptsms == expectedState.ptsms)
            #expect(loaded.qpvActions == expectedState.qpvActions)
            #expect(!expectedState.sismProgrammes.isEmpty)
            #expect(loaded.sismProgrammes == expectedState.sismProgrammes)
        }
    }

    @Test(
        "a synthetic stream processed in batches of 200 gives the pure core's notifications, byte for byte",
        arguments: [true, false])
    func syntheticStreamInBatches(keepsResidentState: Bool) async throws {
        var processor = processor
        processor.keepsResidentState = keepsResidentState
        let synthetic = SyntheticCase()
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            try await StateStore().importReference(synthetic.territory.reference, on: connection)
            var outcomes: [BatchOutcome] = []
            for batch in synthetic.batches(of: 200) {
                outcomes.append(try await processor.process(batch, on: connection))
            }
            // From the second batch on, the slices come from the state kept in memory.
            let later = outcomes.dropFirst().reduce(BatchOutcome(), +)
            #expect(later.stateLoads > 0)
            #expect(later.residentLoads == (keepsResidentState ? later.stateLoads : 0))
            #expect(outcomes[0].residentLoads == 0)
            try await synthetic.expectStored(on: connection)
            // Migration 3 computes the tallies of a hub that had none from its proposals:
            // the same tallies as the rules keep.
            try await connection.execute("DELETE FROM sism_programmes")
            try await connection.execute(PostgresQuery(unescaped: HubSchema.sismProgrammeBackfill))
            #expect(try await StateStore().loadEverything(on: connection).sismProgrammes == synthetic.expectedState.sismProgrammes)
        }
    }

    /// A second session in `schema`, as the workers use for deciding ahead.
    private func withLookups<T>(_ schema: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let lookups = try await PostgresConnection.connect(
            try PostgresTestDatabase.configuration().withSearchPath([schema]),
            logger: PostgresTestDatabase.logger)
        do {
            let value = try await body(lookups)
            await lookups.close()
            return value
        } catch {
            await lookups.close()
            throw error
        }
    }

    @Test("each batch decided while the one before it is not yet written, the stream gives the pure core's notifications, byte for byte")
    func syntheticStreamDecidedAhead() async throws {
        let synthetic = SyntheticCase()
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            try await StateStore().importReference(synthetic.territory.reference, on: connection)
            try await withLookups(schema) { lookups in
                let batches = synthetic.batches(of: 50)
                // The first two in their transactions: the second reads the resident state.
                #expect(
                    await processor.decideAhead(processor.prepare(batches[0]), lookingUpOn: lookups) == nil,
                    "no state kept yet")
                for batch in batches[0..<2] { _ = try await processor.process(batch, on: connection) }
                // Then as the workers do under load: batch k+1 is decided before batch k is
                // written, so its lookups do not see batch k's rows (the 2% re-sent identities
                // and the QPV actions updated again must come from batch k's decisions).
                var written = BatchOutcome()
                var inFlight = try #require(await processor.decideAhead(processor.prepare(batches[2]), lookingUpOn: lookups))
                for batch in batches[3...] {
                    let next = try #require(await processor.decideAhead(processor.prepare(batch), lookingUpOn: lookups))
                    written = written + (try #require(try await processor.write(inFlight, on: connection)))
                    inFlight = next
                }
                written = written + (try #require(try await processor.write(inFlight, on: connection)))
                #expect(written.decidedAhead == batches.count - 2)
                #expect(written.duplicates > 0, "\(written)")
            }
            try await synthetic.expectStored(on: connection)
        }
    }

    @Test("a batch decided ahead is not written once another transaction wrote, nor is one decided on top of it")
    func decidedAheadThenAnotherWriter() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await prepared(connection, schema)
            let messages = try ExampleEvents.consumedMessages()
            try await withLookups(schema) { lookups in
                // 01, 02: the two CLSMs, the second read whole into the resident state.
                for message in messages[0..<2] { _ = try await processor.process([message], on: connection) }
                // 03 (PTSM diagnostic) decided, and 04 (SISM proposal) on top of it.
                let third = try #require(await processor.decideAhead(processor.prepare([messages[2]]), lookingUpOn: lookups))
                let fourth = try #require(await processor.decideAhead(processor.prepare([messages[3]]), lookingUpOn: lookups))
                // Another writer removes the CLSM 04 names: one step of hub_state_version, the
                // step 03 was to make. 04's version would match; what it was decided on does not.
                try await connection.execute("DELETE FROM clsms WHERE id = 'clsm-saint-denis'")
                let inboxBefore = try await connection.query("SELECT count(*) FROM hub_inbox").scalar(Int.self)
                #expect(try await processor.write(third, on: connection) == nil)
                #expect(try await processor.write(fourth, on: connection) == nil)
                #expect(
                    try await connection.query("SELECT count(*) FROM hub_inbox").scalar(Int.self) == inboxBefore,
                    "nothing written")
                #expect(
                    await processor.decideAhead(processor.prepare([messages[4]]), lookingUpOn: lookups) == nil,
                    "the kept state was dropped")
                // Processed in their transactions, they see the removal.
                let again = try await processor.process(third.prepared, on: connection)
                #expect(again.applied == 1 && again.decidedAhead == 0)
                let fourthAgain = try await processor.process(fourth.prepared, on: connection)
                #expect(fourthAgain.applied == 0 && fourthAgain.deadLettered == 1, "\(fourthAgain)")
            }
        }
    }

    @Test("a redelivered event is found both when the kept state read it from the inbox and when it processed it since")
    func redeliveryOnTheResidentState() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await prepared(connection, schema)
            let messages = try ExampleEvents.consumedMessages()
            // 01 in a batch of its own; at 02 the processor reads the state whole, with its
            // filter of processed events (01 in it), and keeps it for 03-05.
            _ = try await processor.process([messages[0]], on: connection)
            let second = try await processor.process([messages[1]], on: connection)
            #expect(second.residentLoads == 1 && second.applied == 1)
            let third = try await processor.process(Array(messages[2..<5]), on: connection)
            #expect(third.applied + third.stale == 3, "\(third)")

            let inboxBefore = try await connection.query("SELECT count(*) FROM hub_inbox").scalar(Int.self)
            let outboxBefore = try await connection.query("SELECT count(*) FROM hub_outbox").scalar(Int.self)
            let again = try await processor.process([messages[0], messages[3], messages[5]], on: connection)
            #expect(again.residentLoads == again.stateLoads && again.stateLoads > 0, "decided on the kept state: \(again)")
            #expect(again.duplicates == 2, "01 (read from the inbox) and 04 (processed since): \(again)")
            #expect(again.applied + again.stale + again.deadLettered == 1)
            #expect(
                try await connection.query("SELECT count(*) FROM hub_inbox").scalar(Int.self)
                    == inboxBefore + again.applied + again.stale)
            let outboxAfter = try await connection.query("SELECT count(*) FROM hub_outbox").scalar(Int.self)
            #expect(outboxAfter == outboxBefore + again.notifications + again.deadLettered)

            // Read in pages of two, the filter holds every identity of the inbox once.
            let inbox = try await connection.query("SELECT event_source, event_id FROM hub_inbox")
                .map { EventIdentity(source: try $0.decode(at: 0), id: try $0.decode(at: 1)) }
            let filter = try await StateStore().loadProcessedEventFilter(on: connection, pageSize: 2)
            #expect(filter.count == inbox.count && inbox.count > 4)
            #expect(inbox.allSatisfy(filter.mightContain))
        }
    }

    @Test("a write by another transaction between two batches is seen by the next one")
    func anotherWriterBetweenBatches() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await prepared(connection, schema)
            let messages = try ExampleEvents.consumedMessages()
            // 01, 02: the two CLSMs; 03: the PTSM diagnostic, decided on the resident state.
            for message in messages[0..<2] { _ = try await processor.process([message], on: connection) }
            let third = try await processor.process([messages[2]], on: connection)
            #expect(third.residentLoads == 1 && third.applied == 1)
            // Another writer removes the CLSM the next SISM proposal (04) names.
            try await connection.execute("DELETE FROM clsms WHERE id = 'clsm-saint-denis'")
            let fourth = try await processor.process([messages[3]], on: connection)
            #expect(fourth.residentLoads == 0, "the state kept in memory is no longer the stored one")
            #expect(fourth.applied == 0 && fourth.deadLettered == 1, "\(fourth)")
            // Nobody wrote since: the next batch reads the state whole again, and it is the
            // stored one (05 names the removed CLSM too).
            let fifth = try await processor.process([messages[4]], on: connection)
            #expect(fifth.residentLoads == 1)
            #expect(fifth.applied == 0 && fifth.deadLettered == 1, "\(fifth)")
        }
    }

    @Test("hub_state_version counts the transactions that write the resident tables, once each")
    func stateVersionCountsWriters() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await prepared(connection, schema)
            func version() async throws -> Int { try await connection.query("SELECT version FROM hub_state_version").scalar(Int.self) }
            let start = try await version()
            try await connection.transaction { connection in
                try await connection.execute("UPDATE ref_regions SET doc = doc")
                try await connection.execute("UPDATE ref_communes SET doc = doc")
                try await connection.execute("DELETE FROM clsms")
            }
            #expect(try await version() == start + 1)
            try await connection.execute("DELETE FROM qpv_actions")
            #expect(try await version() == start + 1, "QPV actions are not resident")
            try await connection.execute("TRUNCATE sism_programmes")
            #expect(try await version() == start + 2)
            // The resident state's filter of processed events is read from the inbox: an
            // identity added counts, one deleted (hub-admin purge, migration 10) does not.
            try await connection.execute(
                """
                INSERT INTO hub_inbox (event_source, event_id, topic, kafka_partition, kafka_offset, outcome)
                VALUES ('urn:test', 'version', 'clsm.declared', 0, 0, 'applied')
                """)
            #expect(try await version() == start + 3)
            try await connection.execute("DELETE FROM hub_inbox")
            #expect(try await version() == start + 3)
        }
    }
}
