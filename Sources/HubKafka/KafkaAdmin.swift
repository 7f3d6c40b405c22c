import CKafka
import Foundation
import HubDomain
import Logging

/// A topic to create.
public struct TopicSpecification: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    public var replicationFactor: Int32
    public var configuration: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int32 = 1, configuration: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configuration = configuration
    }
}

public enum TopicCreationOutcome: String, Sendable {
    case created
    case alreadyExisted
}

/// Cluster administration: topics, metadata, watermarks, and a stopped group's offsets.
public final class KafkaAdmin: Sendable {
    private let client: KafkaClient
    private let queue = SerialBlockingQueue(label: "kafka-admin")
    private let configuration: KafkaConfiguration
    private let logger: Logger

    public init(configuration: KafkaConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        client = try KafkaClient(role: .producer, configuration: configuration, logger: logger)
    }

    /// Fails with `.brokersUnreachable` when no broker answers within `timeout`.
    @discardableResult
    public func metadata(timeout: Duration = .seconds(10)) async throws -> ClusterMetadata {
        try await queue.run { [client] in try client.metadata(timeout: timeout) }
    }

    /// Existing topic names (internal ones, starting with "__", left out).
    public func topicNames(timeout: Duration = .seconds(10)) async throws -> [String] {
        try await metadata(timeout: timeout).topics.filter { $0.errorCode == nil }.map(\.name)
            .filter { !$0.hasPrefix("__") }.sorted()
    }

    /// The partitions of `topic`; fails if it does not exist.
    public func partitions(of topic: String, timeout: Duration = .seconds(10)) async throws -> [Int32] {
        try await queue.run { [client] in
            let metadata = try client.metadata(topic: topic, timeout: timeout)
            guard let entry = metadata.topics.first(where: { $0.name == topic }), entry.errorCode == nil,
                !entry.partitions.isEmpty
            else {
                throw KafkaError(
                    kind: .operationFailed, code: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue,
                    operation: "describe topic \(topic)", message: "the topic does not exist")
            }
            return entry.partitions
        }
    }

    /// Creates the topics that do not exist yet; existing ones are left as they are.
    ///
    /// A principal without the Create ACL gets TOPIC_AUTHORIZATION_FAILED from the broker even
    /// for a topic that exists (Kafka checks the right before the existence): such a topic,
    /// found in the metadata, counts as existing, so that the hub's start-up needs no Create
    /// right on topics an operator made beforehand. A topic missing and not creatable still fails.
    public func createTopics(
        _ topics: [TopicSpecification], timeout: Duration = .seconds(30)
    ) async throws -> [String: TopicCreationOutcome] {
        let results = try await createTopicResults(topics, timeout: timeout)
        let refused = results.filter { $0.code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue }
        let existing =
            refused.isEmpty
            ? [] : Set(try await metadata(timeout: timeout).topics.filter { $0.errorCode == nil }.map(\.name))
        return try Self.outcomes(results, existing: existing)
    }

    /// One CreateTopics result: the topic, librdkafka's error code, and the broker's text.
    struct TopicResult {
        var name: String
        var code: Int32
        var detail: String?
    }

    /// The outcome of each topic: created, already there (or refused for want of the right
    /// to create it while it exists: `existing`), or the first other failure, thrown.
    static func outcomes(_ results: [TopicResult], existing: Set<String>) throws -> [String: TopicCreationOutcome] {
        var outcomes: [String: TopicCreationOutcome] = [:]
        for result in results {
            switch rd_kafka_resp_err_t(rawValue: result.code) {
            case RD_KAFKA_RESP_ERR_NO_ERROR: outcomes[result.name] = .created
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcomes[result.name] = .alreadyExisted
            case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED where existing.contains(result.name):
                outcomes[result.name] = .alreadyExisted
            case let error:
                throw KafkaError(error, operation: "create topic \(result.name)", detail: result.detail)
            }
        }
        return outcomes
    }

