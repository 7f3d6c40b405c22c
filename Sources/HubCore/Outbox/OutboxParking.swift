import HubDomain
import HubKafka
import HubPostgres
import Metrics

/// What one relayed batch's delivery reports allow: how far the relay's position moves,
/// which rows are parked on the way, and the first failure that stops it.
///
/// The position moves over the leading rows that are either acknowledged or refused for
/// good (`KafkaError.isRecordRefused`: too large, invalid; sending them again can never
/// succeed). The first other failure (broker down, timeout) stops it there: that row and
/// every row after it are sent again, in order, on the next try. Pure, so it is tested
/// without a broker.
struct RelayProgress {
    /// The rows acknowledged before the stop, counted per topic.
    var deliveredTopics: [String: Int] = [:]
    var delivered = 0
    /// The rows refused for good before the stop, with why.
    var parked: [(row: OutboxRelay.OutboxRow, error: KafkaError)] = []
    /// The last row delivered or parked before the stop: the relay's next position.
    var reached: OutboxPosition?
    /// The failures from the stop on (retried).
    var failures: [(row: OutboxRelay.OutboxRow, error: KafkaError)] = []

    init(rows: [OutboxRelay.OutboxRow], results: [Result<DeliveryReport, KafkaError>]) {
        for (row, result) in zip(rows, results) {
            switch result {
            case .failure(let error):
                if failures.isEmpty, error.isRecordRefused {
                    parked.append((row, error))
                    reached = row.position
                } else {
                    failures.append((row, error))
                }
            case .success where failures.isEmpty:
                delivered += 1
                deliveredTopics[row.message.topic, default: 0] += 1
                reached = row.position
            case .success:
                break
            }
        }
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
