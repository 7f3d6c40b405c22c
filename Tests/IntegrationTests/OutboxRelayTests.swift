import Foundation
import HubCore
import HubDomain
import HubPostgres
import Testing

@Suite("Outbox relay", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct OutboxRelayTests {
    @Test("rows written by OutboxWriter reach Kafka in sequence order, intact, and are marked sent")
    func relaysInOrder() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("outbox", partitions: 3)
            let first = OutboxSamples.records(count: 40, topic: topic, tag: "a")
            let second = OutboxSamples.records(count: 25, topic: topic, tag: "b")
            #expect(try await context.append(first) == 40)
            #expect(try await context.append(second) == 25)
            // Written again (a redelivered event): nothing new.
            #expect(try await context.append(Array(first.prefix(5))) == 0)
            let written = first + second

            // Stored in the order given.
            let stored = try await context.connection.query(
                "SELECT notification_id FROM hub_outbox ORDER BY sequence"
            ).map { try $0.decode(UUID.self, at: 0) }
            #expect(stored == written.map(\.notificationId))

            // Small batches: the order holds across batches too.
            var configuration = context.relayConfiguration
            configuration.batchSize = 16
            let relay = RunningRelay(
                OutboxRelay(
                    database: context.database, kafka: try KafkaTestSupport.configuration(),
                    configuration: configuration, logger: OutboxTestContext.logger))
            let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("outbox"), topics: [topic])
            let received = try await KafkaTestSupport.consume(consumer, count: written.count)
            try await consumer.close()

            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })
            #expect(relay.relay.status.role == .active)
            #expect(try await Eventually.wait { relay.relay.status.relayedCount == written.count })
            try await relay.stop()
            #expect(relay.relay.status.role == .stopped)

            #expect(received.count == written.count)
            let byID = Dictionary(uniqueKeysWithValues: written.map { ($0.notificationId.uuidString.lowercased(), $0.message) })
            for message in received {
                guard let id = OutboxSamples.id(message), let sent = byID[id] else {
                    Issue.record("unexpected record \(message)")
                    continue
                }
                #expect(message.key == sent.key)
                #expect(message.value == sent.value)
                #expect(message.headers == sent.headers)
            }
            // Per key, the order written.
            for key in Set(written.compactMap(\.message.key)) {
                let expected = written.filter { $0.message.key == key }.map { $0.notificationId.uuidString.lowercased() }
                let got = received.filter { $0.key == key }.map { OutboxSamples.id($0) ?? "?" }
                #expect(got == expected, "order for key \(String(decoding: key, as: UTF8.self))")
            }

            let sent = try await context.connection.query(
                "SELECT count(*) FROM hub_outbox_deliveries WHERE sent_at IS NOT NULL AND sent_at >= created_at"
            ).scalar(Int.self)
            #expect(sent == written.count)
        }
    }

    @Test("a record written while the relay runs is published promptly (notification wakes it)")
    func wakesOnNotification() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("outbox_wake")
            var configuration = context.relayConfiguration
            configuration.pollInterval = .seconds(30)  // only a notification can wake it in time
            let relay = RunningRelay(
                OutboxRelay(
                    database: context.database, kafka: try KafkaTestSupport.configuration(),
                    configuration: configuration, logger: OutboxTestContext.logger))
            #expect(try await Eventually.wait { relay.relay.status.role == .active && relay.relay.status.lastSuccess != nil })
            try await Task.sleep(for: .milliseconds(300))  // it is now waiting for notifications

            let records = OutboxSamples.records(count: 3, topic: topic)
            try await context.append(records)
            #expect(try await Eventually.wait(timeout: .seconds(20)) { try await context.unsentCount() == 0 })
            // A stop request ends the wait at once, not after pollInterval.
            let stopping = ContinuousClock.now
            try await relay.stop()
            #expect(ContinuousClock.now - stopping < .seconds(20), "stopped by the request, not by the 30 s poll interval")
        }
    }

    @Test("a second relay stays on standby while the first holds the lock, and takes over when it stops")
    func oneActiveRelay() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("outbox_lock")
            let first = RunningRelay(try context.makeRelay())
            #expect(try await Eventually.wait { first.relay.status.role == .active })
            let second = RunningRelay(try context.makeRelay())
            #expect(try await Eventually.wait { second.relay.status.role == .standby })

            let before = OutboxSamples.records(count: 10, topic: topic, tag: "before")
            try await context.append(before)
            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })
            #expect(try await Eventually.wait { first.relay.status.relayedCount == 10 })
            #expect(second.relay.status.relayedCount == 0)
            #expect(second.relay.status.role == .standby)

            try await first.stop()
            #expect(try await Eventually.wait { second.relay.status.role == .active })
            let after = OutboxSamples.records(count: 7, topic: topic, tag: "after")
            try await context.append(after)
            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })
            #expect(try await Eventually.wait { second.relay.status.relayedCount == 7 })
            try await second.stop()

            let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("outbox_lock"), topics: [topic])
            let received = try await KafkaTestSupport.consume(consumer, count: 17)
            try await consumer.close()
            #expect(
                received.compactMap(OutboxSamples.id)
                    == (before + after).map { $0.notificationId.uuidString.lowercased() })
        }
    }

    @Test("rows of a transaction that commits after a later one are not passed by: both go out, the older first")
    func transactionCommittingLate() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("outbox_late")
            var configuration = context.relayConfiguration
            configuration.heldBackWarning = .seconds(1)  // the warning's query runs too
            let relay = RunningRelay(
                OutboxRelay(
                    database: context.database, kafka: try KafkaTestSupport.configuration(),
                    configuration: configuration, logger: OutboxTestContext.logger))
            #expect(try await Eventually.wait { relay.relay.status.role == .active && relay.relay.status.lastSuccess != nil })
            let early = OutboxSamples.records(count: 4, topic: topic, tag: "early")
            let late = OutboxSamples.records(count: 3, topic: topic, tag: "late")

            // `early` is written first (lower sequences, older transaction) but committed
            // last; `late` commits meanwhile on another connection.
            let writer = try await PostgresConnection.connect(context.database, logger: OutboxTestContext.logger)
            try await writer.transaction { tx in
                try await OutboxWriter.append(early, on: tx, channel: context.relayConfiguration.channel)
                try await context.append(late)
                try await Task.sleep(for: .milliseconds(1500))
                // Committed and visible, but held back behind the open transaction.
                #expect(try await context.unsentCount() == late.count)
                #expect(relay.relay.status.relayedCount == 0)
                #expect(relay.relay.status.heldBackSince != nil)
                #expect(relay.relay.status.failingSince == nil, "\(relay.relay.status)")
            }
            await writer.close()

            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })
            // The status follows the recorded position (the relay writes it first).
            #expect(try await Eventually.wait { relay.relay.status.relayedCount == early.count + late.count })
            #expect(relay.relay.status.heldBackSince == nil)
            try await relay.stop()
            let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("outbox_late"), topics: [topic])
            let received = try await KafkaTestSupport.consume(consumer, count: early.count + late.count)
            try await consumer.close()
            #expect(received.compactMap(OutboxSamples.id) == (early + late).map { $0.notificationId.uuidString.lowercased() })
        }
    }

    @Test("a batch holds no more bytes than maxBatchBytes, but a row larger than that still goes, alone")
    func batchesBoundedByBytes() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("outbox_bytes")
            // Rows of 10,000 bytes of value (and a 6-byte key), one of 100,000 in the middle:
            // three small rows fit in 35,000 bytes, four do not.
            var records = OutboxSamples.records(count: 12, topic: topic, recipients: 1, tag: "bytes")
            for index in records.indices {
                let size = index == 6 ? 100_000 : 10_000
                records[index].message.value = Array(repeating: UInt8(ascii: "a") + UInt8(index), count: size)
            }
            try await context.append(records)
            var configuration = context.relayConfiguration
            configuration.maxBatchBytes = 35_000
            let relay = RunningRelay(
                OutboxRelay(
                    database: context.database, kafka: try KafkaTestSupport.configuration(),
                    configuration: configuration, logger: OutboxTestContext.logger))
            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })
            try await relay.stop()

            // One position per batch: where each batch ended, as an index into `records`.
            let sequences = try await context.connection.query("SELECT sequence FROM hub_outbox ORDER BY sequence")
                .map { try $0.decode(Int64.self, at: 0) }
            let batchEnds = try await context.connection.query(
                "SELECT sequence FROM hub_outbox_relayed WHERE writer_xact <> '0' ORDER BY batch"
            ).map { sequences.firstIndex(of: try $0.decode(Int64.self, at: 0)) ?? -1 }
            #expect(batchEnds == [2, 5, 6, 9, 11], "batches ended at rows \(batchEnds)")

            let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("outbox_bytes"), topics: [topic])
            let received = try await KafkaTestSupport.consume(consumer, count: records.count)
            try await consumer.close()
            #expect(received.compactMap(OutboxSamples.id) == records.map { $0.notificationId.uuidString.lowercased() })
            #expect(received.map(\.value.count) == records.map(\.message.value.count))
        }
    }

    @Test("migration 5 starts the relay's position at the first row not sent under migration 4")
    func positionFromSentAt() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            let before = Array(HubSchema.migrations.prefix(4))
            _ = try await PostgresMigrator(migrations: before, schema: schema).migrate(on: connection)
            let records = OutboxSamples.records(count: 10, topic: "hub.notifications")
            try await connection.transaction { tx in try await OutboxWriter.append(records, on: tx) }
            // Sent as the old relay marked them: the first three, and the fifth after a retry.
            try await connection.execute(
                """
                UPDATE hub_outbox SET sent_at = now()
                 WHERE sequence IN (SELECT sequence FROM hub_outbox ORDER BY sequence LIMIT 3)
                    OR sequence = (SELECT sequence FROM hub_outbox ORDER BY sequence OFFSET 4 LIMIT 1)
                """)
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)

            let unsent = try await connection.query("SELECT notification_id FROM hub_outbox_unsent ORDER BY sequence")
                .map { try $0.decode(UUID.self, at: 0) }
            #expect(unsent == records.dropFirst(3).map(\.notificationId))
            let sent = try await connection.query(
                "SELECT count(*) FROM hub_outbox_deliveries WHERE sent_at IS NOT NULL"
            ).scalar(Int.self)
            #expect(sent == 3)
            // Rows written after the migration come after the old ones.
            let newer = OutboxSamples.records(count: 2, topic: "hub.notifications", tag: "newer")
            try await connection.transaction { tx in try await OutboxWriter.append(newer, on: tx) }
            let order = try await connection.query(
                "SELECT notification_id FROM hub_outbox_unsent ORDER BY writer_xact, sequence"
            ).map { try $0.decode(UUID.self, at: 0) }
            #expect(order == (records.dropFirst(3) + newer).map(\.notificationId))
        }
    }

    @Test("a relay whose session is killed gets the lock back on a new session and goes on")
    func survivesSessionLoss() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("outbox_kill")
            let relay = RunningRelay(try context.makeRelay())
            #expect(try await Eventually.wait { relay.relay.status.role == .active })
            try await context.append(OutboxSamples.records(count: 5, topic: topic, tag: "one"))
            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })

            // As a crash of its backend (or a server restart) would: the lock goes with it.
            let terminated = try await context.connection.query(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = \(context.database.applicationName)"
            ).scalar(Int.self)
            #expect(terminated == 1)
            try await Task.sleep(for: .milliseconds(300))

            try await context.append(OutboxSamples.records(count: 5, topic: topic, tag: "two"))
            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })
            #expect(relay.relay.status.role == .active)
            #expect(try await Eventually.wait { relay.relay.status.relayedCount == 10 })
            let holders = try await context.connection.query(
                """
                SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND a.application_name = \(context.database.applicationName)
                """
            ).scalar(Int.self)
            #expect(holders == 1)
            try await relay.stop()
        }
    }
}

