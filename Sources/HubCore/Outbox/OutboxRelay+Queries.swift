import Foundation
import HubDomain
import HubKafka
import HubPostgres
import Logging
import Metrics

// What the relay reads and writes in PostgreSQL, on the session it holds.
extension OutboxRelay {
    // MARK: SQL

    struct OutboxRow: Sendable {
        var position: OutboxPosition
        var message: OutboundRecord
    }

    /// Whether this session holds the advisory lock `key`, as an SQL condition to compose
    /// into a bigger query. A bigint advisory lock shows in pg_locks as classid = high 32
    /// bits, objid = low 32 bits, objsubid = 1.
    static func holdsLockCondition(_ key: Int64) -> PostgresQuery {
        """
        EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                AND objsubid = 1 AND classid = ((\(key)::bigint >> 32) & 4294967295)::oid
                AND objid = (\(key)::bigint & 4294967295)::oid)
        """
    }

    /// The rows after `position` whose transaction is older than any still running, in
    /// order, only if this session holds the lock (checked in the same statement, so a
    /// silently replaced session reads nothing).
    ///
    /// At most `batchSize` rows, and only the leading rows whose keys and values fit in
    /// `maxBatchBytes` together; the first row always comes (`running = size`), however
    /// large, so that a row larger than the bound still goes, alone. The bound is applied
    /// in the statement, with a running sum over the rows in relay order, so that rows past
    /// it are never read into memory; `octet_length` of a bytea reads its stored length, not
    /// its content.
    func fetchUnsent(
        after position: OutboxPosition, on connection: PostgresConnection,
        lockKey: Int64
    ) async throws -> [OutboxRow] {
        let rows = try await connection.query(
            """
            WITH candidates AS (
                SELECT sequence, writer_xact, topic, kafka_key, headers, value,
                       octet_length(value) + coalesce(octet_length(kafka_key), 0) AS size,
                       sum(octet_length(value) + coalesce(octet_length(kafka_key), 0))
                           OVER (ORDER BY writer_xact, sequence ROWS UNBOUNDED PRECEDING) AS running
                  FROM hub_outbox
                 WHERE (writer_xact, sequence) > (\(String(position.transaction))::text::xid8, \(position.sequence))
                   AND writer_xact < pg_snapshot_xmin(pg_current_snapshot())
                   AND \(Self.holdsLockCondition(lockKey))
                 ORDER BY writer_xact, sequence
                 LIMIT \(configuration.batchSize)
            )
            SELECT sequence, writer_xact::text::bigint AS xact, topic, kafka_key, headers::text AS headers, value
              FROM candidates
             WHERE running <= \(configuration.maxBatchBytes) OR running = size
             ORDER BY writer_xact, sequence
            """)
        return try rows.map { row in
            guard let value = try row.bytea(at: "value") else {
                throw PostgresError(.decodingFailed, "outbox row without a value")
            }
            let message = OutboundRecord(
                topic: try row.decode(String.self, at: "topic"),
                key: try row.bytea(at: "kafka_key"),
                value: value,
                headers: try OutboxHeaders.decode(try row.decode(String.self, at: "headers")))
            let position = OutboxPosition(
                transaction: try row.decode(Int64.self, at: "xact"), sequence: try row.decode(Int64.self, at: "sequence"))
            return OutboxRow(position: position, message: message)
        }
    }

    /// Whether committed rows after `position` wait for an older transaction still running.
    /// (Not `EXISTS`: PostgreSQL drops an `EXISTS` subquery's order and limit, and with the
    /// statistics of a fast-growing table it scanned the whole table hoping to stop early,
    /// 100–200 ms a call. The order and limit of a plain query make the index the plan.)
    func hasRowsHeldBack(after position: OutboxPosition, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query(
            """
            SELECT 1 FROM hub_outbox WHERE (writer_xact, sequence) > (\(String(position.transaction))::text::xid8, \(position.sequence))
             ORDER BY writer_xact, sequence LIMIT 1
            """
        ).isEmpty
    }

