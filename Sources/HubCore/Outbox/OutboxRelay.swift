import Crypto
import Foundation
import HubDomain
import HubKafka
import HubPostgres
import Logging
import Metrics
import ServiceLifecycle

/// How an `OutboxRelay` finds its work and paces itself.
public struct OutboxRelayConfiguration: Sendable {
    /// Channel `OutboxWriter.append` notifies (`OutboxWriter.defaultChannel`).
    public var channel: String
    /// Key of the session-level advisory lock that lets one relay publish at a time. nil
    /// (the default): `lockKey(forSchema:)` of the relay connection's current schema, so
    /// every relay of one hub shares it and hubs in other schemas of the same database do
    /// not wait for one another.
    public var lockKey: Int64?
    /// Rows read and sent per batch.
    public var batchSize: Int = 500
    /// Longest wait for a notification before looking at the table anyway (notifications
    /// sent while the session was broken are lost; rows are not).
    public var pollInterval: Duration = .seconds(1)
    /// Longest wait while committed rows are held back by an older transaction still
    /// running (see `OutboxRelay`, "Order"): that transaction may end without notifying.
    public var heldBackInterval: Duration = .milliseconds(50)
    /// How long rows may be held back before the relay logs which session holds them.
    public var heldBackWarning: Duration = .seconds(30)
    /// How often a relay that does not hold the lock tries to take it.
    public var standbyInterval: Duration = .seconds(5)
    /// First wait after a failure; doubles on each further failure up to `maximumBackoff`.
    public var initialBackoff: Duration = .milliseconds(200)
    public var maximumBackoff: Duration = .seconds(10)
    /// How often the `hub_outbox_backlog` gauge is refreshed with `count(*)` while busy.
    public var backlogRefreshInterval: Duration = .seconds(5)

    public init(channel: String = OutboxWriter.defaultChannel, lockKey: Int64? = nil) {
        self.channel = channel
        self.lockKey = lockKey
    }

    /// 64 bits of SHA-256("hub_outbox_relay:" + schema).
    public static func lockKey(forSchema schema: String) -> Int64 {
        let digest = Array(SHA256.hash(data: Data("hub_outbox_relay:\(schema)".utf8)))
        return digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }
}

/// What a relay is doing, for health checks and tests.
public struct OutboxRelayStatus: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        /// Not yet connected, or reconnecting.
        case starting
        /// Another relay holds the lock; this one checks again every `standbyInterval`.
        case standby
        /// Holds the lock and publishes.
        case active
        /// `run()` returned.
        case stopped
    }

    public var role: Role = .starting
    /// End of the last cycle that completed without error (active or standby).
    public var lastSuccess: Date?
    /// Start of the current run of failures; nil when the last cycle succeeded.
    public var failingSince: Date?
    public var lastError: String?
    /// Rows this relay published and marked sent since it started.
    public var relayedCount: Int = 0
    /// Rows this relay parked since it started: refused by Kafka for good (`hub_outbox_parked`).
    public var parkedCount: Int = 0
    /// Unsent rows at the last count (active relay only).
    public var backlog: Int?
    /// Since when committed rows wait for an older transaction still running; nil if none do.
    public var heldBackSince: Date?

    /// Healthy unless it has been failing for `tolerance` or more, or has stopped.
    public func isHealthy(at now: Date = Date(), tolerance: TimeInterval = 30) -> Bool {
        if role == .stopped { return false }
        guard let failingSince else { return true }
        return now.timeIntervalSince(failingSince) < tolerance
    }
}

