import HubDomain
import HubPostgres
import Logging

/// Applies a batch of inbound records in ONE PostgreSQL transaction: the rules' state
/// changes, the inbox of processed identities, the event log, the notifications and dead
/// letters (both to the outbox, relayed to Kafka later). The caller commits the Kafka
/// offsets only after `process` returns, so a crash anywhere replays the batch, and the
/// inbox makes the replay take effect once.
///
/// Workers of one group serialize their processing transactions on an advisory lock: the
/// rules read neighbourhoods (other CLSMs on a commune, other SISM events on a day) that
/// records of other partitions may change, and serial transactions keep every decision
/// made on the state left by the previous one. Decoding and relaying stay parallel.
public struct BatchProcessor: Sendable {
    /// First half of the `pg_advisory_xact_lock` key of the processing transactions ("CLSM");
    /// the second half is a hash of the schema, so hubs in other schemas don't wait.
    public static let processingLockKey: Int64 = 0x434C_534D

    /// Takes the processing lock of this schema for the rest of `connection`'s transaction.
    ///
    /// When another session holds it, that session is first ended if it has been stuck in
    /// the middle of a statement, waiting for its client, for longer than the statement
    /// timeout: a worker cut off while it streamed a COPY. The server would keep it, and the
    /// lock, until the network heals whenever something on the way still acknowledges
    /// packets (a proxy, a load balancer): `statement_timeout` does not interrupt a COPY
    /// waiting for data, the idle timeouts do not apply to a running statement, and TCP
    /// keepalives are answered by the proxy. Such a session's transaction is lost anyway
    /// (its client gave it up at its reply deadline); its records are processed again.
    public static func takeProcessingLock(on connection: PostgresConnection, logger: Logger? = nil) async throws {
        let taken = try await connection.query(
            "SELECT pg_try_advisory_xact_lock(\(processingLockKey)::integer, hashtext(current_schema()))"
        ).scalar(Bool.self)
        guard !taken else { return }
        let stuckFor = (connection.configuration.effectiveStatementTimeout ?? .seconds(30)).components.seconds
        let ended = try await connection.query(
            """
            SELECT count(*) FILTER (WHERE pg_terminate_backend(a.pid))
              FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
               AND l.classid = \(processingLockKey)::integer::oid AND l.objid = hashtext(current_schema())::oid
               AND a.datname = current_database() AND a.state = 'active' AND a.wait_event = 'ClientRead'
               AND a.state_change < clock_timestamp() - \(max(1, stuckFor)) * interval '1 second'
               AND pg_has_role(a.usesysid, 'MEMBER')
            """
        ).scalar(Int.self)
        if ended > 0 {
            logger?.warning(
                "ended a session stuck in a statement, waiting for its client, that held the processing lock",
                metadata: ["sessions": "\(ended)", "stuckFor": "\(stuckFor) s"])
        }
        try await connection.execute("SELECT pg_advisory_xact_lock(\(processingLockKey)::integer, hashtext(current_schema()))")
    }

    public var decoder: InboundDecoder
    public var engine: RulesEngine
    public var store: StateStore
    public var logger: Logger
    /// Whether to keep the state in memory between batches (`ResidentState`) while this
    /// processor is the only writer; without it every batch reads its slices from
    /// PostgreSQL. The result is the same either way (tested).
    public var keepsResidentState: Bool
    /// Shared by the copies of this processor.
    private let keeper = ResidentStateKeeper()

    public init(
        decoder: InboundDecoder = InboundDecoder(), engine: RulesEngine = RulesEngine(),
        store: StateStore = StateStore(), keepsResidentState: Bool = true, logger: Logger
    ) {
        self.decoder = decoder
        self.engine = engine
        self.store = store
        self.keepsResidentState = keepsResidentState
        self.logger = logger
    }

    /// Processes `messages` (in order) in one transaction on `database`.
    public func process(_ messages: [InboundRecord], on database: PostgresConnection) async throws -> BatchOutcome {
        try await process(prepare(messages), on: database)
    }

