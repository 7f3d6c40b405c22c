import Foundation
import HubCore
import HubDomain
import HubPostgres
import Logging
import Testing

/// `hub-admin status`, the real executable against the real servers.
@Suite("hub-admin status", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct StatusCommandTests {
    static func json(_ text: String) throws -> [String: [[String: Any]]] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: [[String: Any]]], "not one object of arrays of objects:\n\(text)")
    }

    /// A record the processor cannot decode, on an inbound topic.
    static func garbage(offset: Int64) -> InboundRecord {
        InboundRecord(
            topic: "clsm.declared", partition: 3, offset: offset, key: Array("k".utf8), value: Array("not json".utf8),
            headers: ExampleEvents.structuredHeaders, timestampMilliseconds: nil)
    }

    @Test("outbox backlog, dead letters by code and last events, in table and json, match the database")
    func databaseSections() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            try await StateStore().importReference(try ExampleEvents.referenceDocument(), on: connection)
            let processor = BatchProcessor(logger: Logger(label: "tests.status"))
            let examples = try ExampleEvents.consumedMessages(firstOffset: 100)
            let outcome = try await processor.process([Self.garbage(offset: 1), Self.garbage(offset: 2)] + examples, on: connection)
            #expect(outcome.deadLetters[.malformedEnvelope] == 2)
            // One of them replayed already: the count of those not replayed drops.
            let letters = try await DeadLetterStore.list(on: connection)
            try await DeadLetterStore.markReplayed([letters[0].sequence], on: connection)
            // The first five notifications relayed, as a relay records its position.
            try await connection.execute(
                """
                INSERT INTO hub_outbox_relayed (writer_xact, sequence)
                SELECT writer_xact, sequence FROM hub_outbox WHERE topic = 'hub.notifications'
                 ORDER BY writer_xact, sequence OFFSET 4 LIMIT 1
                """)
            let unsent = try await connection.query(
                "SELECT count(*) FROM hub_outbox_unsent WHERE topic = 'hub.notifications'"
            ).scalar(Int.self)
            let deadLettersBefore = try await connection.query(
                """
                SELECT count(*) FROM hub_outbox d, (SELECT writer_xact, sequence FROM hub_outbox_relayed ORDER BY batch DESC LIMIT 1) p
                 WHERE d.topic = 'hub.deadletter' AND (d.writer_xact, d.sequence) <= (p.writer_xact, p.sequence)
                """
            ).scalar(Int.self)
            #expect(unsent == outcome.notifications - 5)
            #expect(deadLettersBefore == 0, "the dead letters were written after the notifications")

            let result = try await AdminProcess.run(
                ["status", "--format", "json"], schema: schema,
                group: TestServers.uniqueName("status"))
            #expect(result.status == 0, "\(result)")
            let status = try Self.json(result.standardOutput)
            #expect(Set(status.keys) == ["lag", "outbox", "deadletters", "events", "sources"])

            #expect(status["sources"]?.isEmpty == true, "no source registered: the hub runs open")
            let sourcesTable = try await AdminProcess.run(["status", "--section", "sources"], schema: schema)
            #expect(sourcesTable.standardOutput.contains("none, the hub runs open"), "\(sourcesTable)")

            let outbox = try #require(status["outbox"])
            #expect(outbox.map { $0["topic"] as? String } == ["hub.notifications", "hub.deadletter"])
            #expect(outbox[0]["unsent"] as? Int == unsent)
            #expect(outbox[1]["unsent"] as? Int == 2, "each dead letter waits in the outbox for hub.deadletter")
            #expect((outbox[0]["oldest_age_seconds"] as? Double ?? -1) >= 0)
            #expect(outbox[0]["oldest_unsent_at"] is String)

            let deadLetters = try #require(status["deadletters"])
            #expect(deadLetters.count == 1)
            #expect(deadLetters.first?["code"] as? String == "malformed_envelope")
            #expect(deadLetters.first?["total"] as? Int == 2)
            #expect(deadLetters.first?["unreplayed"] as? Int == 1)

            // The last example of each topic, in file order, is the last event of its topic.
            let events = try #require(status["events"])
            #expect(events.map { $0["topic"] as? String } == HubTopics.inbound)
            var lastByTopic: [String: CloudEvent] = [:]
            var countByTopic: [String: Int] = [:]
            for message in examples {
                lastByTopic[message.topic] = try CloudEventRecordCodec.decode(headers: message.headers, value: message.value)
                countByTopic[message.topic, default: 0] += 1
            }
            let logged = try await connection.query("SELECT topic, count(*) FROM hub_event_log GROUP BY topic")
            for row in events {
                let topic = try #require(row["topic"] as? String)
                let expected = try #require(lastByTopic[topic])
                #expect(row["last_ce_id"] as? String == expected.id, "\(topic)")
                #expect(row["last_ce_source"] as? String == expected.source, "\(topic)")
                #expect((row["last_ce_time"] as? String).flatMap(Timestamp.init) == expected.time, "\(topic)")
                #expect(row["last_processed_at"] is String)
                let inLog = try logged.first { try $0.decode(String.self, at: 0) == topic }.map { try $0.decode(Int.self, at: 1) }
                #expect(row["events"] as? Int == inLog, "\(topic)")
            }
            #expect(events.compactMap { $0["events"] as? Int }.reduce(0, +) == outcome.applied + outcome.stale)

            let table = try await AdminProcess.run(["status"], schema: schema, group: TestServers.uniqueName("status"))
            #expect(table.status == 0, "\(table)")
            let text = table.standardOutput
            for title in ["Consumer lag of group", "Outbox backlog", "Dead letters by code", "Last event per inbound topic"] {
                #expect(text.contains(title + "\n") || text.contains(title + " "), "\(title) missing:\n\(text)")
            }
            #expect(text.contains("malformed_envelope      2           1"), "\(text)")
            let notificationsLine = text.split(separator: "\n").first { $0.hasPrefix("hub.notifications") }
            #expect(
                notificationsLine?.contains("notifications") == true && notificationsLine?.contains(" \(unsent) ") == true,
                "\(text)")
            // The events section's line (the lag section may list clsm.declared partitions too).
            let lastClsm = try #require(lastByTopic["clsm.declared"]).id
            #expect(text.split(separator: "\n").contains { $0.hasPrefix("clsm.declared ") && $0.contains(lastClsm) }, "\(text)")

            let csv = try await AdminProcess.run(["status", "--format", "csv", "--section", "deadletters"], schema: schema)
            #expect(csv.status == 0, "\(csv)")
            #expect(csv.standardOutput == "code,total,unreplayed\r\nmalformed_envelope,2,1\r\n")
            // Without --section, CSV is one plain table too: the first section, lag.
            let all = try await AdminProcess.run(["status", "--format", "csv"], schema: schema)
            #expect(all.status == 0, "\(all)")
            #expect(all.standardOutput.hasPrefix("topic,partition,committed,end,lag\r\n"), "\(all)")
            #expect(!all.standardOutput.contains("#") && !all.standardOutput.contains("oldest_unsent_at"), "\(all)")
        }
    }

    @Test("lag per partition of a private topic for a private group: committed, end, lag")
    func lagOfAPrivateGroup() async throws {
        let topic = try await KafkaTestSupport.freshTopic("status", partitions: 2)
        let group = TestServers.uniqueName("status")
        let producer = try KafkaTestSupport.producer()
        for index in 0..<5 {
            try await producer.send(OutboundRecord(topic: topic, partition: 0, key: nil, value: Array("a\(index)".utf8)))
        }
        for index in 0..<3 {
            try await producer.send(OutboundRecord(topic: topic, partition: 1, key: nil, value: Array("b\(index)".utf8)))
        }
        try producer.close()
        let admin = try KafkaTestSupport.admin()
        try await admin.commitOffsets(group: group, [TopicPartitionOffset(topic: topic, partition: 0, offset: 2)])
        // Tansu's high watermark may trail the acknowledged records for a moment.
        #expect(
            try await Eventually.wait {
                let ends = [
                    try await admin.watermarks(of: TopicPartition(topic: topic, partition: 0)).high,
                    try await admin.watermarks(of: TopicPartition(topic: topic, partition: 1)).high,
                ]
                return ends == [5, 3]
            })

        let result = try await AdminProcess.run(
            ["status", "--section", "lag", "--format", "json", "--topic", topic],
            schema: nil, group: group)
        #expect(result.status == 0, "\(result)")
        let lag = try #require(try Self.json(result.standardOutput)["lag"])
        #expect(lag.count == 2)
        #expect(lag.map { $0["topic"] as? String } == [topic, topic])
        #expect(lag.map { $0["partition"] as? Int } == [0, 1])
        #expect(lag[0]["committed"] as? Int == 2)
        #expect(lag[1]["committed"] is NSNull, "nothing committed on partition 1")
        #expect(lag.map { $0["end"] as? Int } == [5, 3])
        #expect(lag.map { $0["lag"] as? Int } == [3, 3])

        let table = try await AdminProcess.run(["status", "--section", "lag", "--topic", topic], schema: nil, group: group)
        #expect(table.status == 0, "\(table)")
        #expect(table.standardOutput.hasPrefix("Consumer lag of group \(group) (total 6)\n"), "\(table)")
    }

    @Test("PostgreSQL or Kafka that does not answer: exit 69")
    func unavailable() async throws {
        let noKafka = try await AdminProcess.run(
            ["status", "--section", "lag", "--timeout", "2"], schema: nil,
            extra: ["HUB_KAFKA_BROKERS": "127.0.0.1:1"])
        #expect(noKafka.status == 69, "\(noKafka)")
        #expect(noKafka.standardError.contains("Kafka"), "\(noKafka)")
        let noDatabase = try await AdminProcess.run(
            ["status"], schema: nil, extra: ["HUB_DATABASE_URL": "postgresql://hub:hub@127.0.0.1:1/hub?connect_timeout=2"])
        #expect(noDatabase.status == 69, "\(noDatabase)")
        #expect(noDatabase.standardError.contains("PostgreSQL"), "\(noDatabase)")
    }
}
