import Logging

/// Everything the executables read from the environment (see the contract's Runtime
/// section). Building it validates the database URL; Kafka properties are checked when
/// the first client is created.
public struct HubConfiguration: Sendable, CustomStringConvertible {
    public static let defaultGroupID = "clsm-hub"

    public var kafka: KafkaConfiguration
    public var database: PostgresConfiguration
    /// `HUB_GROUP_ID`: the workers' consumer group.
    public var groupID: String
    /// `HUB_LOG_LEVEL`: trace, debug, info (default), notice, warning, error, critical.
    public var logLevel: Logger.Level

    public init(environment: HubEnvironment = HubEnvironment()) throws {
        kafka = KafkaConfiguration.fromEnvironment(environment)
        database = try PostgresConfiguration.fromEnvironment(environment)
        groupID = environment["HUB_GROUP_ID"] ?? Self.defaultGroupID
        logLevel = environment["HUB_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    }

    /// Secrets redacted.
    public var description: String {
        "kafka: [\(kafka)] database: \(database) group: \(groupID)"
    }
}
