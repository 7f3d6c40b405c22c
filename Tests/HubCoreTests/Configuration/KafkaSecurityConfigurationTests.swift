import Foundation
import HubCore
import HubDomain
import Logging
import Testing

@testable import HubKafka

/// Issue 17, part 4: SASL/SSL reaches librdkafka through `HUB_KAFKA_<PROPERTY>`, and the
/// password never shows in what the hub prints or logs.
@Suite("Kafka security settings from the environment")
struct KafkaSecurityConfigurationTests {
    static let password = "s3cr3t-Scram-Pa55word"
    static let caFile = "/etc/ssl/certs/ca-certificates.crt"

    static func environment(_ extra: [String: String] = [:]) -> HubEnvironment {
        HubEnvironment(
            [
                "HUB_DATABASE_URL": "postgresql://hub:dbsecret@127.0.0.1:5432/hub",
                // Nothing listens there: the clients are made, never connected.
                "HUB_KAFKA_BROKERS": "127.0.0.1:1",
                "HUB_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "HUB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
                "HUB_KAFKA_SASL_USERNAME": "clsm-hub",
                "HUB_KAFKA_SASL_PASSWORD": password,
                "HUB_KAFKA_SSL_CA_LOCATION": caFile,
            ].merging(extra) { $1 })
    }

    @Test("HUB_KAFKA_SECURITY_PROTOCOL, _SASL_MECHANISM, _SASL_USERNAME, _SASL_PASSWORD, _SSL_CA_LOCATION become the librdkafka properties")
    func propertiesPassThrough() throws {
        let configuration = try HubConfiguration(environment: Self.environment())
        let properties = configuration.kafka.properties
        #expect(properties["security.protocol"] == "SASL_SSL")
        #expect(properties["sasl.mechanism"] == "SCRAM-SHA-512")
        #expect(properties["sasl.username"] == "clsm-hub")
        #expect(properties["sasl.password"] == Self.password)
        #expect(properties["ssl.ca.location"] == Self.caFile)
        #expect(properties["bootstrap.servers"] == "127.0.0.1:1")
    }

    @Test("librdkafka takes every one of them: producer and admin clients are made with SASL_SSL and SCRAM-SHA-512")
    func librdkafkaAcceptsThem() throws {
        try #require(FileManager.default.fileExists(atPath: Self.caFile), "a CA bundle to point ssl.ca.location at")
        let logs = CapturedLogs()
        let logger = logs.logger()
        let configuration = try HubConfiguration(environment: Self.environment())
        // rd_kafka_conf_set refuses an unknown property or value, and rd_kafka_new a CA file
        // it cannot load or a mechanism the library was built without: either throws here.
        let admin = try KafkaAdmin(configuration: configuration.kafka, logger: logger)
        let producer = try KafkaProducer(configuration: configuration.kafka, logger: logger)
        try producer.close(timeout: .milliseconds(100))
        _ = admin
        #expect(!logs.text.contains(Self.password))

        // A typo in a property name is refused at once, with its name, never its value.
        let wrong = try HubConfiguration(environment: Self.environment(["HUB_KAFKA_SASL_PASSWORDS": Self.password]))
        #expect {
            try KafkaAdmin(configuration: wrong.kafka, logger: logger)
        } throws: { error in
            "\(error)".contains("sasl.passwords") && !"\(error)".contains(Self.password)
        }
    }

    @Test("the password is redacted where the configuration is printed: start-up log line, hub-admin errors")
    func passwordNeverPrinted() throws {
        let configuration = try HubConfiguration(environment: Self.environment())
        // hub-workers logs `configuration` when it starts; hub-admin prints the Kafka
        // configuration when Kafka cannot be reached.
        for text in ["\(configuration)", "\(configuration.kafka)", String(describing: configuration.kafka.properties.keys.sorted())] {
            #expect(!text.contains(Self.password), "\(text)")
            #expect(!text.contains("dbsecret"), "\(text)")
        }
        #expect("\(configuration.kafka)".contains("sasl.password=<redacted>"))
        #expect("\(configuration.kafka)".contains("sasl.username=clsm-hub"))
        #expect("\(configuration.kafka)".contains("security.protocol=SASL_SSL"))
        for property in ["sasl.password", "ssl.key.password", "ssl.keystore.password", "ssl.key.pem", "sasl.oauthbearer.client.secret"] {
            #expect(KafkaConfiguration.isSecret(property), "\(property)")
        }
        for property in ["sasl.username", "ssl.ca.location", "ssl.certificate.location", "ssl.key.location"] {
            #expect(!KafkaConfiguration.isSecret(property), "\(property): a path or a name, shown")
        }
    }

    @Test("without the Create ACL, a topic that exists counts as existing (start-up goes on); a missing one still fails")
    func createWithoutCreateRight() throws {
        // Kafka answers TOPIC_AUTHORIZATION_FAILED (29) before looking whether the topic exists.
        let results = [
            KafkaAdmin.TopicResult(name: "clsm.declared", code: 29, detail: "Authorization failed."),
            KafkaAdmin.TopicResult(name: "hub.notifications.11", code: 0, detail: nil),
            KafkaAdmin.TopicResult(name: "hub.deadletter", code: 36, detail: "already exists"),
        ]
        let outcomes = try KafkaAdmin.outcomes(results, existing: ["clsm.declared", "hub.deadletter"])
        #expect(outcomes == ["clsm.declared": .alreadyExisted, "hub.notifications.11": .created, "hub.deadletter": .alreadyExisted])
        #expect {
            try KafkaAdmin.outcomes(results, existing: ["hub.deadletter"])
        } throws: { error in
            "\(error)".contains("create topic clsm.declared") && !((error as? KafkaError)?.isTransient ?? true)
        }
    }
}

/// Every log line of the loggers it makes, metadata included, as text.
final class CapturedLogs: Sendable {
    let lines = Locked<[String]>([])

    var text: String { lines.current.joined(separator: "\n") }

    func logger() -> Logger {
        var logger = Logger(label: "captured") { _ in Handler(lines: self.lines) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let lines: Locked<[String]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            lines.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)") }
        }
    }
}
