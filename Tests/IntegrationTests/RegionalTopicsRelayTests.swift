import Foundation
import HubCore
import HubDomain
import HubKafka
import Testing

/// Issue 17, part 2, on the relay and the broker: with regional topics on, each notification
/// also goes, byte for byte, to `<notifications>.<region>`, created by the relay when
/// missing; a copy that cannot be sent parks its row with the reason and the rows behind it
/// go on. Topics of the test's own (a fresh notifications topic), so the suite shares the
/// broker politely.
@Suite("Regional topics through the relay", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct RegionalTopicsRelayTests {
    /// Notification-like records whose value names a region, as a notification's does.
    static func records(_ regions: [String], topic: String) -> [OutboxRecord] {
        regions.enumerated().map { index, region in
            let id = UUID()
            return OutboxRecord(
                notificationId: id,
                message: OutboundRecord(
                    topic: topic, key: Array("ars:\(region)".utf8),
                    value: Array(#"{"data":{"region":"zz"},"index":\#(index),"region":"\#(region)"}"#.utf8),
                    headers: [
                        RecordHeader(name: "ce_specversion", string: "1.0"),
                        RecordHeader(name: "ce_id", string: id.uuidString.lowercased()),
                        RecordHeader(name: "binary", value: [0, 1, 0xC3, 0x28, 0xFF]),
                        RecordHeader(name: "none", value: nil),
                    ]))
        }
    }

    static func read(_ topic: String, count: Int) async throws -> [InboundRecord] {
        let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("regional"), topics: [topic])
        let received = try await KafkaTestSupport.consume(consumer, count: count)
        try await consumer.close()
        return received
    }

    @Test("each notification is also on its region's topic, byte for byte; missing regional topics are created like hub.notifications")
    func copiesOnRegionalTopics() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("regional", partitions: 3)
            let written = Self.records((0..<30).map { $0 % 3 == 0 ? "84" : "11" }, topic: topic)
            #expect(try await context.append(written) == written.count)
            var configuration = context.relayConfiguration
            configuration.regionalTopics = true
            configuration.notificationsTopic = topic
            configuration.batchSize = 7
            let relay = RunningRelay(
                OutboxRelay(
                    database: context.database, kafka: try KafkaTestSupport.configuration(), configuration: configuration,
                    logger: OutboxTestContext.logger))
            #expect(try await Eventually.wait(timeout: .seconds(60)) { try await context.unsentCount() == 0 })
            try await relay.stop()
            #expect(relay.relay.status.parkedCount == 0)
            #expect(relay.relay.status.relayedCount == written.count, "a row counts once, whatever its copies")

            let main = try await Self.read(topic, count: written.count)
            #expect(main.count == written.count)
            let admin = try KafkaTestSupport.admin()
            for region in ["11", "84"] {
                let regional = "\(topic).\(region)"
                #expect(try await admin.partitions(of: regional).count == 3, "created with the notifications topic's partitions")
                let expected = written.filter { $0.message.key == Array("ars:\(region)".utf8) }
                let received = try await Self.read(regional, count: expected.count)
                #expect(received.map { OutboxSamples.id($0) } == expected.map { $0.notificationId.uuidString.lowercased() })
                for (message, sent) in zip(received, expected) {
                    #expect(message.key == sent.message.key)
                    #expect(message.value == sent.message.value)
                    #expect(message.headers == sent.message.headers)
                }
            }
        }
    }

    @Test("a notification whose region cannot name a topic is delivered, and parked for its copy with why; the rows behind go on")
    func unroutableCopyParks() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("regional_bad", partitions: 1)
            let written = Self.records(["11", "1.1", "11"], topic: topic)
            try await context.append(written)
            var configuration = context.relayConfiguration
            configuration.regionalTopics = true
            configuration.notificationsTopic = topic
            let relay = RunningRelay(
                OutboxRelay(
                    database: context.database, kafka: try KafkaTestSupport.configuration(), configuration: configuration,
                    logger: OutboxTestContext.logger))
            #expect(try await Eventually.wait(timeout: .seconds(60)) { try await context.unsentCount() == 0 })
            try await relay.stop()
            #expect(relay.relay.status.parkedCount == 1)

            let parked = try await context.connection.query(
                """
                SELECT o.notification_id, p.topic, p.error FROM hub_outbox_parked p
                  JOIN hub_outbox o ON (o.writer_xact, o.sequence) = (p.writer_xact, p.sequence)
                """)
            #expect(parked.count == 1)
            let row = try #require(parked.first)
            #expect(try row.decode(UUID.self, at: 0) == written[1].notificationId)
            #expect(try row.decode(String.self, at: 1) == topic + ".*")
            let reason = try row.decode(String.self, at: 2)
            #expect(reason.contains("cannot be part of a topic name") && reason.contains("delivered to \(topic)"), "\(reason)")

            #expect(try await Self.read(topic, count: 3).count == 3, "all three on the notifications topic")
            #expect(try await Self.read(topic + ".11", count: 2).count == 2, "the rows behind went on")
        }
    }
}
