import Foundation
import HubCore
import HubDomain
import HubPostgres
import Logging
import Testing

/// A migrated schema of its own, a relay configuration that no other test shares (channel,
/// lock key), and helpers to run relays and wait for them.
struct OutboxTestContext {
    let connection: PostgresConnection
    let schema: String
    let database: PostgresConfiguration
    let relayConfiguration: OutboxRelayConfiguration

    static let logger: Logger = {
        var logger = Logger(label: "tests.outbox")
        logger.logLevel = ProcessInfo.processInfo.environment["HUB_TEST_LOG"] == "1" ? .debug : .error
        return logger
    }()

    /// Runs `body` in a fresh schema with the hub's migrations applied.
    static func with<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: (OutboxTestContext) async throws -> T
    ) async throws -> T {
        try await PostgresTestDatabase.withSchema { connection, schema in
            try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema, logger: logger).migrate(on: connection)
            // The default lock key, derived from the schema, is already one of our own.
            var relayConfiguration = OutboxRelayConfiguration(channel: "outbox_\(schema)")
            relayConfiguration.pollInterval = .milliseconds(500)
            relayConfiguration.standbyInterval = .milliseconds(300)
            relayConfiguration.initialBackoff = .milliseconds(100)
            relayConfiguration.maximumBackoff = .seconds(1)
            var database = try PostgresTestDatabase.configuration().withSearchPath([schema])
            database.applicationName = "relay_\(schema)"
            database.reconnectTimeout = .seconds(5)
            return try await body(
                OutboxTestContext(
                    connection: connection, schema: schema, database: database, relayConfiguration: relayConfiguration))
        }
    }

    func makeRelay() throws -> OutboxRelay {
        OutboxRelay(
            database: database, kafka: try KafkaTestSupport.configuration(),
            configuration: relayConfiguration, logger: Self.logger)
    }

    /// Writes `records` in one transaction, as the processing transaction does.
    @discardableResult
    func append(_ records: [OutboxRecord]) async throws -> Int {
        try await connection.transaction { tx in
            try await OutboxWriter.append(records, on: tx, channel: relayConfiguration.channel)
        }
    }

    func unsentCount() async throws -> Int {
        try await connection.query("SELECT count(*) FROM hub_outbox_unsent").scalar(Int.self)
    }
}

/// A relay running in a task of its own until `stop()`.
struct RunningRelay {
    let relay: OutboxRelay
    let task: Task<Void, any Error>

    init(_ relay: OutboxRelay) {
        self.relay = relay
        task = Task { try await relay.run() }
    }

    /// Stops as a graceful shutdown does and waits for `run()` to return.
    func stop() async throws {
        relay.stop()
        try await task.value
    }
}

enum Eventually {
    /// Checks `condition` every 100 ms until it holds or `timeout` passes; returns whether it held.
    static func wait(
        isolation: isolated (any Actor)? = #isolation,
        timeout: Duration = .seconds(20), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}

/// Notification-like records: key `ars:<recipient>`, binary-mode CloudEvents headers plus
/// headers that test byte fidelity, a value with every byte.
enum OutboxSamples {
    static func records(count: Int, topic: String, recipients: Int = 4, tag: String = "n") -> [OutboxRecord] {
        (0..<count).map { index in
            let id = UUID()
            var value = Array("{\"index\":\(index),\"tag\":\"\(tag)\"}".utf8)
            value += [0, 255, 10, 13, 92, 39, 34]
            return OutboxRecord(
                notificationId: id,
                message: OutboundRecord(
                    topic: topic, key: "ars:R\(index % recipients)", value: value,
                    headers: [
                        RecordHeader(name: "ce_specversion", string: "1.0"),
                        RecordHeader(name: "ce_id", string: id.uuidString.lowercased()),
                        RecordHeader(name: "ce_type", string: "hub.notification.v1"),
                        RecordHeader(name: "content-type", string: "application/json"),
                        RecordHeader(name: "binary", value: [0, 1, 2, 0xC3, 0x28, 0xFF, UInt8(index % 256)]),
                        RecordHeader(name: "none", value: nil),
                        RecordHeader(name: "ce_id_dup", string: "é"),
                        RecordHeader(name: "ce_id_dup", string: "second"),
                    ]))
        }
    }

    /// ce_id of a received record.
    static func id(_ message: InboundRecord) -> String? { message.header("ce_id")?.stringValue }
}