    /// The part of a batch's work that needs neither the database nor the previous batch:
    /// decoding, the event log's payload bytes, the segments and what each must load. Pure,
    /// so the workers run it for the next batch while the current one's transaction runs.
    public func prepare(_ messages: [InboundRecord]) -> PreparedBatch {
        let entries = messages.map(decode)
        var decodedAt: [Int] = []
        var decoded: [DecodedEvent] = []
        for (index, entry) in entries.enumerated() {
            guard case .decoded(let event, _, _) = entry else { continue }
            decodedAt.append(index)
            decoded.append(event)
        }
        // One state load per segment: a segment ends where an event needs a slice that an
        // earlier event of the batch changes the meaning of (see batchSegments). Records
        // that did not decode go with the segment they follow (or the first).
        let ranges = engine.batchSegments(decoded)
        guard !ranges.isEmpty else {
            return PreparedBatch(
                messages: messages, entries: entries,
                segments: [PreparedBatch.Segment(entries: entries.indices, requirements: nil)])
        }
        let segments = ranges.enumerated().map { index, range in
            let start = index == 0 ? 0 : decodedAt[range.lowerBound]
            let end = index == ranges.count - 1 ? entries.count : decodedAt[ranges[index + 1].lowerBound]
            return PreparedBatch.Segment(
                entries: start..<end,
                requirements: decoded[range].reduce(into: StateRequirements()) { $0.formUnion(engine.requirements(for: $1)) })
        }
        return PreparedBatch(messages: messages, entries: entries, segments: segments)
    }

    /// Processes a prepared batch in one transaction on `database`.
    public func process(_ batch: PreparedBatch, on database: PostgresConnection) async throws -> BatchOutcome {
        let (total, resident, version) = try await database.transaction { connection in
            try await Self.takeProcessingLock(on: connection, logger: logger)
            let versionAtStart = try await StateVersion.read(on: connection)
            var resident = try await residentState(storedVersion: versionAtStart, on: connection)
            var outcome = BatchOutcome()
            var writes = BatchWrites()
            var state = HubState()
            for segment in batch.segments {
                // Earlier segments' rows are written (and the resident state updated) first,
                // so this load sees them.
                outcome = outcome + (try await flush(&writes, state: state, resident: &resident, on: connection))
                if let requirements = segment.requirements {
                    let loading = ContinuousClock.now
                    state = try await load(requirements, resident: resident, on: connection)
                    outcome.loadTime += .now - loading
                }
                let deciding = ContinuousClock.now
                decide(batch.entries[segment.entries], on: &state, into: &writes)
                outcome.decideTime += .now - deciding
            }
            var total = outcome + (try await flush(&writes, state: state, resident: &resident, on: connection))
            total.stateLoads = batch.stateLoads
            total.residentLoads = resident == nil ? 0 : batch.stateLoads
            let versionLeft = try await StateVersion.markWritten(on: connection)
            // One step: this transaction was the only writer since the version was read.
            return (total, versionLeft == versionAtStart + 1 ? resident : nil, versionLeft)
        }
        keeper.keep(resident, version: version)
        return total
    }

    /// Decides `entries` in order on `state` (which each decision's changes are applied to),
    /// collecting what is to be written. Pure: no database, no clock.
    private func decide(_ entries: ArraySlice<PreparedBatch.Entry>, on state: inout HubState, into writes: inout BatchWrites) {
        for entry in entries {
            switch entry {
            case .decoded(let event, let message, let canonicalData):
                do {
                    let decision = try engine.decide(event, in: state)
                    state.apply(decision.changes)
                    writes.note(decision.changes, appliedTo: state)
                    writes.record(decision, of: event, canonicalData: canonicalData, from: message)
                } catch {
                    writes.deadLetter(message, error)
                }
            case .rejected(let rejection, let message):
                writes.deadLetter(message, rejection)
            }
        }
    }

    /// What `process` does without PostgreSQL, for `hub-bench core`: each segment sliced
    /// from `resident`, with the processed events and QPV actions it names taken from
    /// `nonResident` (what `StateStore.loadNonResident` reads), decided, its rows built,
    /// its changes applied to both. Nothing is written.
    public func decideInMemory(
        _ batch: PreparedBatch, resident: inout ResidentState,
        nonResident: inout HubState
    ) -> BatchOutcome {
        var outcome = decideSegments(batch, resident: &resident, nonResident: &nonResident)
            .reduce(BatchOutcome()) { $0 + $1.writes.outcome }
        outcome.stateLoads = batch.stateLoads
        return outcome
    }

