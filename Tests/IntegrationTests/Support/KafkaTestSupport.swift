import Foundation
import HubDomain
import HubKafka
import Logging

/// Kafka clients for tests, tuned for a local broker: Tansu makes group joins wait for
/// `session.timeout.ms`, so it is kept to a few seconds.
enum KafkaTestSupport {
    static let logger: Logger = {
        var logger = Logger(label: "tests.kafka")
        logger.logLevel = .error
        return logger
    }()

    static func configuration() throws -> KafkaConfiguration {
        KafkaConfiguration(
            brokers: try TestServers.requireKafkaBrokers(),
            properties: [
                "session.timeout.ms": "4000",
                "heartbeat.interval.ms": "500",
                "topic.metadata.refresh.interval.ms": "2000",
            ])
    }

    static func admin() throws -> KafkaAdmin {
        try KafkaAdmin(configuration: configuration(), logger: logger)
    }

    static func producer() throws -> KafkaProducer {
        try KafkaProducer(configuration: configuration(), logger: logger)
    }

    static func consumer(group: String, topics: [String]) throws -> KafkaConsumer {
        try KafkaConsumer(configuration: configuration(), groupID: group, topics: topics, logger: logger)
    }

    /// Creates a topic with a name no other test uses.
    static func freshTopic(_ prefix: String, partitions: Int32 = 1) async throws -> String {
        let name = TestServers.uniqueName(prefix)
        _ = try await admin().createTopics([TopicSpecification(name: name, partitions: partitions)])
        return name
    }

    /// Polls until `count` records came or `deadline` passed.
    static func consume(_ consumer: KafkaConsumer, count: Int, within deadline: Duration = .seconds(30)) async throws -> [InboundRecord] {
        var received: [InboundRecord] = []
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        while received.count < count, clock.now < end {
            received += try await consumer.poll(maxCount: 100, timeout: .milliseconds(200))
        }
        return received
    }
}
