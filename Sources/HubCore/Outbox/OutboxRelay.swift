import Crypto
import Foundation
import HubDomain
import HubKafka
import HubPostgres
import Logging
import Metrics
import ServiceLifecycle

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
/// **Regional topics** (contract v1.1, `HUB_REGIONAL_TOPICS`, off by default). With
/// `configuration.regionalTopics` on, each row to `hub.notifications` is also sent, byte for
/// byte (key, headers with the `ce_id`, value), to `hub.notifications.<region>`, the region
/// read from the notification's value; the copy follows its row in the batch, so each
/// region's topic keeps the order of `hub.notifications`. The copies are made here rather
/// than written to the outbox: the outbox's identity is the notification id
/// (`notification_id` is unique, and is the `ce_id`), so a second row would need another
/// identity or a migration; the processing transaction writes nothing more; and turning the
/// setting on or off takes effect on the rows relayed from then on. A row is passed only
/// once every copy is acknowledged (`RelayProgress`), so the position never runs ahead of a
/// regional copy; a relay that fails between them sends both again (consumers deduplicate
/// on `ce_id`). Before sending to a regional topic for the first time, the relay makes sure
/// it exists (creating it like `hub.notifications`, if missing): the producer would
/// otherwise leave it to the broker's auto-creation, or, where that is off, time out and
/// retry forever, holding every notification back. A regional topic that is missing and
/// cannot be created (no Create ACL, say), or a region that cannot name a topic, makes
/// that copy refused for good: its row is parked with the reason (the copy to
/// `hub.notifications` still delivered, as the reason says), logged as an error, and
/// looked at again after `missingTopicRecheck`.
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
    let database: PostgresConfiguration
    let kafka: KafkaConfiguration
    public let configuration: OutboxRelayConfiguration
    let logger: Logger
    let state = Locked(OutboxRelayStatus())
    let stopRequested = Locked(false)
    let backlogGauge: Gauge
    let activeGauge: Gauge
    let batchTimer: Metrics.Timer

    /// - Parameters:
    ///   - database: where `hub_outbox` is (its search_path decides the schema). The relay
    ///     opens its own connection.
    ///   - kafka: the producer's configuration (idempotence is always on).
    ///   - configuration: by default, the defaults with `HUB_REGIONAL_TOPICS` from the
    ///     environment (`OutboxRelayConfiguration.fromEnvironment()`), what `hub-workers` runs.
    public init(
        database: PostgresConfiguration, kafka: KafkaConfiguration,
        configuration: OutboxRelayConfiguration = .fromEnvironment(),
        logger: Logger = Logger(label: "hub.outbox.relay")
    ) {
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
    final class Session {
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
        /// The regional topics made sure of, and those found missing.
        var regionalTopics = RegionalTopicsRegistry()
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
        logger.info(
            "outbox relay starting",
            metadata: [
                "channel": "\(configuration.channel)"
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
            let acquired = try await connection.query("SELECT pg_try_advisory_lock(\(lockKey))")
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

        // With regional topics on, each notification row also goes to its region's topic,
        // right after its own record (see "Regional topics" above).
        let targets = RelayPlan.regionalTargets(
            of: rows, enabled: configuration.regionalTopics, notificationsTopic: configuration.notificationsTopic)
        let regionalTopics = RelayPlan.topics(in: targets)
        let unavailable = try await ensureRegionalTopics(regionalTopics, session: session)
        let plan = RelayPlan(rows: rows, targets: targets, unavailable: unavailable)

        let producer = try session.producer ?? KafkaProducer(configuration: kafka, logger: logger)
        session.producer = producer
        let results: [Result<DeliveryReport, KafkaError>]
        do {
            results = try await producer.send(plan.sends.map(\.record))
        } catch let error as KafkaError where error.isUnknownTopic {
            // A regional topic deleted since the relay made sure of it: look again next time.
            session.regionalTopics.forget(regionalTopics)
            throw error
        }
        let outcomes = plan.outcomes(of: results)
        session.regionalTopics.forgetUnknown(in: outcomes, among: regionalTopics)

        // The position moves over the rows delivered, or refused for good and parked, before
        // the first other failure, if any: the rows after it are sent again with it, so
        // that they stay in order.
        let progress = RelayProgress(rows: rows, outcomes: outcomes)
        if let reached = progress.reached {
            let parked = progress.parked.map {
                ParkedOutboxRow(position: $0.row.position, topic: $0.topic, error: $0.reason)
            }
            for (row, topic, reason) in progress.parked {
                logger.error(
                    "outbox row refused for good: parked, the rows behind it go on",
                    metadata: [
                        "sequence": "\(row.position.sequence)", "topic": "\(topic)", "error": "\(reason)",
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
        logger.debug(
            "outbox batch relayed",
            metadata: [
                "delivered": "\(progress.delivered)", "parked": "\(progress.parked.count)", "failed": "\(progress.failures.count)",
                "first": "\(rows.first.map { "\($0.position)" } ?? "-")", "last": "\(rows.last.map { "\($0.position)" } ?? "-")",
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
        logger.log(
            level: FailureClassification.isTransient(error) ? .warning : .error,
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
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))")
            }
            await connection.close()
        }
        session.connection = nil
        if session.holdsLock {
            session.holdsLock = false
            activeGauge.record(0)
        }
        session.regionalTopics.admin = nil
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
}
