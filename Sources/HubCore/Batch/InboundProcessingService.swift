import HubDomain
import HubKafka
import HubPostgres
import Logging
import Metrics
import ServiceLifecycle

/// The workers' main loop: poll a batch, process it in one transaction, then commit the
/// offsets. Transient failures (database or broker unreachable) are retried with backoff,
/// never skipped; a batch that fails for another reason, even a batch of one record, is
/// split record by record, and a record that still fails is dead-lettered as `internal`,
/// so the partition moves on and no record ends the worker.
///
/// A database unreachable for longer than `databaseOutageGrace` (down, or cut off from this
/// worker only) makes the worker leave the consumer group, dropping the batches in hand
/// (uncommitted, so read again by whoever gets the partitions), and rejoin once the
/// database answers: members that reach it take over meanwhile, and none stays in the group
/// without polling until `max.poll.interval.ms` throws it out.
public struct InboundProcessingService: Service {
    public var consumer: KafkaConsumer
    public var database: PostgresConnection
    /// A second connection, for deciding a batch while the previous one is written
    /// (`BatchProcessor.decideAhead`); `nil`: every batch is decided in its transaction.
    public var lookups: PostgresConnection?
    public var processor: BatchProcessor
    public var maxBatchSize: Int
    /// How long a database failure is retried before the worker leaves the group.
    public var databaseOutageGrace: Duration
    /// The most bytes of records in one batch (the rest of a poll waits for the next).
    public var batchBudget: BatchByteBudget
    public var logger: Logger
    /// Told after each committed batch (health, progress).
    public var onBatchCommitted: @Sendable (BatchOutcome) -> Void
    /// Told after each poll that returned (health: the loop is alive and not stuck
    /// retrying a batch).
    public var onPolled: @Sendable () -> Void

    public init(
        consumer: KafkaConsumer, database: PostgresConnection, lookups: PostgresConnection? = nil,
        processor: BatchProcessor, maxBatchSize: Int = 500,
        databaseOutageGrace: Duration = HubConfiguration.defaultDatabaseOutageGrace,
        batchBudget: BatchByteBudget = BatchByteBudget(), logger: Logger,
        onBatchCommitted: @escaping @Sendable (BatchOutcome) -> Void = { _ in },
        onPolled: @escaping @Sendable () -> Void = {}
    ) {
        self.consumer = consumer
        self.database = database
        self.lookups = lookups
        self.processor = processor
        self.maxBatchSize = maxBatchSize
        self.databaseOutageGrace = databaseOutageGrace
        self.batchBudget = batchBudget
        self.logger = logger
        self.onBatchCommitted = onBatchCommitted
        self.onPolled = onPolled
    }

    /// A batch polled and prepared, and decided if it could be before its transaction.
    struct BatchInHand: Sendable {
        var prepared: PreparedBatch
        var decided: DecidedBatch?
    }

