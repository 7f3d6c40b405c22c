import Foundation
import HubDomain
import HubKafka
import HubPostgres

/// Reads what `HubStatus` shows from Kafka and PostgreSQL. Read-only: nothing here joins
/// the workers' group or locks a row, so it is safe while the workers run.
public enum HubStatusQueries {
    /// The lag of `group` on every partition of `topics` that exists (a topic not created
    /// yet has no partitions to be behind on).
    public static func lag(
        group: String, topics: [String] = HubTopics.inbound, admin: KafkaAdmin,
        timeout: Duration = .seconds(10)
    ) async throws -> [PartitionLag] {
        let metadata = try await admin.metadata(timeout: timeout)
        let partitions = metadata.topics.filter { topics.contains($0.name) && $0.errorCode == nil }
            .flatMap { topic in topic.partitions.map { TopicPartition(topic: topic.name, partition: $0) } }
            .sorted()
        guard !partitions.isEmpty else { return [] }
        let committed = try await admin.committedOffsets(group: group, partitions: partitions, timeout: timeout)
        var lags: [PartitionLag] = []
        for partition in partitions {
            let marks = try await admin.watermarks(of: partition, timeout: timeout)
            lags.append(
                PartitionLag(
                    topic: partition.topic, partition: partition.partition,
                    committed: committed[partition], low: marks.low, end: marks.high))
        }
        return lags
    }

    /// Unsent outbox rows per topic (the view `hub_outbox_unsent`: rows after the relay's
    /// position, found by the index `hub_outbox_relay_order`) and parked ones, ages
    /// by the database's clock so that a skewed admin machine does not distort them.
    /// Registered sources by kind (empty: the hub runs open).
    public static func sources(on connection: PostgresConnection) async throws -> [SourceCount] {
        try await connection.query("SELECT kind, count(*) FROM ref_sources GROUP BY kind ORDER BY kind").map {
            SourceCount(kind: try $0.decode(at: 0), sources: try $0.decode(Int.self, at: 1))
        }
    }

    public static func outbox(on connection: PostgresConnection) async throws -> [OutboxBacklog] {
        let rows = try await connection.query(
            """
            SELECT topic, count(*) AS unsent, min(created_at) AS oldest,
                   extract(epoch FROM now() - min(created_at))::float8 AS age
              FROM hub_outbox_unsent GROUP BY topic
            """)
        var found = try rows.map { row in
            OutboxBacklog(
                topic: try row.decode(at: "topic"), unsent: try row.decode(at: "unsent"),
                oldestUnsentAt: try row.decode(at: "oldest"), oldestAgeSeconds: try row.decode(at: "age"))
        }
        let parked = try await connection.query("SELECT topic, count(*) AS parked FROM hub_outbox_parked GROUP BY topic")
        for row in parked {
            let topic: String = try row.decode(at: "topic")
            let count: Int = try row.decode(at: "parked")
            if let index = found.firstIndex(where: { $0.topic == topic }) {
                found[index].parked = count
            } else {
                found.append(OutboxBacklog(topic: topic, unsent: 0, oldestUnsentAt: nil, oldestAgeSeconds: nil, parked: count))
            }
        }
        return HubStatus.backlog(found)
    }

    /// Per inbound topic, how many events the log holds and the last one processed. One
    /// backward scan of the primary key per topic for the last event rather than a
    /// DISTINCT ON over the whole log, which would sort millions of rows.
    public static func events(topics: [String] = HubTopics.inbound, on connection: PostgresConnection) async throws -> [TopicActivity] {
        let counts = try await connection.query("SELECT topic, count(*) AS events FROM hub_event_log GROUP BY topic")
        var totals: [String: Int] = [:]
        for row in counts { totals[try row.decode(at: "topic")] = try row.decode(at: "events") }
        var activity: [TopicActivity] = []
        for topic in topics {
            var entry = TopicActivity(topic: topic, events: totals[topic] ?? 0)
            let last = try await connection.query(
                """
                SELECT event_id, event_source, ce_time, recorded_at FROM hub_event_log
                 WHERE topic = \(topic) ORDER BY sequence DESC LIMIT 1
                """)
            if let row = last.first {
                entry.lastEventId = try row.decode(at: "event_id")
                entry.lastSource = try row.decode(at: "event_source")
                entry.lastEventTime = try row.decode(at: "ce_time")
                entry.lastProcessedAt = try row.decode(at: "recorded_at")
            }
            activity.append(entry)
        }
        return activity
    }
}
