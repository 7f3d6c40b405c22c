import CKafka
import Foundation
import HubDomain
import Logging

/// A consumer in a consumer group with manual commits: the hub commits an offset only
/// after the PostgreSQL transaction that processed the records has committed.
///
/// Every librdkafka call for this consumer runs on one serial dispatch queue, so polls
/// (which block up to their timeout) never occupy a Swift concurrency thread, and
/// rebalance callbacks run there too, between polls.
// @unchecked: the native handles are only used on `queue` (or in deinit).
public final class KafkaConsumer: @unchecked Sendable {
    private let client: KafkaClient
    private let queue: SerialBlockingQueue
    private let consumerQueue: OpaquePointer
    private let closed = Locked(false)
    private let logger: Logger
    public let groupID: String
    /// The topics subscribed to, kept to subscribe again after `leaveGroup()`.
    private let topics: [String]

    static let requiredProperties = ["enable.auto.commit": "false", "enable.auto.offset.store": "false"]
    static let defaultProperties = [
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "enable.partition.eof": "false",
    ]

    /// Creates the consumer and subscribes it to `topics` (it joins the group on first poll).
    public init(configuration: KafkaConfiguration, groupID: String, topics: [String], logger: Logger) throws {
        var effective = configuration.withDefaults(Self.defaultProperties).setting("group.id", groupID)
        for (property, value) in Self.requiredProperties {
            effective = effective.setting(property, value)
        }
        self.groupID = groupID
        self.topics = topics
        self.logger = logger
        let client = try KafkaClient(role: .consumer, configuration: effective, logger: logger) { conf in
            rd_kafka_conf_set_rebalance_cb(conf) { handle, code, partitions, _ in
                KafkaConsumer.rebalance(handle: handle, code: code, partitions: partitions)
            }
        }
        self.client = client
        rd_kafka_poll_set_consumer(client.handle)
        consumerQueue = rd_kafka_queue_get_consumer(client.handle)
        queue = SerialBlockingQueue(label: "kafka-consumer-\(groupID)")
        do {
            try Self.subscribe(client.handle, to: topics, group: groupID)
        } catch {
            rd_kafka_queue_destroy(consumerQueue)
            throw error
        }
    }