    public func run() async throws {
        logger.info("processing", metadata: ["topics": "\(HubTopics.inbound)", "group": "\(consumer.groupID)"])
        var lagReported = ContinuousClock.now
        // The batch in hand: polled and prepared, not yet processed. A graceful shutdown
        // stops polling but lets the batch in hand finish and commit.
        var inHand: BatchInHand?
        // Records polled beyond a batch's byte budget: they are the next batches, before
        // anything newer is polled.
        var carried: [InboundRecord] = []
        while true {
            if ContinuousClock.now - lagReported > .seconds(5) {
                lagReported = .now
                await reportLag()
            }
            var current: BatchInHand
            if let batch = inHand {
                current = batch
            } else {
                guard !Task.isShuttingDownGracefully else { break }
                let batch: [InboundRecord]
                (batch, carried) = try await nextRecords(after: carried, waiting: .milliseconds(250))
                guard !batch.isEmpty else { continue }
                current = BatchInHand(prepared: processor.prepare(batch))
            }
            // Decided now if it was not while the previous batch was written: the next one
            // can then be decided on top of it while it is written.
            if current.decided == nil, let lookups {
                current.decided = await processor.decideAhead(current.prepared, lookingUpOn: lookups)
            }
            // Pipelining: the records already fetched (no waiting) are decoded, and decided
            // on top of the current batch, on another thread while the current batch's
            // transaction runs. Safe with respect to offsets: they are committed for
            // `current` only, after its transaction, and a record polled here but
            // processed by another member after a rebalance is found in the inbox. Safe
            // with respect to the state: the next batch's transaction writes its decisions
            // only if the stored state is the one they were made on (`BatchProcessor.write`).
            var upcoming: [InboundRecord] = []
            if !Task.isShuttingDownGracefully {
                (upcoming, carried) = try await nextRecords(after: carried, waiting: .zero)
            }
            do {
                inHand = try await process(current, thenPrepare: upcoming)
            } catch let outage as DatabaseOutage {
                // Nothing held is committed: after the rejoin the group's offsets bring it back.
                inHand = nil
                carried = []
                try await waitOutsideTheGroup(during: outage)
            }
        }
        logger.info("shutting down: leaving the group")
        try await consumer.close()
    }

    /// The next batch within the byte budget: from the records carried over if any, else
    /// polled (waiting up to `timeout`); and what is left for the batches after it.
    private func nextRecords(
        after carried: [InboundRecord], waiting timeout: Duration
    ) async throws -> (batch: [InboundRecord], rest: [InboundRecord]) {
        if !carried.isEmpty { return batchBudget.split(carried) }
        let polled = try await consumer.poll(maxCount: maxBatchSize, timeout: timeout)
        // Told on every poll that waited (the loop is alive), and on one that brought records.
        if timeout > .zero || !polled.isEmpty { onPolled() }
        return batchBudget.split(polled)
    }

    /// Processes and commits `current` while `upcoming` is prepared; returns the prepared
    /// `upcoming` (nil when empty).
    private func process(_ current: BatchInHand, thenPrepare upcoming: [InboundRecord]) async throws -> BatchInHand? {
        let decidesAhead = current.decided != nil
        async let next: BatchInHand? = upcoming.isEmpty ? nil : prepare(upcoming, decidingAhead: decidesAhead)
        let started = ContinuousClock.now
        let outcome = try await processPersistently(current)
        try await commitPersistently(current.prepared.messages)
        record(outcome, batch: current.prepared.messages, duration: ContinuousClock.now - started)
        onBatchCommitted(outcome)
        return await next
    }

    /// Out of the group until the database answers: polls go on (they serve librdkafka's
    /// callbacks, the revocation first, and return nothing while no partition is assigned)
    /// and the database is asked every second or so. A graceful shutdown ends the wait.
    private func waitOutsideTheGroup(during outage: DatabaseOutage) async throws {
        logger.error(
            "database unreachable; leaving the consumer group so that workers that reach it take the partitions over",
            metadata: ["for": "\(ContinuousClock.now - outage.since)", "error": "\(outage.lastError)"])
        Counter(label: "hub_consumer_group_leaves_total").increment()
        try await consumer.leaveGroup()
        var lastProbe = ContinuousClock.now
        while !Task.isShuttingDownGracefully {
            let stray = try await consumer.poll(maxCount: maxBatchSize, timeout: .milliseconds(250))
            if !stray.isEmpty {
                // Fetched before the revocation; not committed, so read again after the rejoin.
                logger.debug("records read while leaving the group dropped", metadata: ["count": "\(stray.count)"])
            }
            guard ContinuousClock.now - lastProbe >= .seconds(1) else { continue }
            lastProbe = .now
            if await databaseAnswers() {
                try await consumer.rejoinGroup()
                logger.notice(
                    "database reachable again; rejoined the consumer group",
                    metadata: ["outage": "\(ContinuousClock.now - outage.since)"])
                return
            }
        }
    }

