import Foundation
import HubDomain
import HubKafka
import HubPostgres
import Logging
import Testing

/// One isolated run of the hub against the shared servers: an emptied broker, a fresh
/// PostgreSQL schema with the reference data, and fresh consumer groups.
///
/// Runs share the contract's topic names, so the suites that use them are serialized.
struct HubTestRun {
    let schema: String
    let group: String
    let database: PostgresConnection
    let admin: KafkaAdmin
    let producer: KafkaProducer
    /// hub.notifications partitions' ends when the run started.
    let notificationsStart: [TopicPartitionOffset]
    /// The inbound partitions' ends when the run started.
    let inboundStart: [TopicPartitionOffset]

    /// Starts a run on an empty broker: Tansu keeps its data in memory, so restarting it
    /// leaves no record of earlier runs on the shared topic names (reading from watermarks
    /// instead proved unreliable with Tansu: ends read before a run sometimes lagged).
    static func start(reference: ReferenceDataDocument) async throws -> HubTestRun {
        try TestServers.environmentScript("restart-kafka")
        let schema = TestServers.uniqueName("e2e")
        let group = TestServers.uniqueName("hub")
        let base = try PostgresConfiguration(url: try TestServers.requireDatabaseURL())
        let setup = try await PostgresConnection.connect(base)
        try await setup.executeScript("CREATE SCHEMA " + PostgresIdentifier.quote(schema))
        await setup.close()
        let database = try await PostgresConnection.connect(base.withSearchPath([schema]))
        _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: database)
        try await StateStore().importReference(reference, on: database)

        let admin = try KafkaTestSupport.admin()
        _ = try await admin.createTopics(HubTopics.specifications())
        let inboundStart = try await ends(of: HubTopics.inbound, admin: admin)
        try await admin.commitOffsets(group: group, inboundStart)
        let notificationsStart = try await ends(of: [HubTopics.notifications], admin: admin)
        return HubTestRun(
            schema: schema, group: group, database: database, admin: admin,
            producer: try KafkaTestSupport.producer(), notificationsStart: notificationsStart,
            inboundStart: inboundStart)
    }

    static func ends(of topics: [String], admin: KafkaAdmin) async throws -> [TopicPartitionOffset] {
        var offsets: [TopicPartitionOffset] = []
        for topic in topics {
            for partition in try await admin.partitions(of: topic) {
                let high = try await admin.watermarks(of: TopicPartition(topic: topic, partition: partition)).high
                offsets.append(TopicPartitionOffset(topic: topic, partition: partition, offset: high))
            }
        }
        return offsets
    }

    /// Starts hub-workers on the run's schema and group; `settings` are extra environment
    /// variables (e.g. `HUB_KAFKA_MAX_POLL_INTERVAL_MS`).
    func startWorker(_ name: String = "worker", databaseURL: String? = nil, settings: [String: String] = [:]) throws -> WorkerProcess {
        try WorkerProcess(schema: schema, group: group, name: name, databaseURL: databaseURL, settings: settings)
    }

    /// Reads hub.notifications from the run's start until `expected` distinct ids came (or
    /// the deadline passed); returns every record read, duplicates included.
    func notifications(expecting expected: Set<String>, within deadline: Duration = .seconds(90)) async throws -> [InboundRecord] {
        let readerGroup = TestServers.uniqueName("reader")
        try await admin.commitOffsets(group: readerGroup, notificationsStart)
        let consumer = try KafkaTestSupport.consumer(group: readerGroup, topics: [HubTopics.notifications])
        var received: [InboundRecord] = []
        var seen: Set<String> = []
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        while !expected.isSubset(of: seen), clock.now < end {
            let batch = try await consumer.poll(maxCount: 500, timeout: .milliseconds(300))
            received += batch
            for message in batch { if let id = message.header("ce_id")?.stringValue { seen.insert(id) } }
        }
        try await consumer.close()
        return received
    }

    /// Waits until the run's group has committed up to the end of every inbound partition
    /// and the outbox holds no unsent row: everything published so far is processed and
    /// relayed.
    func waitUntilCaughtUp(within deadline: Duration = .seconds(180)) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        while clock.now < end {
            let ends = try await Self.ends(of: HubTopics.inbound, admin: admin)
            let committed = try await admin.committedOffsets(group: group, partitions: ends.map(\.topicPartition))
            let caughtUp = ends.allSatisfy { (committed[$0.topicPartition] ?? 0) >= $0.offset }
            if caughtUp {
                let unsent = try await database.query("SELECT count(*) FROM hub_outbox_unsent").scalar(Int.self)
                if unsent == 0 { return true }
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        return false
    }

    /// Rows in the inbox: events processed so far.
    func processedCount() async throws -> Int {
        try await database.query("SELECT count(*) FROM hub_inbox").scalar(Int.self)
    }

    func finish() async {
        try? producer.close(timeout: .seconds(5))
        if ProcessInfo.processInfo.environment["HUB_TEST_KEEP_SCHEMAS"] == "1" {
            print("kept schema \(schema)")
            await database.close()
            return
        }
        try? await database.executeScript("DROP SCHEMA IF EXISTS " + PostgresIdentifier.quote(schema) + " CASCADE")
        await database.close()
    }
}