    private func decideSegments(
        _ batch: PreparedBatch, resident: inout ResidentState,
        nonResident: inout HubState
    ) -> [DecidedBatch.Segment] {
        batch.segments.map { segment in
            var state = segment.requirements.map { resident.slice($0, completedWith: nonResident) } ?? HubState()
            var writes = BatchWrites()
            decide(batch.entries[segment.entries], on: &state, into: &writes)
            resident.apply(writes.stateChanges)
            nonResident.apply(writes.stateChanges.filter { !ResidentState.holds($0) })
            return DecidedBatch.Segment(writes: writes, state: state)
        }
    }

    // MARK: Deciding ahead of the transaction

    /// Decides `batch` on the resident state kept in memory, outside any transaction, so
    /// that the workers decide one batch while the previous one is written: `nil` if no
    /// resident state is kept (or the lookups failed), and the batch is processed by
    /// `process` instead.
    ///
    /// The kept state includes every batch decided before, committed or not. What it does
    /// not hold (processed events the filter cannot rule out, QPV actions) is looked up on
    /// `lookups` (a connection other than the one writing, which sees only committed rows)
    /// and completed with the changes of the batch decided last, which may still be being
    /// written. The decisions hold if, when the transaction of this batch starts, the
    /// stored state is the one they were made on: `write` checks the version, under the
    /// processing lock.
    public func decideAhead(_ batch: PreparedBatch, lookingUpOn lookups: PostgresConnection) async -> DecidedBatch? {
        guard keepsResidentState, var kept = keeper.takeForDecidingAhead(),
            var resident = kept.resident.take(), let version = kept.version
        else { return nil }
        var outcome = BatchOutcome()
        let loading = ContinuousClock.now
        var nonResident: HubState
        do {
            nonResident = try await store.loadNonResident(nonResidentLookUps(batch, resident: resident), on: lookups)
        } catch {
            logger.warning(
                "cannot look up the next batch's rows; it will be processed in its transaction",
                metadata: ["error": "\(error)"])
            kept.resident = resident
            keeper.giveBack(kept)
            return nil
        }
        nonResident.apply(kept.pendingChanges)
        outcome.loadTime = .now - loading
        let deciding = ContinuousClock.now
        let segments = decideSegments(batch, resident: &resident, nonResident: &nonResident)
        outcome.decideTime = .now - deciding
        let decided = DecidedBatch(
            prepared: batch, segments: segments, expectedVersion: version,
            generation: kept.generation, timing: outcome)
        keeper.giveBack(
            ResidentStateKeeper.Kept(
                resident: resident, version: version + 1,
                pendingChanges: segments.flatMap { $0.writes.stateChanges.filter { !ResidentState.holds($0) } },
                generation: kept.generation))
        return decided
    }

    /// What `batch` needs that the resident state does not hold: every segment's QPV
    /// actions, and its events that the filter cannot rule out. One read for the batch:
    /// later segments see earlier ones' changes in memory.
    private func nonResidentLookUps(_ batch: PreparedBatch, resident: ResidentState) -> StateRequirements {
        var lookUps = StateRequirements()
        for case let requirements? in batch.segments.map(\.requirements) {
            lookUps.events.formUnion(resident.processedEventsToLookUp(requirements.events))
            lookUps.qpvActions.formUnion(requirements.qpvActions)
        }
        return lookUps
    }

    /// Writes a batch decided ahead in one transaction, if the stored state is still the one
    /// it was decided on: no other transaction wrote since the batch decided before it, and
    /// nothing dropped the kept state meanwhile. Otherwise nothing is written, the kept
    /// state is dropped, and `nil` says the batch must be processed by `process`.
    ///
    /// A transient failure keeps the kept state: writing the same decisions again is right
    /// as long as the version still matches (checked again then).
    public func write(_ decided: DecidedBatch, on database: PostgresConnection) async throws -> BatchOutcome? {
        let outcome: BatchOutcome?
        do {
            outcome = try await database.transaction { connection in
                try await Self.takeProcessingLock(on: connection, logger: logger)
                let versionAtStart = try await StateVersion.read(on: connection)
                guard versionAtStart == decided.expectedVersion, keeper.isCurrent(decided.generation) else { return nil }
                var total = decided.timing
                let writing = ContinuousClock.now
                for segment in decided.segments {
                    try await store.store(segment.writes.changes, from: segment.state, on: connection)
                    try await segment.writes.flush(on: connection)
                    total = total + segment.writes.outcome
                }
                total.writeTime = .now - writing
                total.stateLoads = decided.prepared.stateLoads
                total.residentLoads = total.stateLoads
                total.decidedAhead = 1
                if try await StateVersion.markWritten(on: connection) != versionAtStart + 1 {
                    // Another writer that does not take the processing lock committed meanwhile.
                    keeper.drop()
                }
                return total
            }
        } catch  where !FailureClassification.isTransient(error) {
            keeper.drop()
            throw error
        }
        if outcome == nil {
            keeper.drop()
            logger.info("the stored state changed since the batch was decided; processing it again")
        }
        return outcome
    }

