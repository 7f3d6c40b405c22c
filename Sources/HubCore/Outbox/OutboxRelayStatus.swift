import Foundation

/// What a relay is doing, for health checks and tests.
public struct OutboxRelayStatus: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        /// Not yet connected, or reconnecting.
        case starting
        /// Another relay holds the lock; this one checks again every `standbyInterval`.
        case standby
        /// Holds the lock and publishes.
        case active
        /// `run()` returned.
        case stopped
    }

    public var role: Role = .starting
    /// End of the last cycle that completed without error (active or standby).
    public var lastSuccess: Date?
    /// Start of the current run of failures; nil when the last cycle succeeded.
    public var failingSince: Date?
    public var lastError: String?
    /// Rows this relay published and marked sent since it started.
    public var relayedCount: Int = 0
    /// Rows this relay parked since it started: refused by Kafka for good (`hub_outbox_parked`).
    public var parkedCount: Int = 0
    /// Unsent rows at the last count (active relay only).
    public var backlog: Int?
    /// Since when committed rows wait for an older transaction still running; nil if none do.
    public var heldBackSince: Date?

    /// Healthy unless it has been failing for `tolerance` or more, or has stopped.
    public func isHealthy(at now: Date = Date(), tolerance: TimeInterval = 30) -> Bool {
        if role == .stopped { return false }
        guard let failingSince else { return true }
        return now.timeIntervalSince(failingSince) < tolerance
    }
}
