import CKafka

/// A failure reported by librdkafka or by the hub's Kafka adapter, with what was being done.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A configuration property was refused (unknown name, bad value).
        case invalidConfiguration
        /// No broker answered within the allowed time.
        case brokersUnreachable
        /// A call to librdkafka returned an error code.
        case operationFailed
        /// A message could not be delivered (delivery report carried an error).
        case deliveryFailed
        /// The client hit a fatal error (for example an idempotent-producer sequence gap).
        case fatal
        /// The client is closed.
        case closed
    }

    public var kind: Kind
    /// librdkafka's error code (`rd_kafka_resp_err_t`), when there is one.
    public var code: Int32?
    /// librdkafka's symbolic name for `code` (e.g. `_TRANSPORT`, `UNKNOWN_TOPIC_OR_PART`).
    public var codeName: String?
    /// What was being done, e.g. "create topic clsm.declared".
    public var operation: String
    /// librdkafka's message, or the adapter's own explanation.
    public var message: String

    public init(kind: Kind, code: Int32? = nil, operation: String, message: String) {
        self.kind = kind
        self.code = code
        self.codeName = code.map { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t($0))) }
        self.operation = operation
        self.message = message
    }

    init(_ error: rd_kafka_resp_err_t, kind: Kind = .operationFailed, operation: String, detail: String? = nil) {
        let text = String(cString: rd_kafka_err2str(error))
        self.init(
            kind: kind, code: error.rawValue, operation: operation,
            message: detail.map { "\(text): \($0)" } ?? text)
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer, operation: String) {
        let code = rd_kafka_error_code(error)
        let text = String(cString: rd_kafka_error_string(error))
        let fatal = rd_kafka_error_is_fatal(error) != 0
        rd_kafka_error_destroy(error)
        self.init(kind: fatal ? .fatal : .operationFailed, code: code.rawValue, operation: operation, message: text)
    }

    /// True when the broker or the client refuses this record itself, for good: too large
    /// for `message.max.bytes` (checked by librdkafka before sending, or by the broker),
    /// corrupt or invalid. Sending it again can never succeed, so whoever sends it must set
    /// it aside (the outbox relay parks it) rather than retry it and block the records
    /// behind it. Errors about the topic, the cluster or permissions are not the record's
    /// fault and stay retryable or fatal as they are.
    public var isRecordRefused: Bool {
        guard kind == .operationFailed || kind == .deliveryFailed, let code else { return false }
        let refused: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE,
            RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, RD_KAFKA_RESP_ERR__BAD_MSG,
        ]
        return refused.contains { $0.rawValue == code }
    }

    /// True when the topic does not exist (the broker's UNKNOWN_TOPIC_OR_PART, librdkafka's
    /// own __UNKNOWN_TOPIC): what helps is creating it, not waiting.
    public var isUnknownTopic: Bool {
        guard let code else { return false }
        return code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue || code == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue
    }

    /// True when the group no longer counts this consumer as the owner of the partitions it
    /// read: the group moved on (a rebalance under way or done, a new generation, the member
    /// forgotten, `max.poll.interval.ms` passed without a poll). Committing or retrying the
    /// commit cannot succeed; the records will be read again by the partitions' next owner,
    /// which finds the processed ones in the inbox.
    public var isMembershipLost: Bool {
        guard kind == .operationFailed, let code else { return false }
        let lost: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID,
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST, RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED,
            RD_KAFKA_RESP_ERR__STATE,
        ]
        return lost.contains { $0.rawValue == code }
    }

    /// True when retrying later may succeed (broker down, timeout, queue full).
    public var isTransient: Bool {
        switch kind {
        case .brokersUnreachable: return true
        case .invalidConfiguration, .fatal, .closed: return false
        case .operationFailed, .deliveryFailed:
            guard let code else { return false }
            let transient: [rd_kafka_resp_err_t] = [
                RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT,
                RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
                RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
            ]
            return transient.contains { $0.rawValue == code }
        }
    }

    public var description: String {
        var text = "Kafka: \(operation) failed"
        if let codeName { text += " [\(codeName)]" }
        return text + ": \(message)"
    }
}
