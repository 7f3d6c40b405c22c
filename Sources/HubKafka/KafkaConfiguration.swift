import CKafka
import HubDomain

/// librdkafka properties for one client, read from the hub's environment.
///
/// The contract: `HUB_KAFKA_BROKERS` (default `127.0.0.1:9092`) is `bootstrap.servers`, and
/// any other `HUB_KAFKA_<PROPERTY>` is the librdkafka property with dots written as
/// underscores (`HUB_KAFKA_SECURITY_PROTOCOL=SASL_SSL` is `security.protocol`).
public struct KafkaConfiguration: Sendable, CustomStringConvertible {
    public static let defaultBrokers = "127.0.0.1:9092"

    /// Property name to value, as librdkafka names them.
    public private(set) var properties: [String: String]

    public init(brokers: String = KafkaConfiguration.defaultBrokers, properties: [String: String] = [:]) {
        self.properties = properties
        self.properties["bootstrap.servers"] = brokers
    }

    public static func fromEnvironment(_ environment: HubEnvironment = HubEnvironment()) -> KafkaConfiguration {
        var configuration = KafkaConfiguration(brokers: environment["HUB_KAFKA_BROKERS"] ?? defaultBrokers)
        for (name, value) in environment.variables where name.hasPrefix("HUB_KAFKA_") && name != "HUB_KAFKA_BROKERS" {
            let property = name.dropFirst("HUB_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            guard !property.isEmpty else { continue }
            configuration.properties[property] = value
        }
        return configuration
    }

    public var brokers: String { properties["bootstrap.servers"] ?? "" }

    /// Returns a copy with `property` set (later settings win over the environment's).
    public func setting(_ property: String, _ value: String) -> KafkaConfiguration {
        var copy = self
        copy.properties[property] = value
        return copy
    }

    /// Returns a copy where `defaults` fill the properties the environment left unset.
    public func withDefaults(_ defaults: [String: String]) -> KafkaConfiguration {
        var copy = self
        for (property, value) in defaults where copy.properties[property] == nil {
            copy.properties[property] = value
        }
        return copy
    }

    /// Consumer-only properties, left out of producer and admin clients (librdkafka would
    /// warn that it ignores them).
    static let consumerOnlyPrefixes = [
        "group.", "session.timeout.ms", "heartbeat.interval.ms", "auto.offset.reset", "enable.auto.",
        "auto.commit.", "partition.assignment.strategy", "max.poll.interval.ms", "fetch.", "isolation.level",
        "enable.partition.eof", "check.crcs", "queued.", "coordinator.query.interval.ms",
    ]

    /// A copy without consumer-only properties.
    func forProducer() -> KafkaConfiguration {
        var copy = self
        copy.properties = properties.filter { property, _ in
            !Self.consumerOnlyPrefixes.contains { property.hasPrefix($0) }
        }
        return copy
    }

    /// True for properties whose values must never be logged.
    public static func isSecret(_ property: String) -> Bool {
        let lowered = property.lowercased()
        return ["password", "secret", "token", "key.pem", "private", "jaas", "sasl.oauthbearer.config"]
            .contains { lowered.contains($0) }
    }

    /// The properties with secret values replaced, for logs.
    public var description: String {
        properties.keys.sorted().map { key in
            "\(key)=\(Self.isSecret(key) ? "<redacted>" : properties[key]!)"
        }.joined(separator: " ")
    }

    /// Builds an `rd_kafka_conf_t`; the caller owns it until it hands it to `rd_kafka_new`.
    func makeNativeConfiguration() throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for property in properties.keys.sorted() {
            let value = properties[property]!
            let result = rd_kafka_conf_set(conf, property, value, &errorText, errorText.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let shown = Self.isSecret(property) ? "<redacted>" : value
                throw KafkaError(
                    kind: .invalidConfiguration, operation: "set \(property)=\(shown)",
                    message: String(errorBuffer: errorText))
            }
        }
        return conf
    }
}
