import HubDomain
import HubKafka
import HubPostgres
import Metrics

/// What one relayed batch's delivery reports allow: how far the relay's position moves,
/// which rows are parked on the way, and the first failure that stops it.
///
/// A row may have several copies (with regional topics on, a notification goes to
/// `hub.notifications` and to its region's topic): a row counts as passed only once every
/// copy is acknowledged or refused for good. The position moves over the leading rows
/// whose copies are all either acknowledged or refused for good
/// (`KafkaError.isRecordRefused`: too large, invalid; or a regional topic that is missing
/// and could not be created: sending them again can never succeed); a row with a refused
/// copy is parked, with the copies delivered named in its reason. The first other failure
/// (broker down, timeout) stops it there: that row, all its copies, and every row after it
/// are sent again, in order, on the next try (consumers deduplicate on `ce_id`). Pure, so
/// it is tested without a broker.
struct RelayProgress {
    /// The copies acknowledged before the stop, counted per topic.
    var deliveredTopics: [String: Int] = [:]
    /// The rows whose every copy was acknowledged before the stop.
    var delivered = 0
    /// The rows with a copy refused for good before the stop: the topic of the (first)
    /// copy refused, and why.
    var parked: [(row: OutboxRelay.OutboxRow, topic: String, reason: String)] = []
    /// The last row delivered or parked before the stop: the relay's next position.
    var reached: OutboxPosition?
    /// The copies not delivered for now, from the stop on (retried).
    var failures: [(row: OutboxRelay.OutboxRow, error: KafkaError)] = []

    /// One record per row: each row's delivery report.
    init(rows: [OutboxRelay.OutboxRow], results: [Result<DeliveryReport, KafkaError>]) {
        self.init(rows: rows, outcomes: zip(rows, results).map { [CopyOutcome(topic: $0.message.topic, result: $1)] })
    }

    /// Each row's copies' outcomes (`RelayPlan.outcomes(of:)`).
    init(rows: [OutboxRelay.OutboxRow], outcomes: [[CopyOutcome]]) {
        for (row, copies) in zip(rows, outcomes) {
            let failed = copies.compactMap { copy -> KafkaError? in
                if case .failed(_, let error) = copy { error } else { nil }
            }
            guard failures.isEmpty, failed.isEmpty else {
                failures += failed.map { (row, $0) }
                continue
            }
            var deliveredTo: [String] = []
            var refused: [(topic: String, reason: String)] = []
            for copy in copies {
                switch copy {
                case .delivered(let topic): deliveredTo.append(topic)
                case .refused(let topic, let reason): refused.append((topic, reason))
                case .failed: break
                }
            }
            for topic in deliveredTo { deliveredTopics[topic, default: 0] += 1 }
            if let first = refused.first {
                parked.append((row, first.topic, Self.reason(refused: refused, deliveredTo: deliveredTo)))
            } else {
                delivered += 1
            }
            reached = row.position
        }
    }

    /// A single copy refused: Kafka's reason as it is. Several copies: each refused one with
    /// its topic, and where the others did go (a parked row is not always an unsent one).
    static func reason(refused: [(topic: String, reason: String)], deliveredTo: [String]) -> String {
        if refused.count == 1, deliveredTo.isEmpty { return refused[0].reason }
        let parts = refused.map { "\($0.topic): \($0.reason)" }
        let delivered = deliveredTo.isEmpty ? [] : ["delivered to \(deliveredTo.joined(separator: ", "))"]
        return (parts + delivered).joined(separator: "; ")
    }
}

/// `hub_outbox_parked`: outbox rows set aside because the broker or the client refused
/// them for good, written with the relay position that passes them (migration 7).
enum OutboxParking {
    /// Records `parked` and the relay's new `position` in one transaction on `connection`
    /// (the relay's own, which holds its lock): a parked row is never passed by without
    /// its record. Parking a row twice (a relay that failed between the two) keeps the first.
    static func record(
        _ parked: [ParkedOutboxRow], position: OutboxPosition, on connection: PostgresConnection,
        recordPosition: (PostgresConnection) async throws -> Void
    ) async throws {
        guard !parked.isEmpty else {
            try await recordPosition(connection)
            return
        }
        try await connection.transaction { transaction in
            for row in parked {
                try await transaction.execute(
                    """
                    INSERT INTO hub_outbox_parked (writer_xact, sequence, topic, error)
                    VALUES (\(String(row.position.transaction))::text::xid8, \(row.position.sequence), \(row.topic),
                            \(StorableText.escaping(row.error))) ON CONFLICT DO NOTHING
                    """)
            }
            try await recordPosition(transaction)
        }
        for row in parked {
            Counter(label: "hub_outbox_parked_total", dimensions: [("topic", row.topic)]).increment()
        }
    }
}

/// An outbox row set aside: where it is, its topic, and why the broker refused it.
struct ParkedOutboxRow: Sendable {
    var position: OutboxPosition
    var topic: String
    var error: String
}