    private func databaseAnswers() async -> Bool {
        do {
            _ = try await database.query("SELECT 1")
            return true
        } catch {
            logger.info("database still unreachable", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func prepare(_ records: [InboundRecord], decidingAhead: Bool) async -> BatchInHand {
        var batch = BatchInHand(prepared: processor.prepare(records))
        if decidingAhead, let lookups {
            batch.decided = await processor.decideAhead(batch.prepared, lookingUpOn: lookups)
        }
        return batch
    }

    /// Processes until it succeeds; only transient failures are retried as they are. A batch
    /// that fails otherwise, of any size, is processed again record by record, so that the
    /// record at fault is isolated (`processAlone`) and the others take effect.
    private func processPersistently(_ batch: BatchInHand) async throws -> BatchOutcome {
        let messages = batch.prepared.messages
        do {
            return try await retryingTransient("process a batch of \(messages.count)") {
                if let decided = batch.decided, let outcome = try await processor.write(decided, on: database) {
                    return outcome
                }
                return try await processor.process(batch.prepared, on: database)
            }
        } catch  where Self.isRecordFailure(error) {
            logger.error("batch failed; processing its records one by one", metadata: ["error": "\(error)"])
            var total = BatchOutcome()
            for message in messages {
                total = total + (try await processAlone(message))
            }
            return total
        }
    }

    /// Processes one record; if that fails for a reason other than an unavailable
    /// dependency, dead-letters it as `internal` (a bug: hostile input is refused with its
    /// own code by the decoder) so that its offset is committed and the partition moves on.
    private func processAlone(_ message: InboundRecord) async throws -> BatchOutcome {
        let place = "\(message.topic)[\(message.partition)]@\(message.offset)"
        do {
            return try await retryingTransient("process \(place)") {
                try await processor.process([message], on: database)
            }
        } catch  where Self.isRecordFailure(error) {
            logger.error(
                "record failed; dead-lettering it as internal",
                metadata: [
                    "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                    "error": "\(error)",
                ])
            try await deadLetterAsInternal(message, reason: "processing failed: \(error)")
            var outcome = BatchOutcome()
            outcome.deadLetters[.internal] = 1
            outcome.count(message.topic, "deadletter_internal")
            return outcome
        }
    }

    /// Stores and queues `message` as an `internal` dead letter. Whatever the record holds
    /// can be stored: key, value and header values go to bytea columns or base64, and the
    /// texts that quote it are escaped (`StorableText`). So a failure here is the
    /// database's, not the record's: it is retried, never skipped (the offset is committed
    /// only after the dead letter is) and never the end of the worker.
    private func deadLetterAsInternal(_ message: InboundRecord, reason: String) async throws {
        var wait = Duration.milliseconds(200)
        while true {
            do {
                return try await retryingTransient("dead-letter \(message.topic)[\(message.partition)]@\(message.offset)") {
                    try await processor.deadLetterAsInternal(message, reason: reason, on: database)
                }
            } catch  where Self.isRecordFailure(error) {
                logger.critical(
                    "cannot store a dead letter; retrying (the record is kept, its offset not committed)",
                    metadata: [
                        "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                        "error": "\(error)", "retryIn": "\(wait)",
                    ])
                Counter(label: "hub_dead_letter_store_failures_total").increment()
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(30))
            }
        }
    }

    /// A failure that is neither transient (retried as it is), nor a database outage that
    /// makes the worker leave the group, nor the task's cancellation.
    static func isRecordFailure(_ error: any Error) -> Bool {
        !FailureClassification.isTransient(error) && !(error is DatabaseOutage) && !(error is CancellationError)
    }

    /// Commits the batch's offsets. Safe to retry: the records are processed, a redelivery
    /// would find them in the inbox. Safe to give up when the group has moved on (a
    /// rebalance, or this member dropped): the partitions' next owner reads the records
    /// again and finds them in the inbox; retrying would wait for a rebalance that only
    /// the next poll can serve.
    private func commitPersistently(_ batch: [InboundRecord]) async throws {
        try await retryingTransient("commit offsets") {
            do {
                try await consumer.commit(after: batch)
            } catch let error as KafkaError where error.isMembershipLost {
                // Checked before the retry: a rebalance in progress is also transient.
                logger.warning(
                    "offsets not committed: the group moved on; the records are read again by their next owner and found in the inbox",
                    metadata: ["error": "\(error)"])
                Counter(label: "hub_commits_abandoned_total").increment()
            }
        }
    }

    /// Runs `body` until it succeeds, retrying transient failures with backoff. A database
    /// failure that has lasted `databaseOutageGrace` (counted from the start of the first
    /// failed attempt: an attempt may itself wait for a reconnection) becomes a
    /// `DatabaseOutage`, on which the worker leaves the group.
    private func retryingTransient<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        var wait = Duration.milliseconds(200)
        var failingSince: ContinuousClock.Instant?
        while true {
            let attempt = ContinuousClock.now
            do {
                return try await body()
            } catch  where FailureClassification.isTransient(error) {
                if error is PostgresError {
                    let since = failingSince ?? attempt
                    failingSince = since
                    if ContinuousClock.now - since >= databaseOutageGrace {
                        throw DatabaseOutage(since: since, lastError: error)
                    }
                }
                logger.warning("cannot \(what) yet; retrying", metadata: ["error": "\(error)", "retryIn": "\(wait)"])
                Counter(label: "hub_transient_failures_total", dimensions: [("operation", what.components(separatedBy: " ").first ?? what)])
                    .increment()
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(5))
            }
        }
    }

