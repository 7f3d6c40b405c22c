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
public struct InboundProcessingService: Service {
    public var consumer: KafkaConsumer
    public var database: PostgresConnection
    /// A second connection, for deciding a batch while the previous one is written
    /// (`BatchProcessor.decideAhead`); `nil`: every batch is decided in its transaction.
    public var lookups: PostgresConnection?
    public var processor: BatchProcessor
    public var maxBatchSize: Int
    public var logger: Logger
    /// Told after each committed batch (health, progress).
    public var onBatchCommitted: @Sendable (BatchOutcome) -> Void
    /// Told after each poll that returned (health: the loop is alive and not stuck
    /// retrying a batch).
    public var onPolled: @Sendable () -> Void

    public init(
        consumer: KafkaConsumer, database: PostgresConnection, lookups: PostgresConnection? = nil,
        processor: BatchProcessor, maxBatchSize: Int = 500, logger: Logger,
        onBatchCommitted: @escaping @Sendable (BatchOutcome) -> Void = { _ in },
        onPolled: @escaping @Sendable () -> Void = {}
    ) {
        self.consumer = consumer
        self.database = database
        self.lookups = lookups
        self.processor = processor
        self.maxBatchSize = maxBatchSize
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
                let batch = try await consumer.poll(maxCount: maxBatchSize, timeout: .milliseconds(250))
                onPolled()
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
            let upcoming =
                Task.isShuttingDownGracefully
                ? [] : try await consumer.poll(maxCount: maxBatchSize, timeout: .zero)
            if !upcoming.isEmpty { onPolled() }
            let decidesAhead = current.decided != nil
            async let next: BatchInHand? = upcoming.isEmpty ? nil : prepare(upcoming, decidingAhead: decidesAhead)
            let started = ContinuousClock.now
            let outcome = try await processPersistently(current)
            try await commitPersistently(current.prepared.messages)
            record(outcome, batch: current.prepared.messages, duration: ContinuousClock.now - started)
            onBatchCommitted(outcome)
            inHand = await next
        }
        logger.info("shutting down: leaving the group")
        try await consumer.close()
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

    /// A failure that is neither transient (retried as it is) nor the task's cancellation.
    static func isRecordFailure(_ error: any Error) -> Bool {
        !FailureClassification.isTransient(error) && !(error is CancellationError)
    }

    private func commitPersistently(_ batch: [InboundRecord]) async throws {
        // Safe to retry: the records are already processed; a redelivery would find them in
        // the inbox.
        try await retryingTransient("commit offsets") { try await consumer.commit(after: batch) }
    }

    private func retryingTransient<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        var wait = Duration.milliseconds(200)
        while true {
            do {
                return try await body()
            } catch  where FailureClassification.isTransient(error) {
                logger.warning("cannot \(what) yet; retrying", metadata: ["error": "\(error)", "retryIn": "\(wait)"])
                Counter(label: "hub_transient_failures_total", dimensions: [("operation", what.components(separatedBy: " ").first ?? what)])
                    .increment()
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(5))
            }
        }
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