/// Publishes the transactional outbox (`hub_outbox`) to Kafka, in order.
///
/// The processing transaction writes its notifications (and dead letters) to `hub_outbox`
/// with `OutboxWriter`, together with its other effects, and notifies the channel. The relay
/// listens to that channel (and looks anyway every `pollInterval`), reads the rows after its
/// position, `batchSize` at a time, sends them with the idempotent `KafkaProducer` in that
/// order (so records with one key, e.g. one recipient's notifications, keep their order
/// within their partition), and once the broker acknowledged them appends its new position
/// to `hub_outbox_relayed` (one small row per batch, not an update of every row sent).
///
/// **Order.** Rows are taken in the order (`writer_xact`, `sequence`): the writing
/// transaction's id, then the order of writing. Records of one transaction, and of
/// transactions that follow one another, go out in the order written; records of
/// concurrent transactions in the order their transactions started writing. A position on
/// `sequence` alone could pass by a row: a transaction that drew a lower sequence may commit
/// after one that drew a higher one. So the relay reads only rows whose transaction is older
/// than every transaction still running on the server (`pg_snapshot_xmin`): those have all
/// ended, nothing can appear behind them. The price: a write transaction left open anywhere
/// on the PostgreSQL server holds the relay back until it ends (rows wait, none are lost;
/// after `heldBackWarning` the relay logs which session it is).
///
/// **Delivery is at least once.** If the relay stops after Kafka acknowledged a record but
/// before its position is written (crash, database gone), the record is published again by
/// the next relay. That is acceptable only because consumers of `hub.notifications`
/// deduplicate on `ce_id`, which is the notificationId (the row's `notification_id`), and
/// dead letters carry a deterministic id too. The idempotent producer prevents the other
/// source of duplicates: librdkafka's own retries. When a record's delivery fails, the
/// position stops before it and the records after it in the batch are sent again with it,
/// in order: rare (the idempotent producer fails a partition's queue in order), and again
/// consumers deduplicate by id.
///
/// **Nothing is dropped, nothing jams.** Failures (broker down or frozen, database down)
/// are retried with capped exponential backoff; undelivered rows stay unsent and block the
/// rows behind them, which keeps the order and shows in `hub_outbox_backlog`, the logs and
/// `status` (see `OutboxRelayStatus.isHealthy`). A row Kafka refuses for good (too large
/// for `message.max.bytes`, invalid: `KafkaError.isRecordRefused`) can never be sent, so it
/// is parked instead (`hub_outbox_parked`, with the error, in the transaction that moves
/// the position past it; `hub_outbox_parked_total`; `hub-admin status`) and the rows behind
/// it go on (`RelayProgress`).
///
/// **One publisher.** Several `hub-workers` each run a relay; only the one holding the
/// session-level advisory lock (`lockKey`, by default one per schema) publishes, the others stay on standby and try the
/// lock every `standbyInterval`. The lock goes with its session: a holder that dies or loses
/// its connection frees it for another. After its session is replaced (PostgreSQL restart)
/// a relay notices that it no longer holds the lock (every read checks `pg_locks` in the
/// same statement) and competes for it again. A relay reads the position when it takes the
/// lock, and only moves it forward.
///
/// **Graceful shutdown** (ServiceLifecycle, or `stop()`) lets the in-flight batch finish
/// (its delivery reports, bounded by librdkafka's `message.timeout.ms`) and its rows be
/// position written, then releases the lock and returns.
///
/// Metrics (swift-metrics; bootstrap the metrics system before creating the relay):
/// counter `hub_notifications_relayed_total` (dimension `topic`), gauge
/// `hub_outbox_backlog` (unsent rows), timer `hub_outbox_relay_batch_duration_seconds`
/// (read, send, acknowledgements and position of one batch), gauge
/// `hub_outbox_relay_active` (1 while this relay holds the lock).
public final class OutboxRelay: Service, Sendable {
    private let database: PostgresConfiguration
    private let kafka: KafkaConfiguration
    public let configuration: OutboxRelayConfiguration
    private let logger: Logger
    private let state = Locked(OutboxRelayStatus())
    private let stopRequested = Locked(false)
    private let backlogGauge: Gauge
    private let activeGauge: Gauge
    private let batchTimer: Metrics.Timer

    /// - Parameters:
    ///   - database: where `hub_outbox` is (its search_path decides the schema). The relay
    ///     opens its own connection.
    ///   - kafka: the producer's configuration (idempotence is always on).
    public init(database: PostgresConfiguration, kafka: KafkaConfiguration,
                configuration: OutboxRelayConfiguration = OutboxRelayConfiguration(),
                logger: Logger = Logger(label: "hub.outbox.relay")) {
        self.database = database
        self.kafka = kafka
        self.configuration = configuration
        self.logger = logger
        backlogGauge = Gauge(label: "hub_outbox_backlog")
        activeGauge = Gauge(label: "hub_outbox_relay_active")
        batchTimer = Metrics.Timer(label: "hub_outbox_relay_batch_duration_seconds")
    }