    /// The database has failed transiently for longer than the grace.
    struct DatabaseOutage: Error {
        var since: ContinuousClock.Instant
        var lastError: any Error
    }

    /// `hub_consumer_lag{topic,partition}`: records not yet read by this member.
    private func reportLag() async {
        guard let lag = try? await consumer.lag() else { return }
        for (partition, records) in lag {
            Gauge(label: "hub_consumer_lag", dimensions: [("topic", partition.topic), ("partition", "\(partition.partition)")])
                .record(records)
        }
    }

    private func record(_ outcome: BatchOutcome, batch: [InboundRecord], duration: Duration) {
        Timer(label: "hub_batch_duration_seconds").recordNanoseconds(duration.wholeNanoseconds)
        for (topic, count) in Dictionary(grouping: batch, by: \.topic).mapValues(\.count) {
            Counter(label: "hub_records_consumed_total", dimensions: [("topic", topic)]).increment(by: count)
        }
        for (key, count) in outcome.byTopicAndOutcome {
            Counter(label: "hub_events_total", dimensions: [("topic", key.topic), ("outcome", key.outcome)]).increment(by: count)
        }
        Counter(label: "hub_notifications_written_total").increment(by: outcome.notifications)
        // Whether batches are decided before their transaction (while the previous one was
        // written): "in_transaction" all along means no state kept (several writers) or
        // decisions refused (another writer between deciding and writing).
        Counter(label: "hub_batches_total", dimensions: [("decided", outcome.decidedAhead > 0 ? "before_transaction" : "in_transaction")])
            .increment()
        logger.info(
            "batch committed",
            metadata: [
                "records": "\(batch.count)", "applied": "\(outcome.applied)", "duplicates": "\(outcome.duplicates)",
                "stale": "\(outcome.stale)", "deadLetters": "\(outcome.deadLettered)", "notifications": "\(outcome.notifications)",
                "stateLoads": "\(outcome.stateLoads)",
                "residentLoads": "\(outcome.residentLoads)", "decidedAhead": "\(outcome.decidedAhead)",
                "ms": "\(duration.wholeNanoseconds / 1_000_000)", "loadMs": "\(outcome.loadTime.wholeNanoseconds / 1_000_000)",
                "decideMs": "\(outcome.decideTime.wholeNanoseconds / 1_000_000)",
                "writeMs": "\(outcome.writeTime.wholeNanoseconds / 1_000_000)",
            ])
    }
}
