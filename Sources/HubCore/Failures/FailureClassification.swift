import HubKafka
import HubPostgres

/// Whether a failure passes: the one question every retry in the hub asks (the batch loop,
/// the batch writer's kept state, the outbox relay, start-up, `hub-admin`'s exit 69).
///
/// Each adapter keeps its own list beside its error type, where its codes are known:
/// `PostgresError.isTransient` (connection failures and losses, the reply deadline,
/// timeouts, and the SQLSTATEs 08xxx, 40001, 40P01, 53xxx, 55P03, 57014 unless the hub
/// cancelled the statement itself, 57P01, 57P02, 57P03, 57P05, 25P03, 25006) and
/// `KafkaError.isTransient` (no broker, transport, timeouts, full queue, coordinator or
/// leader moving, rebalance). Anything else (a decoding error, a rule's refusal,
/// cancellation) is not transient.
public enum FailureClassification {
    /// True when doing the same thing again later may succeed.
    public static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError: error.isTransient
        case let error as KafkaError: error.isTransient
        case let error as OutboxRelayError: isTransient(error.cause)
        default: false
        }
    }
}
