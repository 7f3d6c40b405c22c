import HubKafka
import Testing

@testable import HubCore
@testable import HubPostgres

/// The hub's one answer to "does this failure pass?", for PostgreSQL by SQLSTATE and kind,
/// for Kafka by error code, and for anything else.
@Suite("Failure classification (transient or not)")
struct FailureClassificationTests {
    private static func refused(_ sqlState: String) -> PostgresError {
        PostgresError(.queryFailed, "refused", sqlState: sqlState)
    }

    static let transientSQLStates = [
        "08000", "08003", "08006", "08001", "08004", "08P01",  // connection exception
        "40001",  // serialization_failure
        "40P01",  // deadlock_detected
        "53000", "53100", "53200", "53300", "53400",  // insufficient resources
        "55P03",  // lock_not_available
        "57014",  // query_canceled: statement_timeout (a lock held by a cut session) or an administrator
        "57P01", "57P02", "57P03",  // admin_shutdown, crash_shutdown, cannot_connect_now
        "57P05", "25P03",  // idle_session_timeout, idle_in_transaction_session_timeout: the session ended
        "25006",  // read_only_sql_transaction (a standby)
    ]

    static let permanentSQLStates = [
        "23505", "23503", "23502", "23514",  // integrity constraints
        "42P01", "42601", "42703", "42883",  // undefined table, syntax, undefined column or function
        "22P02", "22001",  // data exceptions
        "40002",  // transaction_integrity_constraint_violation: not a serialization failure
        "25P02",  // in_failed_sql_transaction: the caller's bug
        "55000", "55006",  // other class 55 codes
        "57000", "57P04",  // other class 57 codes
        "28P01", "3D000", "XX000",  // authentication, unknown database, internal error
    ]

    @Test(
        "PostgreSQL: every transient SQLSTATE is transient, whatever the kind that carries it",
        arguments: transientSQLStates)
    func transientSQLState(_ sqlState: String) {
        #expect(PostgresError.isTransient(sqlState: sqlState))
        #expect(Self.refused(sqlState).isTransient)
        #expect(FailureClassification.isTransient(Self.refused(sqlState)))
        #expect(FailureClassification.isTransient(PostgresError(.decodingFailed, "x", sqlState: sqlState)))
    }

    @Test("PostgreSQL: a statement refused for good is not transient", arguments: permanentSQLStates)
    func permanentSQLState(_ sqlState: String) {
        #expect(!PostgresError.isTransient(sqlState: sqlState))
        #expect(!FailureClassification.isTransient(Self.refused(sqlState)))
    }

    @Test("PostgreSQL: connection failures, losses and timeouts pass; the rest does not")
    func postgresKinds() {
        let transient: [PostgresError.Kind] = [.connectionFailed, .connectionLost, .timeout]
        let permanent: [PostgresError.Kind] = [
            .invalidConfiguration, .authenticationFailed, .queryFailed, .cancelled, .decodingFailed,
            .migrationFailed, .connectionClosed,
        ]
        for kind in transient { #expect(FailureClassification.isTransient(PostgresError(kind, "x")), "\(kind)") }
        for kind in permanent { #expect(!FailureClassification.isTransient(PostgresError(kind, "x")), "\(kind)") }
        #expect(!PostgresError.isTransient(sqlState: nil))
        // A statement the hub cancelled itself (its task was) stops, whatever SQLSTATE it
        // carries; a closed connection was closed on purpose.
        #expect(!PostgresError(.cancelled, "x", sqlState: "57014").isTransient)
        #expect(!PostgresError(.connectionClosed, "x", sqlState: "08003").isTransient)
    }

    @Test("PostgreSQL: the SQLSTATEs that mean the session is gone are the connection-level ones")
    func connectionLevel() {
        for sqlState in ["08000", "08006", "57P01", "57P02", "57P03"] { #expect(PostgresError.isConnectionLevel(sqlState: sqlState)) }
        for sqlState in ["40001", "40P01", "53300", "55P03", "25006", "57014"] {
            #expect(!PostgresError.isConnectionLevel(sqlState: sqlState))
        }
    }

    @Test("Kafka: the adapter's list, also inside an outbox delivery failure")
    func kafka() {
        let transport = KafkaError(kind: .deliveryFailed, code: -195, operation: "deliver", message: "Broker transport failure")
        let tooLarge = KafkaError(kind: .operationFailed, code: 10, operation: "produce", message: "Message size too large")
        #expect(FailureClassification.isTransient(transport))
        #expect(FailureClassification.isTransient(KafkaError(kind: .brokersUnreachable, operation: "metadata", message: "no broker")))
        #expect(!FailureClassification.isTransient(tooLarge))
        #expect(!FailureClassification.isTransient(KafkaError(kind: .fatal, code: -150, operation: "produce", message: "fatal")))
        #expect(!FailureClassification.isTransient(KafkaError(kind: .invalidConfiguration, operation: "configure", message: "bad")))
        #expect(!FailureClassification.isTransient(KafkaError(kind: .closed, operation: "produce", message: "closed")))
        #expect(
            FailureClassification.isTransient(OutboxRelayError.deliveryFailed(count: 1, firstSequence: 1, topic: "t", cause: transport)))
        #expect(
            !FailureClassification.isTransient(OutboxRelayError.deliveryFailed(count: 1, firstSequence: 1, topic: "t", cause: tooLarge)))
    }

    @Test("anything else is not transient")
    func others() {
        struct Other: Error {}
        #expect(!FailureClassification.isTransient(Other()))
        #expect(!FailureClassification.isTransient(CancellationError()))
    }
}
