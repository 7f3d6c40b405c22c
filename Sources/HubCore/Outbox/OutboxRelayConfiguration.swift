import Crypto
import Foundation
import HubDomain

/// How an `OutboxRelay` finds its work and paces itself.
public struct OutboxRelayConfiguration: Sendable {
    /// Channel `OutboxWriter.append` notifies (`OutboxWriter.defaultChannel`).
    public var channel: String
    /// Key of the session-level advisory lock that lets one relay publish at a time. nil
    /// (the default): `lockKey(forSchema:)` of the relay connection's current schema, so
    /// every relay of one hub shares it and hubs in other schemas of the same database do
    /// not wait for one another.
    public var lockKey: Int64?
    /// Rows read and sent per batch, at most.
    public var batchSize: Int = 500
    /// Bytes (keys and values) read and sent per batch, at most, but for a batch's first row,
    /// which always goes. 16 MiB by default: with a few large records among small ones, 500
    /// rows could otherwise be hundreds of MiB held at once by the relay (the rows read, then
    /// the producer's copies); 16 MiB still makes batches of hundreds of ordinary
    /// notifications (1 to 2 KiB each).
    public var maxBatchBytes: Int = 16 << 20
    /// Longest wait for a notification before looking at the table anyway (notifications
    /// sent while the session was broken are lost; rows are not).
    public var pollInterval: Duration = .seconds(1)
    /// Longest wait while committed rows are held back by an older transaction still
    /// running (see `OutboxRelay`, "Order"): that transaction may end without notifying.
    public var heldBackInterval: Duration = .milliseconds(50)
    /// How long rows may be held back before the relay logs which session holds them.
    public var heldBackWarning: Duration = .seconds(30)
    /// How often a relay that does not hold the lock tries to take it.
    public var standbyInterval: Duration = .seconds(5)
    /// First wait after a failure; doubles on each further failure up to `maximumBackoff`.
    public var initialBackoff: Duration = .milliseconds(200)
    public var maximumBackoff: Duration = .seconds(10)
    /// How often the `hub_outbox_backlog` gauge is refreshed with `count(*)` while busy.
    public var backlogRefreshInterval: Duration = .seconds(5)

    /// Whether each row to `notificationsTopic` is also sent, byte for byte, to
    /// `<notificationsTopic>.<region>` (`HUB_REGIONAL_TOPICS`; see `OutboxRelay`, "Regional
    /// topics"). Off by default.
    public var regionalTopics = false
    /// The notifications topic: `hub.notifications`, another in tests.
    public var notificationsTopic = HubTopics.notifications
    /// How long a regional topic that is missing and could not be created is taken as such
    /// (its copies parked) before the relay looks at the cluster again.
    public var missingTopicRecheck: Duration = .seconds(60)

    public init(channel: String = OutboxWriter.defaultChannel, lockKey: Int64? = nil) {
        self.channel = channel
        self.lockKey = lockKey
    }

    /// What `hub-workers` relays with: the defaults, and `HUB_REGIONAL_TOPICS` from the
    /// environment, read as `HubConfiguration` reads it (a value it refuses has already
    /// stopped the start-up; here it would read as off).
    public static func fromEnvironment(_ environment: HubEnvironment = HubEnvironment()) -> OutboxRelayConfiguration {
        var configuration = OutboxRelayConfiguration()
        configuration.regionalTopics = (try? HubConfiguration.flag(HubConfiguration.regionalTopicsVariable, in: environment)) ?? false
        return configuration
    }

    /// 64 bits of SHA-256("hub_outbox_relay:" + schema).
    public static func lockKey(forSchema schema: String) -> Int64 {
        let digest = Array(SHA256.hash(data: Data("hub_outbox_relay:\(schema)".utf8)))
        return digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }
}
