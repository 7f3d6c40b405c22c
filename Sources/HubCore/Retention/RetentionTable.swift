import HubPostgres

/// A table `hub-admin purge` deletes from, and which of its rows it may delete. Listed in
/// the order they are purged: outbox rows before the parked records that describe them, and
/// before the relay positions that date their delivery (`hub_outbox_deliveries` stays right
/// for every row left).
///
/// Never `hub_event_log`: it is the replay source, and what recognises an applied event once
/// its inbox row is gone (`StateStore`'s lookup of processed events).
public enum RetentionTable: String, Sendable, CaseIterable {
    /// Identities of processed events, by `processed_at`; only those the event log also
    /// holds (every applied or stale event is logged with its inbox row), so that a
    /// redelivered event is still recognised after the purge.
    case inbox = "hub_inbox"
    /// Outbox rows created before the horizon and at or before the relay's position, read
    /// once when the purge starts (positions only move forward): never a row not yet relayed.
    case outbox = "hub_outbox"
    /// Records of outbox rows the broker refused for good, once their outbox row is gone (a
    /// row without its record would show as delivered in `hub_outbox_deliveries`).
    case outboxParked = "hub_outbox_parked"
    /// The relay's positions after each batch, but the last one (the relay's position).
    case outboxRelayed = "hub_outbox_relayed"
    /// Dead letters, replayed or not, by `recorded_at` (hub.deadletter keeps its copy for the
    /// topic's retention).
    case deadLetters = "hub_dead_letters"

    public var name: String { rawValue }

    /// The condition on this table's rows that makes one deletable: older than `cutoff` (a
    /// `timestamptz` as PostgreSQL wrote it), and whatever else keeps it safe to delete.
    func deletable(cutoff: String, relayPosition: RelayPosition) -> PostgresQuery {
        switch self {
        case .inbox:
            """
            processed_at < \(cutoff)::timestamptz
            AND EXISTS (SELECT FROM hub_event_log l WHERE l.event_source = hub_inbox.event_source AND l.event_id = hub_inbox.event_id)
            """
        case .outbox:
            Self.outboxRowDeletable("hub_outbox", cutoff: cutoff, relayPosition: relayPosition)
        case .outboxParked:
            // Its outbox row gone, or going in this purge: the same thing once the outbox is
            // purged, and what a dry run, which deletes nothing, must count.
            """
            parked_at < \(cutoff)::timestamptz
            AND NOT EXISTS (SELECT FROM hub_outbox o
                             WHERE (o.writer_xact, o.sequence) = (hub_outbox_parked.writer_xact, hub_outbox_parked.sequence)
                               AND NOT (\(Self.outboxRowDeletable("o", cutoff: cutoff, relayPosition: relayPosition))))
            """
        case .outboxRelayed:
            // max(batch) is read in the same statement: the last position stays whatever the
            // relay appends meanwhile.
            """
            sent_at < \(cutoff)::timestamptz AND batch < (SELECT max(r.batch) FROM hub_outbox_relayed r)
            """
        case .deadLetters:
            "recorded_at < \(cutoff)::timestamptz"
        }
    }
}

extension RetentionTable {
    /// Whether the `hub_outbox` row `alias` may go: created before `cutoff`, and relayed.
    static func outboxRowDeletable(_ alias: String, cutoff: String, relayPosition: RelayPosition) -> PostgresQuery {
        """
        \(identifier: alias).created_at < \(cutoff)::timestamptz
        AND (\(identifier: alias).writer_xact, \(identifier: alias).sequence)
            <= (\(relayPosition.transaction)::xid8, \(relayPosition.sequence))
        """
    }
}

/// The relay's position (the last row of `hub_outbox_relayed`), as PostgreSQL wrote it: the
/// writing transaction (an `xid8` as text) and the sequence.
struct RelayPosition: Sendable, Hashable {
    var transaction: String
    var sequence: Int64

    /// Before every row: what the purge uses when no position was ever recorded, so that
    /// it deletes no outbox row.
    static let beforeEverything = RelayPosition(transaction: "0", sequence: 0)

    static func read(on connection: PostgresConnection) async throws -> RelayPosition {
        let rows = try await connection.query(
            "SELECT writer_xact::text, sequence FROM hub_outbox_relayed ORDER BY batch DESC LIMIT 1")
        guard let row = rows.first else { return .beforeEverything }
        return RelayPosition(transaction: try row.decode(String.self, at: 0), sequence: try row.decode(Int64.self, at: 1))
    }
}
