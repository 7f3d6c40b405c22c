import HubDomain
import HubKafka
import HubPostgres
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
    /// `HUB_BATCH_SIZE`: most records the workers process in one transaction (default 2,000).
    /// Larger batches amortise the transaction and the state loads; smaller ones lower latency.
    public var batchSize: Int
    /// `HUB_REGIONAL_TOPICS` (`true` or `false`, the default): whether the relay also publishes
    /// each notification, byte for byte, to `hub.notifications.<region>` (contract v1.1), and
    /// `hub-admin topics create` creates those topics for the regions of the reference data.
    public var regionalTopics: Bool
    /// `HUB_DATABASE_OUTAGE_GRACE` (seconds, default 10): how long the workers retry a batch
    /// against an unreachable database before they leave the consumer group, so that members
    /// that reach it take the partitions over; they rejoin when it answers again. Capped at
    /// half of `max.poll.interval.ms` (`databaseOutageGraceInEffect`): past that interval the
    /// group would drop the member anyway, with a commit that fails afterwards.
    public var databaseOutageGrace: Duration
    /// `HUB_BATCH_MAX_BYTES` (default 32 MiB): the most bytes of records (keys, values,
    /// headers) in one batch; a poll's records past it wait for the next batch, so that
    /// large records cannot make a batch of `HUB_BATCH_SIZE` hold hundreds of MiB.
    public var batchMaxBytes: Int

    public static let defaultBatchSize = 2000
    public static let defaultDatabaseOutageGrace = Duration.seconds(10)
    public static let databaseOutageGraces = 1...3600
    public static let batchMaxByteRange = 1024...(1 << 30)
    public static let batchSizes = 1...20_000

    public init(environment: HubEnvironment = HubEnvironment()) throws {
        kafka = KafkaConfiguration.fromEnvironment(environment)
        database = try PostgresConfiguration.fromEnvironment(environment)
        groupID = environment["HUB_GROUP_ID"] ?? Self.defaultGroupID
        logLevel = environment["HUB_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        batchSize = try Self.integer("HUB_BATCH_SIZE", in: Self.batchSizes, unit: "", in: environment) ?? Self.defaultBatchSize
        regionalTopics = try Self.flag(Self.regionalTopicsVariable, in: environment)
        batchMaxBytes =
            try Self.integer("HUB_BATCH_MAX_BYTES", in: Self.batchMaxByteRange, unit: " bytes", in: environment)
            ?? BatchByteBudget.defaultMaxBytes
        databaseOutageGrace =
            try Self.integer("HUB_DATABASE_OUTAGE_GRACE", in: Self.databaseOutageGraces, unit: " seconds", in: environment)
            .map { .seconds($0) } ?? Self.defaultDatabaseOutageGrace
    }

    /// The grace the workers use: `databaseOutageGrace`, or half of the consumer's
    /// `max.poll.interval.ms` (librdkafka's default 300,000) when that is shorter.
    public var databaseOutageGraceInEffect: Duration {
        let pollInterval = kafka.properties["max.poll.interval.ms"].flatMap { Int($0) } ?? 300_000
        return min(databaseOutageGrace, .milliseconds(pollInterval / 2))
    }

    public static let regionalTopicsVariable = "HUB_REGIONAL_TOPICS"

    /// A whole-number setting within `range`; nil when unset. Anything else is refused with
    /// the variable's name and the range.
    static func integer(_ name: String, in range: ClosedRange<Int>, unit: String, in environment: HubEnvironment) throws -> Int? {
        guard let text = environment[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw InvalidSetting(name: name, value: text, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)\(unit)")
        }
        return value
    }

    /// A yes/no setting: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`, any case);
    /// unset or empty is `false`. Anything else is refused rather than read as off: a typo
    /// must not silently leave a feature an operator asked for disabled.
    static func flag(_ name: String, in environment: HubEnvironment) throws -> Bool {
        guard let text = environment[name] else { return false }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw InvalidSetting(name: name, value: text, expected: "true or false")
        }
    }

    /// A configuration variable whose value cannot be used.
    public struct InvalidSetting: Error, CustomStringConvertible {
        public var name: String
        public var value: String
        public var expected: String
        public var description: String { "\(name)=\(value) is invalid: expected \(expected)" }
    }

    /// Secrets redacted.
    public var description: String {
        "kafka: [\(kafka)] database: \(database) group: \(groupID) batch size: \(batchSize) (\(batchMaxBytes) bytes at most)"
            + " regional topics: \(regionalTopics ? "on" : "off") database outage grace: \(databaseOutageGraceInEffect)"
    }
}