/// Freezes the broker (SIGSTOP): other suites would time out meanwhile, so it runs alone
/// and briefly, and always thaws.
@Suite("Outbox relay with a frozen broker", .serialized, .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct OutboxFrozenBrokerTests {
    @Test("rows written while the broker is frozen are delivered once it resumes, none lost")
    func frozenBroker() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("outbox_frozen", partitions: 2)
            let relay = RunningRelay(try context.makeRelay())
            let warmUp = OutboxSamples.records(count: 3, topic: topic, tag: "warm")
            try await context.append(warmUp)
            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })

            let frozen = OutboxSamples.records(count: 30, topic: topic, tag: "frozen")
            try TestServers.environmentScript("freeze-kafka")
            do {
                defer { try? TestServers.environmentScript("thaw-kafka") }
                try await context.append(Array(frozen.prefix(15)))
                try await Task.sleep(for: .seconds(1))
                try await context.append(Array(frozen.suffix(15)))
                try await Task.sleep(for: .seconds(2))
                // Nothing can have been acknowledged.
                #expect(try await context.unsentCount() == 30)
            }

            #expect(try await Eventually.wait(timeout: .seconds(60)) { try await context.unsentCount() == 0 })
            try await relay.stop()

            let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("outbox_frozen"), topics: [topic])
            let expected = Set((warmUp + frozen).map { $0.notificationId.uuidString.lowercased() })
            var received: [InboundRecord] = []
            _ = try await Eventually.wait(timeout: .seconds(30)) {
                received += try await consumer.poll(maxCount: 100, timeout: .milliseconds(200))
                return expected.isSubset(of: Set(received.compactMap(OutboxSamples.id)))
            }
            try await consumer.close()
            let ids = received.compactMap(OutboxSamples.id)
            #expect(expected.subtracting(ids).isEmpty, "lost: \(expected.subtracting(ids).count)")
            // Per key, in the order written (a duplicate, if any, repeats a suffix only).
            for key in Set(frozen.compactMap(\.message.key)) {
                let order = (warmUp + frozen).filter { $0.message.key == key }.map { $0.notificationId.uuidString.lowercased() }
                var firstSeen: [String] = []
                for message in received where message.key == key {
                    if let id = OutboxSamples.id(message), !firstSeen.contains(id) { firstSeen.append(id) }
                }
                #expect(firstSeen == order)
            }
        }
    }

    @Test("a stop request while a batch waits for a frozen broker lets the batch finish and be marked")
    func stopFinishesInFlightBatch() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("outbox_stop")
            let relay = RunningRelay(try context.makeRelay())
            try await context.append(OutboxSamples.records(count: 2, topic: topic, tag: "warm"))
            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })

            try TestServers.environmentScript("freeze-kafka")
            do {
                defer { try? TestServers.environmentScript("thaw-kafka") }
                try await context.append(OutboxSamples.records(count: 5, topic: topic, tag: "in-flight"))
                try await Task.sleep(for: .seconds(1))  // the relay is now waiting for acknowledgements
                relay.relay.stop()
                try await Task.sleep(for: .seconds(1))
                #expect(relay.relay.status.role == .active)  // still finishing its batch
            }
            try await relay.stop()
            #expect(relay.relay.status.role == .stopped)
            #expect(try await context.unsentCount() == 0)
            #expect(try await Eventually.wait { relay.relay.status.relayedCount == 7 })
        }
    }
}
