import HubKafka

/// Why a relay cycle did not complete.
public enum OutboxRelayError: Error, Sendable, CustomStringConvertible {
    /// Kafka did not acknowledge some records; they stay unsent and are retried.
    case deliveryFailed(count: Int, firstSequence: Int64, topic: String, cause: KafkaError)

    /// Kafka's reason.
    public var cause: KafkaError {
        switch self {
        case .deliveryFailed(_, _, _, let cause): cause
        }
    }

    public var description: String {
        switch self {
        case .deliveryFailed(let count, let first, let topic, let cause):
            return "\(count) outbox record(s) not delivered (first: sequence \(first) to \(topic)): \(cause)"
        }
    }
}
