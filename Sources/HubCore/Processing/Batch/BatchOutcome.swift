/// What processing one batch did, for logs and metrics.
public struct BatchOutcome: Sendable, Equatable {
    public var applied = 0
    public var duplicates = 0
    public var stale = 0
    public var deadLetters: [DeadLetterCode: Int] = [:]
    public var notifications = 0
    /// State loads (batch segments) the batch needed: a figure for tuning, in the batch log.
    public var stateLoads = 0
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
        sum.deadLetters.merge(rhs.deadLetters, uniquingKeysWith: +)
        sum.byTopicAndOutcome.merge(rhs.byTopicAndOutcome, uniquingKeysWith: +)
        return sum
    }
}