    private func createTopicResults(_ topics: [TopicSpecification], timeout: Duration) async throws -> [TopicResult] {
        try await queue.run { [client] in
            var errorText = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
            for topic in topics {
                guard
                    let newTopic = rd_kafka_NewTopic_new(
                        topic.name, topic.partitions, topic.replicationFactor,
                        &errorText, errorText.count)
                else {
                    throw KafkaError(
                        kind: .invalidConfiguration, operation: "describe new topic \(topic.name)",
                        message: String(errorBuffer: errorText))
                }
                newTopics.append(newTopic)
                for (name, value) in topic.configuration.sorted(by: { $0.key < $1.key }) {
                    let result = rd_kafka_NewTopic_set_config(newTopic, name, value)
                    guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
                        throw KafkaError(result, operation: "set \(name) on new topic \(topic.name)")
                    }
                }
            }
            let resultQueue = rd_kafka_queue_new(client.handle)
            defer { rd_kafka_queue_destroy(resultQueue) }
            let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, Int32(timeout.milliseconds), &errorText, errorText.count)
            _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(timeout.milliseconds), &errorText, errorText.count)
            newTopics.withUnsafeMutableBufferPointer { buffer in
                rd_kafka_CreateTopics(client.handle, buffer.baseAddress, buffer.count, options, resultQueue)
            }
            guard let event = rd_kafka_queue_poll(resultQueue, Int32(timeout.milliseconds + 1000)) else {
                throw client.unreachable(RD_KAFKA_RESP_ERR__TIMED_OUT, operation: "create topics", timeout: timeout)
            }
            defer { rd_kafka_event_destroy(event) }
            let eventError = rd_kafka_event_error(event)
            guard eventError == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw client.unreachable(eventError, operation: "create topics", timeout: timeout)
            }
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
            return (0..<count).map { index in
                let result = results![index]
                return TopicResult(
                    name: String(cString: rd_kafka_topic_result_name(result)), code: rd_kafka_topic_result_error(result).rawValue,
                    detail: rd_kafka_topic_result_error_string(result).map { String(cString: $0) })
            }
        }
    }

    /// Low and high watermarks of a partition (the high one is the next offset to be written).
    public func watermarks(of partition: TopicPartition, timeout: Duration = .seconds(10)) async throws -> (low: Int64, high: Int64) {
        try await queue.run { [client] in
            var low: Int64 = 0
            var high: Int64 = 0
            let result = rd_kafka_query_watermark_offsets(
                client.handle, partition.topic, partition.partition,
                &low, &high, Int32(timeout.milliseconds))
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw client.unreachable(result, operation: "read watermarks of \(partition)", timeout: timeout)
            }
            return (low, high)
        }
    }

    /// For each partition of `topic`, the first offset whose timestamp is at or after `time`
    /// (the high watermark when none is).
    public func offsets(of topic: String, at time: Date, timeout: Duration = .seconds(10)) async throws -> [TopicPartitionOffset] {
        let partitions = try await partitions(of: topic, timeout: timeout)
        let milliseconds = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        let query = partitions.map { TopicPartitionOffset(topic: topic, partition: $0, offset: milliseconds) }
        let found: [TopicPartitionOffset] = try await queue.run { [client] in
            let list = KafkaNative.partitionList(query)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let result = rd_kafka_offsets_for_times(client.handle, list, Int32(timeout.milliseconds))
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw client.unreachable(result, operation: "look up offsets of \(topic) at \(time)", timeout: timeout)
            }
            return try KafkaNative.entries(list).map { entry, error in
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(error, operation: "look up offset of \(entry.topicPartition)")
                }
                return entry
            }
        }
        var resolved: [TopicPartitionOffset] = []
        for entry in found {
            if entry.offset >= 0 {
                resolved.append(entry)
            } else {
                let high = try await watermarks(of: entry.topicPartition, timeout: timeout).high
                resolved.append(TopicPartitionOffset(topic: topic, partition: entry.partition, offset: high))
            }
        }
        return resolved
    }

    /// The timestamp (milliseconds, as the record carries it) of the record at each of
    /// `offsets`, or of the first record after it; absent for a partition that has no record
    /// there (its end). Reads with a consumer that is assigned the partitions, joins no group
    /// and commits nothing. For checking an offset found by time: asked for a time after the
    /// last record of a partition, Tansu answers offset 0 where Kafka answers "none".
    public func recordTimestamps(
        at offsets: [TopicPartitionOffset], timeout: Duration = .seconds(15)
    ) async throws -> [TopicPartition: Int64] {
        guard !offsets.isEmpty else { return [:] }
        let client = try KafkaClient(
            role: .consumer,
            configuration: configuration.setting("group.id", "hub-admin-peek")
                .setting("enable.auto.commit", "false").setting("enable.partition.eof", "true"), logger: logger)
        return try await queue.run {
            rd_kafka_poll_set_consumer(client.handle)
            let list = KafkaNative.partitionList(offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let assigned = rd_kafka_assign(client.handle, list)
            guard assigned == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(assigned, operation: "assign \(offsets) to read their timestamps")
            }
            defer { _ = rd_kafka_assign(client.handle, nil) }
            var pending = Set(offsets.map(\.topicPartition))
            var timestamps: [TopicPartition: Int64] = [:]
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: timeout)
            while !pending.isEmpty, clock.now < deadline {
                guard let native = rd_kafka_consumer_poll(client.handle, 200) else { continue }
                defer { rd_kafka_message_destroy(native) }
                guard let topic = native.pointee.rkt.map({ String(cString: rd_kafka_topic_name($0)) }) else { continue }
                let partition = TopicPartition(topic: topic, partition: native.pointee.partition)
                guard pending.contains(partition) else { continue }
                switch native.pointee.err {
                case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                    pending.remove(partition)
                case RD_KAFKA_RESP_ERR_NO_ERROR:
                    pending.remove(partition)
                    var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                    let timestamp = rd_kafka_message_timestamp(native, &type)
                    if type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE { timestamps[partition] = timestamp }
                case let error:
                    throw KafkaError(error, operation: "read the record at \(offsets.first { $0.topicPartition == partition }!)")
                }
            }
            guard pending.isEmpty else {
                throw client.unreachable(
                    RD_KAFKA_RESP_ERR__TIMED_OUT,
                    operation: "read records of \(pending.sorted().map(\.description).joined(separator: ", "))",
                    timeout: timeout)
            }
            return timestamps
        }
    }

    /// The committed offsets of `group` for `partitions` (absent where none).
    public func committedOffsets(
        group: String, partitions: [TopicPartition], timeout: Duration = .seconds(10)
    ) async throws -> [TopicPartition: Int64] {
        let client = try groupClient(group)
        return try await queue.run { try client.committedOffsets(partitions, group: group, timeout: timeout) }
    }

    /// Commits `offsets` for `group` without joining it. Kafka accepts this only while the
    /// group has no active member: stop the workers first.
    public func commitOffsets(group: String, _ offsets: [TopicPartitionOffset]) async throws {
        let client = try groupClient(group)
        try await queue.run { try client.commit(offsets, group: group) }
    }

    /// A consumer handle in `group` that never subscribes: it only reads or commits offsets.
    private func groupClient(_ group: String) throws -> KafkaClient {
        try KafkaClient(
            role: .consumer,
            configuration: configuration.setting("group.id", group)
                .setting("enable.auto.commit", "false"), logger: logger)
    }
}