    private static func subscribe(_ handle: OpaquePointer, to topics: [String], group: String) throws {
        let list = KafkaNative.partitionList(topics.map { TopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = rd_kafka_subscribe(handle, list)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(result, operation: "subscribe group \(group) to \(topics.joined(separator: ", "))")
        }
    }

    /// Leaves the group without closing: the group hands this member's partitions to the
    /// others at once (the revocation is served by the next polls, which return nothing
    /// while no partition is assigned). For a member that cannot process for a while (its
    /// database unreachable) and should let members that can take over.
    public func leaveGroup() async throws {
        try await onQueue("leave group") { [client, groupID] in
            let result = rd_kafka_unsubscribe(client.handle)
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, operation: "leave group \(groupID)") }
        }
    }

    /// Joins the group again after `leaveGroup()`, with the topics given at creation; the
    /// partitions assigned start from the group's committed offsets.
    public func rejoinGroup() async throws {
        try await onQueue("rejoin group") { [client, topics, groupID] in
            try Self.subscribe(client.handle, to: topics, group: groupID)
        }
    }

    deinit {
        if !closed.current { rd_kafka_consumer_close(client.handle) }
        rd_kafka_queue_destroy(consumerQueue)
    }

    /// Called with each change of assignment, on the consumer's queue.
    public func onRebalance(_ handler: @escaping @Sendable (RebalanceEvent) -> Void) {
        client.context.rebalanceHandler.withLock { $0 = handler }
    }

    /// Waits up to `timeout` for records and returns at most `maxCount` of them (possibly
    /// none). Records carrying a consumer error are logged, not returned.
    public func poll(maxCount: Int = 500, timeout: Duration = .milliseconds(500)) async throws -> [InboundRecord] {
        try await onQueue("poll") { [self] in
            var buffer = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: maxCount)
            let count = rd_kafka_consume_batch_queue(self.consumerQueue, Int32(timeout.milliseconds), &buffer, maxCount)
            guard count >= 0 else {
                throw KafkaError(rd_kafka_last_error(), operation: "poll group \(self.groupID)")
            }
            var messages: [InboundRecord] = []
            messages.reserveCapacity(count)
            for native in buffer.prefix(count) {
                guard let native else { continue }
                defer { rd_kafka_message_destroy(native) }
                if native.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    let error = KafkaError(native.pointee.err, operation: "consume")
                    if error.code == RD_KAFKA_RESP_ERR__FATAL.rawValue { throw error }
                    self.logger.warning("Kafka consumer error", metadata: ["error": "\(error)"])
                    continue
                }
                messages.append(KafkaNative.message(native))
            }
            return messages
        }
    }

    /// Synchronously commits `offsets` (each the next offset to read) for the group.
    public func commit(_ offsets: [TopicPartitionOffset]) async throws {
        guard !offsets.isEmpty else { return }
        try await onQueue("commit") { [client, groupID] in try client.commit(offsets, group: groupID) }
    }

    /// Commits the offsets that follow `messages`.
    public func commit(after messages: [InboundRecord]) async throws {
        try await commit(TopicPartitionOffset.committing(after: messages))
    }

    /// The group's committed offsets for `partitions` (nil where none is committed).
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws -> [TopicPartition: Int64] {
        try await onQueue("committed") { [client, groupID] in
            try client.committedOffsets(partitions, group: groupID, timeout: timeout)
        }
    }

    /// Moves the fetch position of assigned partitions (replays within a running consumer).
    public func seek(_ offsets: [TopicPartitionOffset], timeout: Duration = .seconds(10)) async throws {
        try await onQueue("seek") { [client] in
            let list = KafkaNative.partitionList(offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let error = rd_kafka_seek_partitions(client.handle, list, Int32(timeout.milliseconds)) {
                throw KafkaError(consuming: error, operation: "seek \(offsets)")
            }
            for (entry, error) in KafkaNative.entries(list) where error != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(error, operation: "seek \(entry)")
            }
        }
    }

    /// The partitions currently assigned to this member.
    public func assignment() async throws -> [TopicPartition] {
        try await onQueue("assignment") { [client] in
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let result = rd_kafka_assignment(client.handle, &list)
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, operation: "read assignment") }
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            return KafkaNative.entries(list).map { $0.0.topicPartition }.sorted()
        }
    }

    /// For each assigned partition, how many records are behind this member's position,
    /// from the high watermarks the fetches last brought (no broker round trip).
    public func lag() async throws -> [TopicPartition: Int64] {
        try await onQueue("lag") { [client] in
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            guard rd_kafka_assignment(client.handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [:] }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            _ = rd_kafka_position(client.handle, list)
            var lag: [TopicPartition: Int64] = [:]
            for (entry, _) in KafkaNative.entries(list) {
                var low: Int64 = 0
                var high: Int64 = 0
                guard
                    rd_kafka_get_watermark_offsets(client.handle, entry.topic, entry.partition, &low, &high)
                        == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0
                else { continue }
                let position = entry.offset >= 0 ? entry.offset : low
                lag[entry.topicPartition] = max(0, high - position)
            }
            return lag
        }
    }

    /// Leaves the group cleanly (partitions are handed over at once, not after the session
    /// timeout). Commit before closing: nothing is committed here.
    public func close() async throws {
        guard
            closed.withLock({
                let was = $0
                $0 = true
                return !was
            })
        else { return }
        try await onQueue("close", allowClosed: true) { [client, groupID] in
            let result = rd_kafka_consumer_close(client.handle)
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, operation: "close consumer of group \(groupID)") }
        }
    }

    /// Batches of records as an asynchronous sequence, until the task is cancelled.
    public func batches(maxCount: Int = 500, timeout: Duration = .milliseconds(500)) -> Batches {
        Batches(consumer: self, maxCount: maxCount, timeout: timeout)
    }

    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = [InboundRecord]
        let consumer: KafkaConsumer
        let maxCount: Int
        let timeout: Duration

        public struct AsyncIterator: AsyncIteratorProtocol {
            let batches: Batches
            public mutating func next() async throws -> [InboundRecord]? {
                while !Task.isCancelled {
                    let messages = try await batches.consumer.poll(maxCount: batches.maxCount, timeout: batches.timeout)
                    if !messages.isEmpty { return messages }
                }
                return nil
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(batches: self) }
    }

    private func onQueue<T: Sendable>(
        _ operation: String, allowClosed: Bool = false,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        if !allowClosed, closed.current {
            throw KafkaError(kind: .closed, operation: operation, message: "the consumer of group \(groupID) is closed")
        }
        return try await queue.run(body)
    }

    /// librdkafka's rebalance callback: apply the new assignment (eagerly or incrementally,
    /// per the group's protocol) and tell the handler.
    private static func rebalance(
        handle: OpaquePointer?, code: rd_kafka_resp_err_t,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        guard let handle, let context = KafkaClientContext.from(handle) else { return }
        let changed = KafkaNative.entries(partitions).map { $0.0.topicPartition }.sorted()
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let event: RebalanceEvent
        switch code {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, partitions) {
                    context.logger.error(
                        "incremental assign failed", metadata: ["error": "\(KafkaError(consuming: error, operation: "assign"))"])
                }
            } else {
                rd_kafka_assign(handle, partitions)
            }
            event = .assigned(changed)
        default:
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) {
                    context.logger.error(
                        "incremental unassign failed", metadata: ["error": "\(KafkaError(consuming: error, operation: "unassign"))"])
                }
            } else {
                rd_kafka_assign(handle, nil)
            }
            event = .revoked(changed)
        }
        context.logger.info("Kafka rebalance", metadata: ["event": "\(event)"])
        context.rebalanceHandler.current?(event)
    }
}
