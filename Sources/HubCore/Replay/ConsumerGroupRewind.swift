import Foundation
import HubDomain
import HubKafka
import HubPostgres

/// Moves the workers' consumer group back on one inbound topic, to the first record at or
/// after a time, on every partition. The records are then consumed again; the inbox makes
/// each one a duplicate, so they take effect once (no state change, no notification).
///
/// Only while no hub-workers runs on the schema (`WorkersPresence`): a running consumer
/// would overwrite the offsets with its next commit, and Kafka refuses a commit from
/// outside a group that has members.
public enum ConsumerGroupRewind {
    /// Why a request is refused before anything is looked up (hub-admin exits 65).
    public struct InputRefusal: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// One of the five inbound topics, or a refusal naming them.
    public static func inboundTopic(_ name: String) throws -> InboundTopic {
        guard let topic = InboundTopic(rawValue: name) else {
            throw InputRefusal(
                message: "\(name) is not an inbound topic of the hub; the topics the workers consume are "
                    + HubTopics.inbound.joined(separator: ", "))
        }
        return topic
    }

    /// `text` as an instant: RFC 3339 with an offset (2026-03-01T00:00:00Z), not after `now`.
    public static func instant(_ text: String, now: Date = Date()) throws -> Date {
        guard let timestamp = Timestamp(text) else {
            throw InputRefusal(
                message: "\(text) is not an RFC 3339 date-time with an offset, e.g. 2026-03-01T00:00:00Z "
                    + "or 2026-03-01T01:00:00+01:00")
        }
        let date = Date(timeIntervalSince1970: Double(timestamp.epochMilliseconds) / 1000)
        guard date <= now else {
            throw InputRefusal(message: "\(text) is in the future: there is nothing to replay after it")
        }
        return date
    }

    /// One partition's move.
    public struct Move: Sendable, Hashable {
        public var partition: TopicPartition
        /// The group's committed offset before (nil: none committed).
        public var before: Int64?
        /// The first record at or after the time (the partition's end when there is none).
        public var target: Int64
        /// What is committed (nil: left uncommitted).
        public var after: Int64?

        public var moved: Bool { before != after }

        /// The offsets the move makes the group read again (committed before − after; 0
        /// for a partition that stays; nil without a committed offset). Records, but for
        /// the transaction markers a transactional producer leaves (the hub's is not one).
        public var recordsToReread: Int64? {
            before.map { $0 - (after ?? $0) }
        }
    }

    /// The moves, pure: every partition goes to its target, except that none goes forward
    /// (a target past the committed offset would skip records the workers have not
    /// processed yet: that partition keeps its committed offset) and one without a committed
    /// offset stays without (the workers start it from its first record, which already
    /// replays everything).
    public static func plan(targets: [TopicPartition: Int64], committed: [TopicPartition: Int64]) -> [Move] {
        targets.keys.sorted().map { partition in
            let target = targets[partition]!
            let before = committed[partition]
            return Move(partition: partition, before: before, target: target, after: before.map { min($0, target) })
        }
    }

    /// For each partition of `topic`, the first offset whose record is at or after `time`,
    /// or the partition's end (high watermark) when no record is. The broker's answer is
    /// checked against the record it names: Tansu answers 0 for a time after the last record.
    public static func firstOffsets(of topic: String, atOrAfter time: Date, admin: KafkaAdmin) async throws -> [TopicPartition: Int64] {
        let found = try await admin.offsets(of: topic, at: time)
        var ends: [TopicPartition: Int64] = [:]
        for entry in found {
            ends[entry.topicPartition] = try await admin.watermarks(of: entry.topicPartition).high
        }
        let toCheck = found.filter { $0.offset < ends[$0.topicPartition]! }
        let timestamps = try await admin.recordTimestamps(at: toCheck)
        let milliseconds = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        var targets: [TopicPartition: Int64] = [:]
        for entry in found {
            let recordTime = timestamps[entry.topicPartition]
            let checked = toCheck.contains(entry)
            // A named record older than the time, or none there: no record is at or after it.
            if checked, recordTime.map({ $0 < milliseconds }) ?? true {
                targets[entry.topicPartition] = ends[entry.topicPartition]!
            } else {
                targets[entry.topicPartition] = entry.offset
            }
        }
        return targets
    }

    /// Looks up and plans, commits nothing: what `rewind` would do now (`hub-admin replay
    /// rewind` without `--execute`). Reads only, so it is safe while workers run.
    public static func preview(group: String, topic: InboundTopic, to time: Date, admin: KafkaAdmin) async throws -> [Move] {
        let targets = try await firstOffsets(of: topic.rawValue, atOrAfter: time, admin: admin)
        let committed = try await admin.committedOffsets(group: group, partitions: Array(targets.keys))
        return plan(targets: targets, committed: committed)
    }

    /// Looks up, plans and commits; returns the moves (committed offsets read again after).
    public static func rewind(group: String, topic: InboundTopic, to time: Date, admin: KafkaAdmin) async throws -> [Move] {
        let moves = try await preview(group: group, topic: topic, to: time, admin: admin)
        let commits = moves.compactMap { move in
            move.after.map { TopicPartitionOffset(topic: move.partition.topic, partition: move.partition.partition, offset: $0) }
        }
        if !commits.isEmpty { try await admin.commitOffsets(group: group, commits) }
        return moves
    }
}

/// Whether hub-workers run on a schema, seen from PostgreSQL: while a hub-workers runs, its
/// outbox relay holds the schema's session-level advisory lock
/// (`OutboxRelayConfiguration.lockKey(forSchema:)`; with several workers, one holds it and
/// the others wait for it), and a worker in a batch holds or waits for the batch lock.
/// Both show in `pg_locks`. Blind spot: a hub-workers in its first second, before its
/// relay has connected (it has not consumed anything yet either).
public enum WorkersPresence {
    /// Server process ids of the sessions holding or awaiting either lock for the
    /// connection's current schema.
    public static func sessions(on connection: PostgresConnection) async throws -> [Int32] {
        let schema = try await connection.query("SELECT current_schema()").scalar(String.self)
        let relayKey = OutboxRelayConfiguration.lockKey(forSchema: schema)
        // A bigint key shows as classid = high 32 bits, objid = low 32 bits, objsubid = 1;
        // a pair of integers as classid = first, objid = second, objsubid = 2.
        let rows = try await connection.query(
            """
            SELECT DISTINCT pid FROM pg_locks
             WHERE locktype = 'advisory' AND pid <> pg_backend_pid()
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND ((objsubid = 1 AND classid = ((\(relayKey)::bigint >> 32) & 4294967295)::oid
                                  AND objid = (\(relayKey)::bigint & 4294967295)::oid)
                 OR (objsubid = 2 AND classid = \(BatchProcessor.processingLockKey)::integer::oid
                                  AND objid = hashtext(current_schema())::oid))
             ORDER BY pid
            """)
        return try rows.map { try $0.decode(Int32.self, at: 0) }
    }
}
