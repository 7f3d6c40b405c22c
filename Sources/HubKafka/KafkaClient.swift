import CKafka
import Foundation
import HubDomain
import Logging

/// What librdkafka's callbacks need: they are C function pointers and cannot capture, so
/// they find this object through the client's opaque pointer.
final class KafkaClientContext: @unchecked Sendable {
    let logger: Logger
    /// The last error librdkafka reported asynchronously (e.g. "Connect to ... refused"),
    /// to explain a later timeout.
    let lastError = Locked<String?>(nil)
    /// Called on the polling thread with each rebalance (consumers only).
    let rebalanceHandler = Locked<(@Sendable (RebalanceEvent) -> Void)?>(nil)

    init(logger: Logger) {
        self.logger = logger
    }

    static func from(_ client: OpaquePointer?) -> KafkaClientContext? {
        guard let client, let opaque = rd_kafka_opaque(client) else { return nil }
        return Unmanaged<KafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// A change of a consumer's assigned partitions.
public enum RebalanceEvent: Sendable, Equatable {
    case assigned([TopicPartition])
    case revoked([TopicPartition])
}

/// Owns one `rd_kafka_t` (producer or consumer) and its callback context.
final class KafkaClient: @unchecked Sendable {
    enum Role { case producer, consumer }

    let handle: OpaquePointer
    let role: Role
    let context: KafkaClientContext
    let configuration: KafkaConfiguration

    init(
        role: Role, configuration: KafkaConfiguration, logger: Logger,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws {
        let conf = try (role == .producer ? configuration.forProducer() : configuration).makeNativeConfiguration()
        let context = KafkaClientContext(logger: logger)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { client, level, facility, text in
            guard let context = KafkaClientContext.from(client) else { return }
            let message = "librdkafka \(facility.map { String(cString: $0) } ?? ""): \(text.map { String(cString: $0) } ?? "")"
            // Problems also reach the error callback, which logs them as warnings; the log
            // lines add detail (and repeat on every reconnect), so they stay quieter.
            switch level {
            case ...4: context.logger.notice("\(message)")
            case 5...6: context.logger.info("\(message)")
            default: context.logger.debug("\(message)")
            }
        }
        rd_kafka_conf_set_error_cb(conf) { client, code, reason, _ in
            guard let context = KafkaClientContext.from(client) else { return }
            let text = reason.map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(code)))
            context.lastError.withLock { $0 = text }
            context.logger.warning(
                "Kafka client error",
                metadata: [
                    "code": "\(String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(code))))", "reason": "\(text)",
                ])
        }
        configure(conf)
        var errorText = [CChar](repeating: 0, count: 512)
        let type = role == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                kind: .invalidConfiguration, operation: "create Kafka client",
                message: String(errorBuffer: errorText))
        }
        self.handle = handle
        self.role = role
        self.context = context
        self.configuration = configuration
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// Fetches cluster metadata, which needs a broker: the way to turn "no broker there"
    /// into an error instead of librdkafka's endless reconnecting.
    func metadata(topic: String? = nil, timeout: Duration) throws -> ClusterMetadata {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let timeoutMs = Int32(timeout.milliseconds)
        let result: rd_kafka_resp_err_t
        if let topic {
            let topicHandle = rd_kafka_topic_new(handle, topic, nil)
            defer { rd_kafka_topic_destroy(topicHandle) }
            result = rd_kafka_metadata(handle, 0, topicHandle, &metadata, timeoutMs)
        } else {
            result = rd_kafka_metadata(handle, 1, nil, &metadata, timeoutMs)
        }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw unreachable(result, operation: "fetch metadata from \(configuration.brokers)", timeout: timeout)
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        return ClusterMetadata(metadata.pointee)
    }

    /// The group's committed offsets for `partitions` (absent where none). Blocks.
    func committedOffsets(_ partitions: [TopicPartition], group: String, timeout: Duration) throws -> [TopicPartition: Int64] {
        let list = KafkaNative.partitionList(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = rd_kafka_committed(handle, list, Int32(timeout.milliseconds))
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw unreachable(result, operation: "read committed offsets of group \(group)", timeout: timeout)
        }
        var offsets: [TopicPartition: Int64] = [:]
        for (entry, _) in KafkaNative.entries(list) where entry.offset >= 0 {
            offsets[entry.topicPartition] = entry.offset
        }
        return offsets
    }

    /// Synchronously commits `offsets` (each the next offset to read) for the group. Blocks.
    func commit(_ offsets: [TopicPartitionOffset], group: String) throws {
        let list = KafkaNative.partitionList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = rd_kafka_commit(handle, list, 0)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(result, operation: "commit \(offsets) for group \(group)")
        }
        for (entry, error) in KafkaNative.entries(list) where error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(error, operation: "commit \(entry) for group \(group)")
        }
    }

    /// A clear error for a broker that did not answer, with what librdkafka last saw.
    func unreachable(_ code: rd_kafka_resp_err_t, operation: String, timeout: Duration) -> KafkaError {
        let timedOut =
            code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT
            || code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
        guard timedOut else { return KafkaError(code, operation: operation) }
        if role == .producer {
            // Serve queued error callbacks (a producer without a polling thread, such as the
            // admin client, has them waiting), so that the last error below is current.
            rd_kafka_poll(handle, 0)
        }
        var message = "no broker of \(configuration.brokers) answered within \(timeout)"
        if let last = context.lastError.current { message += " (last error: \(last))" }
        return KafkaError(kind: .brokersUnreachable, code: code.rawValue, operation: operation, message: message)
    }
}

/// Topics and partitions as the cluster describes them.
public struct ClusterMetadata: Sendable {
    public struct Topic: Sendable {
        public var name: String
        public var partitions: [Int32]
        /// Set when the broker reported an error for this topic (e.g. it does not exist).
        public var errorCode: Int32?
        /// The most replicas any of its partitions has (0 when the broker says none).
        public var replicationFactor: Int32 = 0
    }

    public var brokers: [String]
    public var topics: [Topic]

    init(_ native: rd_kafka_metadata) {
        brokers = (0..<Int(native.broker_cnt)).map { index in
            let broker = native.brokers[index]
            return "\(String(cString: broker.host)):\(broker.port)"
        }
        topics = (0..<Int(native.topic_cnt)).map { index in
            let topic = native.topics[index]
            let partitions = (0..<Int(topic.partition_cnt)).map { topic.partitions[$0].id }.sorted()
            let replicas = (0..<Int(topic.partition_cnt)).map { topic.partitions[$0].replica_cnt }.max() ?? 0
            return Topic(
                name: String(cString: topic.topic), partitions: partitions,
                errorCode: topic.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : topic.err.rawValue, replicationFactor: replicas)
        }
    }
}
