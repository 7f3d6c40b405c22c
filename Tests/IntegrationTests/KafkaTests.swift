import Foundation
import HubDomain
import HubKafka
import Testing

@Suite("Kafka adapter against a real broker", .timeLimit(.minutes(2)), .enabled(if: TestServers.hasKafka))
struct KafkaTests {
    @Test("a record comes back with its key, value and headers")
    func roundTrip() async throws {
        let topic = try await KafkaTestSupport.freshTopic("roundtrip")
        let producer = try KafkaTestSupport.producer()
        let headers = [
            RecordHeader(name: "ce_id", string: "évènement-1"), RecordHeader(name: "binary", value: [0, 1, 255]),
            RecordHeader(name: "empty", value: nil),
        ]
        let report = try await producer.send(
            OutboundRecord(topic: topic, key: "clsm-75-01", value: Array("{\"a\":1}".utf8), headers: headers))
        #expect(report.topic == topic)
        #expect(report.offset == 0)
        try producer.close()

        let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("g"), topics: [topic])
        let messages = try await KafkaTestSupport.consume(consumer, count: 1)
        try await consumer.close()
        let message = try #require(messages.first)
        #expect(message.keyString == "clsm-75-01")
        #expect(message.value == Array("{\"a\":1}".utf8))
        #expect(message.headers == headers)
        #expect(message.offset == report.offset)
    }

    @Test("a batch of sends keeps per-partition order and reports each delivery")
    func batchOrder() async throws {
        let topic = try await KafkaTestSupport.freshTopic("order", partitions: 3)
        let producer = try KafkaTestSupport.producer()
        let outgoing = (0..<300).map { OutboundRecord(topic: topic, key: "k\($0 % 7)", value: Array("\($0)".utf8)) }
        let results = try await producer.send(outgoing)
        try producer.close()
        let reports = try results.map { try $0.get() }
        #expect(reports.count == 300)

        let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("g"), topics: [topic])
        let messages = try await KafkaTestSupport.consume(consumer, count: 300)
        try await consumer.close()
        #expect(messages.count == 300)
        // Per key, values arrive in the order they were sent.
        let byKey = Dictionary(grouping: messages, by: { $0.keyString! })
        for (_, records) in byKey {
            let values = records.sorted { $0.offset < $1.offset }.map { Int(String(decoding: $0.value, as: UTF8.self))! }
            #expect(values == values.sorted())
        }
    }

    @Test("a restarted group member resumes exactly after the last commit")
    func resumeAfterCommit() async throws {
        let topic = try await KafkaTestSupport.freshTopic("resume")
        let group = TestServers.uniqueName("g")
        let producer = try KafkaTestSupport.producer()
        _ = try await producer.send((0..<10).map { OutboundRecord(topic: topic, key: nil, value: Array("\($0)".utf8)) })

        let first = try KafkaTestSupport.consumer(group: group, topics: [topic])
        let firstBatch = try await KafkaTestSupport.consume(first, count: 10)
        #expect(firstBatch.count == 10)
        // Process and commit only the first six records, then stop.
        try await first.commit(after: Array(firstBatch.prefix(6)))
        let committed = try await first.committed([TopicPartition(topic: topic, partition: 0)])
        #expect(committed[TopicPartition(topic: topic, partition: 0)] == 6)
        try await first.close()

        _ = try await producer.send((10..<12).map { OutboundRecord(topic: topic, key: nil, value: Array("\($0)".utf8)) })
        try producer.close()
        let second = try KafkaTestSupport.consumer(group: group, topics: [topic])
        let resumed = try await KafkaTestSupport.consume(second, count: 6)
        try await second.close()
        #expect(resumed.map(\.offset) == Array(6..<12))
    }

    @Test("two members of one group share the partitions and together read everything once")
    func twoMembersShare() async throws {
        let topic = try await KafkaTestSupport.freshTopic("share", partitions: 4)
        let group = TestServers.uniqueName("g")
        let producer = try KafkaTestSupport.producer()
        _ = try await producer.send((0..<200).map { OutboundRecord(topic: topic, key: "k\($0)", value: Array("\($0)".utf8)) })
        try producer.close()

        let a = try KafkaTestSupport.consumer(group: group, topics: [topic])
        let b = try KafkaTestSupport.consumer(group: group, topics: [topic])
        // Both poll until both hold an assignment, then read what is theirs.
        var received: [String: [InboundRecord]] = ["a": [], "b": []]
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: .seconds(40))
        var assignments: ([TopicPartition], [TopicPartition]) = ([], [])
        while clock.now < end {
            async let fromA = a.poll(maxCount: 50, timeout: .milliseconds(200))
            async let fromB = b.poll(maxCount: 50, timeout: .milliseconds(200))
            received["a"]! += try await fromA
            received["b"]! += try await fromB
            assignments = (try await a.assignment(), try await b.assignment())
            let total = received["a"]!.count + received["b"]!.count
            if total >= 200, !assignments.0.isEmpty, !assignments.1.isEmpty { break }
        }
        try await a.commit(after: received["a"]!)
        try await b.commit(after: received["b"]!)
        try await a.close()
        try await b.close()

        #expect(!assignments.0.isEmpty && !assignments.1.isEmpty, "both members got partitions: \(assignments)")
        #expect(Set(assignments.0).isDisjoint(with: assignments.1))
        #expect(Set(assignments.0).union(assignments.1).count == 4)
        // Every record read; none twice by the two members (a record read before the
        // second member joined may be read again only if uncommitted, which we rule out by
        // counting distinct offsets).
        let all = received["a"]! + received["b"]!
        let distinct = Set(all.map { "\($0.partition):\($0.offset)" })
        #expect(distinct.count == 200)
    }

    @Test("offsets at a time find the first record at or after it")
    func offsetsAtTime() async throws {
        let topic = try await KafkaTestSupport.freshTopic("time")
        let producer = try KafkaTestSupport.producer()
        _ = try await producer.send((0..<3).map { OutboundRecord(topic: topic, key: nil, value: Array("\($0)".utf8)) })
        try await Task.sleep(for: .milliseconds(1100))
        let cut = Date()
        try await Task.sleep(for: .milliseconds(50))
        _ = try await producer.send((3..<5).map { OutboundRecord(topic: topic, key: nil, value: Array("\($0)".utf8)) })
        try producer.close()
        let admin = try KafkaTestSupport.admin()
        #expect(try await admin.offsets(of: topic, at: cut).map(\.offset) == [3])
        #expect(try await admin.offsets(of: topic, at: Date(timeIntervalSince1970: 0)).map(\.offset) == [0])
        // A time after the last record: Kafka answers -1 (read as the high watermark), but
        // Tansu answers 0, so nothing is asserted for it here; hub-admin refuses future times.
    }

    @Test("creating topics twice reports them as already existing")
    func createTopicsIsIdempotent() async throws {
        let admin = try KafkaTestSupport.admin()
        let name = TestServers.uniqueName("create")
        let first = try await admin.createTopics([TopicSpecification(name: name, partitions: 2)])
        #expect(first[name] == .created)
        let second = try await admin.createTopics([TopicSpecification(name: name, partitions: 2)])
        #expect(second[name] == .alreadyExisted)
        #expect(try await admin.partitions(of: name) == [0, 1])
        #expect(try await admin.topicNames().contains(name))
    }

    @Test("an unknown broker gives a clear error within the timeout, not a hang")
    func unknownBroker() async throws {
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(brokers: "127.0.0.1:1"), logger: KafkaTestSupport.logger)
        // A hang would hit the suite's time limit; how fast it fails is not asserted.
        let error = await #expect(throws: KafkaError.self) { try await admin.metadata(timeout: .seconds(2)) }
        #expect(error?.kind == .brokersUnreachable)
        #expect(error?.description.contains("127.0.0.1:1") == true)

        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(brokers: "127.0.0.1:1", properties: ["message.timeout.ms": "1500"]),
            logger: KafkaTestSupport.logger)
        let delivery = await #expect(throws: KafkaError.self) {
            try await producer.send(OutboundRecord(topic: "nowhere", key: nil, value: [1]))
        }
        #expect(delivery?.kind == .deliveryFailed)
        #expect(delivery?.isTransient == true)
        try? producer.close(timeout: .seconds(1))
    }

    @Test("an unknown librdkafka property is refused with its name")
    func badProperty() throws {
        let configuration = KafkaConfiguration.fromEnvironment(
            HubEnvironment([
                "HUB_KAFKA_BROKERS": "127.0.0.1:9092", "HUB_KAFKA_NO_SUCH_THING": "1",
            ]))
        let error = #expect(throws: KafkaError.self) { try KafkaProducer(configuration: configuration, logger: KafkaTestSupport.logger) }
        #expect(error?.kind == .invalidConfiguration)
        #expect(error?.description.contains("no.such.thing") == true)
    }
}