    /// Notes since when rows are held back and, every `heldBackWarning` of it, logs the
    /// session whose transaction is the oldest still running.
    func noteHeldBack(_ session: Session, on connection: PostgresConnection) async throws {
        let now = Date()
        let since = state.withLock { status -> Date in
            let since = status.heldBackSince ?? now
            status.heldBackSince = since
            return since
        }
        let every = configuration.heldBackWarning.inSeconds
        guard now.timeIntervalSince(since) >= every,
            now.timeIntervalSince(session.lastHeldBackWarning ?? since) >= every
        else { return }
        session.lastHeldBackWarning = now
        let oldest = try await connection.query(
            """
            SELECT pid, coalesce(datname, ''), coalesce(state, ''), coalesce(extract(epoch FROM now() - xact_start)::float8, 0)
              FROM pg_stat_activity WHERE backend_xid IS NOT NULL
             ORDER BY age(backend_xid) DESC LIMIT 1
            """)
        var metadata: Logger.Metadata = ["waitingSeconds": "\(Int(now.timeIntervalSince(since)))"]
        if let row = oldest.first {
            metadata["pid"] = "\(try row.decode(Int.self, at: 0))"
            metadata["database"] = "\(try row.decode(String.self, at: 1))"
            metadata["state"] = "\(try row.decode(String.self, at: 2))"
            metadata["transactionSeconds"] = "\(Int(try row.decode(Double.self, at: 3)))"
        }
        logger.warning("outbox relay held back: committed rows wait for an older transaction still running", metadata: metadata)
    }

    /// The position of the last batch acknowledged (migration 5 writes the first one).
    func lastRecordedPosition(on connection: PostgresConnection) async throws -> OutboxPosition {
        let rows = try await connection.query(
            "SELECT writer_xact::text::bigint, sequence FROM hub_outbox_relayed ORDER BY batch DESC LIMIT 1")
        guard let row = rows.first else { return OutboxPosition(transaction: 0, sequence: 0) }
        return OutboxPosition(transaction: try row.decode(Int64.self, at: 0), sequence: try row.decode(Int64.self, at: 1))
    }

    func holdsLock(_ lockKey: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT \(Self.holdsLockCondition(lockKey))").scalar(Bool.self)
    }

    /// Appends `position` with the rows parked before it, in one transaction.
    func record(
        _ position: OutboxPosition, parking parked: [ParkedOutboxRow],
        on connection: PostgresConnection
    ) async throws {
        try await OutboxParking.record(parked, position: position, on: connection) { connection in
            try await record(position, on: connection)
        }
    }

    /// Appends `position`, unless the last one recorded is already there or beyond (a
    /// relay that lost its session while another went on): positions only move forward.
    func record(_ position: OutboxPosition, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO hub_outbox_relayed (writer_xact, sequence)
            SELECT \(String(position.transaction))::text::xid8, \(position.sequence)
             WHERE NOT EXISTS (SELECT 1 FROM hub_outbox_relayed
                                WHERE (writer_xact, sequence) >= (\(String(position.transaction))::text::xid8, \(position.sequence)))
            """)
    }

    /// Counts the backlog, at most every `backlogRefreshInterval` (a count reads every row
    /// after the position).
    func refreshBacklog(on connection: PostgresConnection, session: Session) async throws {
        let now = ContinuousClock.now
        if let last = session.lastBacklogCount, now - last < configuration.backlogRefreshInterval { return }
        let count = try await connection.query("SELECT count(*) FROM hub_outbox_unsent").scalar(Int.self)
        setBacklog(count, session: session)
    }

    func setBacklog(_ count: Int, session: Session) {
        session.lastBacklogCount = ContinuousClock.now
        backlogGauge.record(count)
        state.withLock { $0.backlog = count }
    }

    func counter(for topic: String, session: Session) -> Counter {
        if let counter = session.counters[topic] { return counter }
        let counter = Counter(label: "hub_notifications_relayed_total", dimensions: [("topic", topic)])
        session.counters[topic] = counter
        return counter
    }
}

/// A place in the outbox's relay order: the transaction that wrote a row (`writer_xact`,
/// an `xid8`, which fits a bigint), then its `sequence`. Compared in SQL only.
struct OutboxPosition: Sendable, CustomStringConvertible {
    var transaction: Int64
    var sequence: Int64

    var description: String { "\(transaction)/\(sequence)" }
}
