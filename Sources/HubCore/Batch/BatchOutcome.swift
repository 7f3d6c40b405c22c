import HubDomain

/// What processing one batch did, for logs and metrics.
public struct BatchOutcome: Sendable, Equatable {
    public var applied = 0
    public var duplicates = 0
    public var stale = 0
    public var deadLetters: [DeadLetterCode: Int] = [:]
    public var notifications = 0
    /// State loads (batch segments) the batch needed: a figure for tuning, in the batch log.
    public var stateLoads = 0
    /// Of those, the ones sliced from the resident state kept in memory (`ResidentState`).
    public var residentLoads = 0
    /// Batches decided before their transaction, while the previous one was written
    /// (`BatchProcessor.decideAhead`).
    public var decidedAhead = 0
    /// Where the batch's time went (the rest is the lock, the version checks and the
    /// commit): a figure for tuning, in the batch log. A batch decided ahead loaded and
    /// decided before its transaction, while the previous batch was written.
    public var loadTime: Duration = .zero
    public var decideTime: Duration = .zero
    public var writeTime: Duration = .zero
    /// Records by inbound topic and outcome (`applied`, `duplicate`, `stale`,
    /// `deadletter_<code>`), for the `hub_events_total` metric.
    public var byTopicAndOutcome: [TopicOutcome: Int] = [:]

    public struct TopicOutcome: Sendable, Hashable {
        public var topic: String
        public var outcome: String
    }

    mutating func count(_ topic: String, _ outcome: String) {
        byTopicAndOutcome[TopicOutcome(topic: topic, outcome: outcome), default: 0] += 1
    }

    public init() {}

    public var deadLettered: Int { deadLetters.values.reduce(0, +) }
    public var total: Int { applied + duplicates + stale + deadLettered }

    public static func + (lhs: BatchOutcome, rhs: BatchOutcome) -> BatchOutcome {
        var sum = lhs
        sum.applied += rhs.applied
        sum.duplicates += rhs.duplicates
        sum.stale += rhs.stale
        sum.notifications += rhs.notifications
        sum.stateLoads += rhs.stateLoads
        sum.residentLoads += rhs.residentLoads
        sum.decidedAhead += rhs.decidedAhead
        sum.loadTime += rhs.loadTime
        sum.decideTime += rhs.decideTime
        sum.writeTime += rhs.writeTime
        sum.deadLetters.merge(rhs.deadLetters, uniquingKeysWith: +)
        sum.byTopicAndOutcome.merge(rhs.byTopicAndOutcome, uniquingKeysWith: +)
        return sum
    }
}