    /// A snapshot of what the relay is doing.
    public var status: OutboxRelayStatus { state.current }

    /// Asks the relay to stop as a graceful shutdown would: the in-flight batch finishes,
    /// then `run()` returns.
    public func stop() {
        stopRequested.withLock { $0 = true }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await self.relay()
        } onGracefulShutdown: { [stopRequested] in
            stopRequested.withLock { $0 = true }
        }
    }

    // MARK: The loop

    /// Per-run state, owned by the one task that runs the loop.
    private final class Session {
        var connection: PostgresConnection?
        var producer: KafkaProducer?
        var holdsLock = false
        /// `configuration.lockKey`, or the one derived from the schema once connected.
        var lockKey: Int64?
        /// Where the relay is, read when it takes the lock; nil while it does not hold it.
        var position: OutboxPosition?
        /// A position delivered up to but not written yet (the database failed), and the
        /// rows parked on the way there, written with it.
        var pendingPosition: OutboxPosition?
        var pendingParked: [ParkedOutboxRow] = []
        var lastHeldBackWarning: Date?
        var counters: [String: Counter] = [:]
        var lastBacklogCount: ContinuousClock.Instant?
    }

    private enum Outcome {
        /// A full batch went out: look again at once.
        case more
        /// Nothing left: wait for a notification or `pollInterval`.
        case idle
        /// Another relay holds the lock.
        case standby
        /// Committed rows wait for an older transaction still running: look again soon.
        case heldBack
    }

    private var shouldStop: Bool {
        stopRequested.current || Task.isCancelled || Task.isShuttingDownGracefully
    }

    private func relay() async {
        let session = Session()
        var backoff = configuration.initialBackoff
        logger.info("outbox relay starting", metadata: [
            "channel": "\(configuration.channel)",
        ])
        while !shouldStop {
            do {
                let outcome = try await cycle(session)
                backoff = configuration.initialBackoff
                state.withLock { status in
                    status.lastSuccess = Date()
                    status.failingSince = nil
                    status.lastError = nil
                }
                switch outcome {
                case .more: continue
                case .idle: await waitForWork(session, upTo: configuration.pollInterval)
                case .heldBack: await waitForWork(session, upTo: configuration.heldBackInterval)
                case .standby: await pause(configuration.standbyInterval)
                }
            } catch {
                if shouldStop { break }
                recordFailure(error, session: session, retryIn: backoff)
                await pause(backoff)
                backoff = min(backoff * 2, configuration.maximumBackoff)
            }
        }
        await finish(session)
    }

    /// One look at the outbox: make sure of the connection and the lock, then publish at
    /// most one batch.
    private func cycle(_ session: Session) async throws -> Outcome {
        let connection: PostgresConnection
        if let existing = session.connection {
            connection = existing
        } else {
            connection = try await PostgresConnection.connect(database, logger: logger)
            session.connection = connection
        }
        let lockKey: Int64
        if let known = session.lockKey ?? configuration.lockKey {
            lockKey = known
        } else {
            let schema = try await connection.query("SELECT coalesce(current_schema(), '')").scalar(String.self)
            lockKey = OutboxRelayConfiguration.lockKey(forSchema: schema)
            logger.debug("outbox relay lock key", metadata: ["schema": "\(schema)", "lockKey": "\(lockKey)"])
        }
        session.lockKey = lockKey

        if !session.holdsLock {
            let acquired = try await connection.query("SELECT pg_try_advisory_lock($1)", [.int(lockKey)])
                .scalar(Bool.self)
            guard acquired else {
                let previous = state.withLock { status -> OutboxRelayStatus.Role in
                    let was = status.role
                    status.role = .standby
                    return was
                }
                if previous != .standby {
                    logger.info("outbox relay on standby: another relay holds the lock")
                }
                return .standby
            }
            // LISTEN before the first read: whatever commits after the read wakes us.
            try await connection.listen(configuration.channel)
            session.holdsLock = true
            state.withLock { $0.role = .active }
            activeGauge.record(1)
            logger.info("outbox relay active: holds the lock")
        }

        if let pending = session.pendingPosition {
            try await record(pending, parking: session.pendingParked, on: connection)
            session.pendingPosition = nil
            session.pendingParked = []
        }
        let position: OutboxPosition
        if let known = session.position {
            position = known
        } else {
            position = try await lastRecordedPosition(on: connection)
            session.position = position
            logger.debug("outbox relay position", metadata: ["position": "\(position)"])
        }

        let started = ContinuousClock.now
        let rows = try await fetchUnsent(after: position, on: connection, lockKey: lockKey)
        guard !rows.isEmpty else {
            // Nothing to send, or the session was replaced and the lock is gone with it.
            guard try await holdsLock(lockKey, on: connection) else {
                lostLock(session)
                return .more
            }
            if try await hasRowsHeldBack(after: position, on: connection) {
                try await noteHeldBack(session, on: connection)
                return .heldBack
            }
            state.withLock { $0.heldBackSince = nil }
            setBacklog(0, session: session)
            return .idle
        }

        let producer = try session.producer ?? KafkaProducer(configuration: kafka, logger: logger)
        session.producer = producer
        let results = try await producer.send(rows.map(\.message))

        // The position moves over the rows delivered, or refused for good and parked, before
        // the first other failure, if any: the rows after it are sent again with it, so
        // that they stay in order.
        let progress = RelayProgress(rows: rows, results: results)
        if let reached = progress.reached {
            let parked = progress.parked.map {
                ParkedOutboxRow(position: $0.row.position, topic: $0.row.message.topic, error: "\($0.error)")
            }
            for (row, error) in progress.parked {
                logger.error("outbox row refused by Kafka for good: parked, the rows behind it go on", metadata: [
                    "sequence": "\(row.position.sequence)", "topic": "\(row.message.topic)", "error": "\(error)",
                ])
            }
            // Kept until written: a database failure here must not make us send them again.
            session.pendingPosition = reached
            session.pendingParked = parked
            try await record(reached, parking: parked, on: connection)
            session.pendingPosition = nil
            session.pendingParked = []
            session.position = reached
        }
        state.withLock { $0.heldBackSince = nil }
        for (topic, count) in progress.deliveredTopics {
            counter(for: topic, session: session).increment(by: count)
        }
        state.withLock {
            $0.relayedCount += progress.delivered
            $0.parkedCount += progress.parked.count
        }
        batchTimer.recordNanoseconds(Int64((ContinuousClock.now - started).wholeNanoseconds))
        logger.debug("outbox batch relayed", metadata: [
            "delivered": "\(progress.delivered)", "parked": "\(progress.parked.count)", "failed": "\(progress.failures.count)",
            "first": "\(rows.first!.position)", "last": "\(rows.last!.position)",
        ])

        if let (row, error) = progress.failures.first {
            throw OutboxRelayError.deliveryFailed(
                count: progress.failures.count, firstSequence: row.position.sequence, topic: row.message.topic, cause: error)
        }
        try await refreshBacklog(on: connection, session: session)
        // Even after a short batch, look once more rather than count the backlog: an empty
        // read sets it to 0 for nothing, where counting rows after the position cost the
        // database 50 ms a call with a large outbox.
        return .more
    }

    /// Waits for a notification on the channel, or `limit`, in slices so that a stop
    /// request ends the wait at once.
    private func waitForWork(_ session: Session, upTo limit: Duration) async {
        guard let connection = session.connection else { return }
        let end = ContinuousClock.now + limit
        do {
            while !shouldStop {
                let remaining = end - ContinuousClock.now
                guard remaining > .zero else { return }
                if try await !connection.notifications(timeout: min(remaining, .milliseconds(250))).isEmpty { return }
            }
        } catch {
            // The next cycle meets the problem and handles it; do not spin meanwhile.
            if !shouldStop { await pause(configuration.pollInterval) }
        }
    }

    /// Sleeps `duration` in short slices, ending early when asked to stop.
    private func pause(_ duration: Duration) async {
        let end = ContinuousClock.now + duration
        while !shouldStop {
            let remaining = end - ContinuousClock.now
            guard remaining > .zero else { return }
            do {
                try await Task.sleep(for: min(remaining, .milliseconds(100)))
            } catch {
                return
            }
        }
    }

    private func recordFailure(_ error: any Error, session: Session, retryIn: Duration) {
        state.withLock { status in
            status.failingSince = status.failingSince ?? Date()
            status.lastError = "\(error)"
        }
        // The relay retries every failure (its records must go out), but one that does not
        // pass needs someone: it is logged as an error.
        logger.log(level: FailureClassification.isTransient(error) ? .warning : .error,
                   "outbox relay failed; retrying", metadata: ["error": "\(error)", "retryIn": "\(retryIn)"])
        if let error = error as? PostgresError {
            // Not a question of transience: whether the session (and the lock with it) is gone
            // or in a state not worth trusting.
            switch error.kind {
            case .connectionLost, .connectionFailed, .connectionClosed, .timeout, .cancelled:
                // Start again from a new session: the lock went with the old one.
                let connection = session.connection
                session.connection = nil
                lostLock(session)
                state.withLock { $0.role = .starting }
                if let connection { Task { await connection.close() } }
            default:
                break
            }
        }
        if let error = error as? KafkaError, error.kind == .fatal || error.kind == .closed {
            // A fatal idempotent-producer error makes the producer unusable: use a new one.
            session.producer = nil
        }
        if case .deliveryFailed(_, _, _, let cause) = error as? OutboxRelayError, cause.kind == .fatal {
            session.producer = nil
        }
    }

    private func lostLock(_ session: Session) {
        guard session.holdsLock else { return }
        session.holdsLock = false
        // Another relay may move the position meanwhile: read it again with the lock.
        session.position = nil
        activeGauge.record(0)
        state.withLock { $0.role = .starting }
        logger.warning("outbox relay no longer holds the lock (its session ended); competing for it again")
    }

    /// Releases the lock and the connection, flushes the producer.
    private func finish(_ session: Session) async {
        if let connection = session.connection {
            if session.holdsLock, let lockKey = session.lockKey {
                _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [.int(lockKey)])
            }
            await connection.close()
        }
        session.connection = nil
        if session.holdsLock {
            session.holdsLock = false
            activeGauge.record(0)
        }
        if let producer = session.producer {
            do {
                try producer.close(timeout: .seconds(5))
            } catch {
                logger.warning("outbox relay: producer did not flush on close", metadata: ["error": "\(error)"])
            }
        }
        state.withLock { $0.role = .stopped }
        logger.info("outbox relay stopped")
    }

    // MARK: SQL

    struct OutboxRow: Sendable {
        var position: OutboxPosition
        var message: OutboundRecord
    }

    /// Whether this session holds the relay's advisory lock, as an SQL condition on $1 (the
    /// key). A bigint advisory lock shows in pg_locks as classid = high 32 bits, objid = low
    /// 32 bits, objsubid = 1.
    private static let holdsLockCondition = """
        EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                AND objsubid = 1 AND classid = (($1::bigint >> 32) & 4294967295)::oid
                AND objid = ($1::bigint & 4294967295)::oid)
        """

    /// The rows after `position` whose transaction is older than any still running, in
    /// order, only if this session holds the lock (checked in the same statement, so a
    /// silently replaced session reads nothing).
    private func fetchUnsent(after position: OutboxPosition, on connection: PostgresConnection,
                             lockKey: Int64) async throws -> [OutboxRow] {
        let rows = try await connection.query(
            """
            SELECT sequence, writer_xact::text::bigint AS xact, topic, kafka_key, headers::text AS headers, value
              FROM hub_outbox
             WHERE (writer_xact, sequence) > ($3::text::xid8, $4)
               AND writer_xact < pg_snapshot_xmin(pg_current_snapshot())
               AND \(Self.holdsLockCondition)
             ORDER BY hub_outbox.writer_xact, hub_outbox.sequence
             LIMIT $2
            """, [.int(lockKey), .int(configuration.batchSize), .text(String(position.transaction)), .int(position.sequence)])
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
    private func hasRowsHeldBack(after position: OutboxPosition, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query(
            """
            SELECT 1 FROM hub_outbox WHERE (writer_xact, sequence) > ($1::text::xid8, $2)
             ORDER BY writer_xact, sequence LIMIT 1
            """,
            [.text(String(position.transaction)), .int(position.sequence)]).isEmpty
    }

    /// Notes since when rows are held back and, every `heldBackWarning` of it, logs the
    /// session whose transaction is the oldest still running.
    private func noteHeldBack(_ session: Session, on connection: PostgresConnection) async throws {
        let now = Date()
        let since = state.withLock { status -> Date in
            status.heldBackSince = status.heldBackSince ?? now
            return status.heldBackSince!
        }
        let every = configuration.heldBackWarning.inSeconds
        guard now.timeIntervalSince(since) >= every,
              now.timeIntervalSince(session.lastHeldBackWarning ?? since) >= every else { return }
        session.lastHeldBackWarning = now
        let oldest = try await connection.query("""
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
    private func lastRecordedPosition(on connection: PostgresConnection) async throws -> OutboxPosition {
        let rows = try await connection.query(
            "SELECT writer_xact::text::bigint, sequence FROM hub_outbox_relayed ORDER BY batch DESC LIMIT 1")
        guard let row = rows.first else { return OutboxPosition(transaction: 0, sequence: 0) }
        return OutboxPosition(transaction: try row.decode(Int64.self, at: 0), sequence: try row.decode(Int64.self, at: 1))
    }

    private func holdsLock(_ lockKey: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT \(Self.holdsLockCondition)", [.int(lockKey)]).scalar(Bool.self)
    }

    /// Appends `position` with the rows parked before it, in one transaction.
    private func record(_ position: OutboxPosition, parking parked: [ParkedOutboxRow],
                        on connection: PostgresConnection) async throws {
        try await OutboxParking.record(parked, position: position, on: connection) { connection in
            try await record(position, on: connection)
        }
    }

    /// Appends `position`, unless the last one recorded is already there or beyond (a
    /// relay that lost its session while another went on): positions only move forward.
    private func record(_ position: OutboxPosition, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO hub_outbox_relayed (writer_xact, sequence)
            SELECT $1::text::xid8, $2
             WHERE NOT EXISTS (SELECT 1 FROM hub_outbox_relayed
                                WHERE (writer_xact, sequence) >= ($1::text::xid8, $2))
            """, [.text(String(position.transaction)), .int(position.sequence)])
    }

    /// Counts the backlog, at most every `backlogRefreshInterval` (a count reads every row
    /// after the position).
    private func refreshBacklog(on connection: PostgresConnection, session: Session) async throws {
        let now = ContinuousClock.now
        if let last = session.lastBacklogCount, now - last < configuration.backlogRefreshInterval { return }
        let count = try await connection.query("SELECT count(*) FROM hub_outbox_unsent").scalar(Int.self)
        setBacklog(count, session: session)
    }

    private func setBacklog(_ count: Int, session: Session) {
        session.lastBacklogCount = ContinuousClock.now
        backlogGauge.record(count)
        state.withLock { $0.backlog = count }
    }

    private func counter(for topic: String, session: Session) -> Counter {
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

/// Why a relay cycle did not complete.
public enum OutboxRelayError: Error, Sendable, CustomStringConvertible {
    /// Kafka did not acknowledge some records; they stay unsent and are retried.
    case deliveryFailed(count: Int, firstSequence: Int64, topic: String, cause: KafkaError)

    /// Kafka's reason.
    public var cause: KafkaError {
        switch self {
        case .deliveryFailed(_, _, _, let cause): cause
        }
    }

    public var description: String {
        switch self {
        case .deliveryFailed(let count, let first, let topic, let cause):
            return "\(count) outbox record(s) not delivered (first: sequence \(first) to \(topic)): \(cause)"
        }
    }
}