    /// The resident state to decide this batch on: the one kept, if nobody wrote since the
    /// batch that left it; a fresh one read whole, if nobody wrote since this processor's
    /// last batch (a lone worker: reading everything once pays off); else none, and each
    /// segment reads its slice from PostgreSQL (several writers: a whole read would be
    /// stale at the next batch).
    ///
    /// The kept one is taken out of the keeper (and given back only if the transaction
    /// commits), so that it is the only reference to its storage and changing it copies
    /// nothing.
    private func residentState(storedVersion: Int64, on connection: PostgresConnection) async throws -> ResidentState? {
        var kept = keeper.take()
        guard keepsResidentState, let lastVersion = kept.version, lastVersion == storedVersion else { return nil }
        if let resident = kept.resident.take() { return resident }
        let started = ContinuousClock.now
        var resident = ResidentState(try await store.loadResident(on: connection))
        let processed = try await store.loadProcessedEventFilter(on: connection)
        resident.knowProcessedEvents(processed)
        logger.info(
            "resident state read",
            metadata: [
                "clsms": "\(resident.state.clsms.count)", "sismProposals": "\(resident.state.sismProposals.count)",
                "communes": "\(resident.state.reference.communes.count)", "processedEvents": "\(processed.count)",
                "ms": "\((ContinuousClock.now - started).wholeNanoseconds / 1_000_000)",
            ])
        return resident
    }

    /// A segment's slice: from the resident state and the rows it does not hold, or all from
    /// PostgreSQL.
    private func load(
        _ requirements: StateRequirements, resident: ResidentState?,
        on connection: PostgresConnection
    ) async throws -> HubState {
        guard let resident else { return try await store.load(requirements, on: connection) }
        var lookUp = requirements
        lookUp.events = resident.processedEventsToLookUp(requirements.events)
        return resident.slice(requirements, completedWith: try await store.loadNonResident(lookUp, on: connection))
    }

    /// Writes what `writes` collected (domain rows from `state`, inbox, event log, outbox,
    /// dead letters), applies its changes to `resident`, and starts a new collection;
    /// returns the outcome counted so far.
    private func flush(
        _ writes: inout BatchWrites, state: HubState, resident: inout ResidentState?,
        on connection: PostgresConnection
    ) async throws -> BatchOutcome {
        let writing = ContinuousClock.now
        try await store.store(writes.changes, from: state, on: connection)
        try await writes.flush(on: connection)
        resident?.apply(writes.stateChanges)
        var outcome = writes.outcome
        outcome.writeTime = .now - writing
        writes = BatchWrites()
        return outcome
    }

    /// Dead-letters one record as `internal` (processing it failed for a reason that is
    /// neither the record's fault nor transient), in a transaction of its own.
    public func deadLetterAsInternal(_ message: InboundRecord, reason: String, on database: PostgresConnection) async throws {
        try await database.transaction { connection in
            var writes = BatchWrites()
            writes.deadLetter(message, EventRejection(code: .internal, message: reason))
            try await writes.flush(on: connection)
        }
    }

    private func decode(_ message: InboundRecord) -> PreparedBatch.Entry {
        do {
            let decoded = try decoder.decodeForEventLog(
                topic: message.topic, key: message.key, headers: message.headers,
                value: message.value)
            return .decoded(decoded.event, message, canonicalData: decoded.canonicalData)
        } catch {
            return .rejected(error, message)
        }
    }
}
