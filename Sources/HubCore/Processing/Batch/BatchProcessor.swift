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

    public var decoder: InboundDecoder
    public var engine: RulesEngine
    public var store: StateStore
    public var logger: Logger

    public init(decoder: InboundDecoder = InboundDecoder(), engine: RulesEngine = RulesEngine(),
                store: StateStore = StateStore(), logger: Logger) {
        self.decoder = decoder
        self.engine = engine
        self.store = store
        self.logger = logger
    }

    /// Processes `messages` (in order) in one transaction on `database`.
    public func process(_ messages: [KafkaMessage], on database: PostgresConnection) async throws -> BatchOutcome {
        let entries = messages.map(decode)
        return try await database.transaction { connection in
            try await connection.execute("SELECT pg_advisory_xact_lock($1::integer, hashtext(current_schema()))",
                                         [.int(Self.processingLockKey)])
            let decoded: [DecodedEvent] = entries.compactMap {
                if case .decoded(let event, _) = $0 { return event } else { return nil }
            }
            // One state load per segment: a segment ends where an event needs a slice that
            // an earlier event of the batch changes the meaning of (see batchSegments).
            let segmentStarts = Set(engine.batchSegments(decoded).map(\.lowerBound))
            var outcome = BatchOutcome()
            var writes = BatchWrites()
            var state = HubState()
            var decodedIndex = 0
            for entry in entries {
                switch entry {
                case .decoded(let event, let message):
                    if segmentStarts.contains(decodedIndex) {
                        // Earlier segments' rows are written first, so this load sees them.
                        outcome = outcome + (try await flush(&writes, state: state, on: connection))
                        let segment = decodedIndex..<(segmentStarts.filter { $0 > decodedIndex }.min() ?? decoded.count)
                        let requirements = decoded[segment].reduce(into: StateRequirements()) { $0.formUnion(engine.requirements(for: $1)) }
                        state = try await store.load(requirements, on: connection)
                    }
                    decodedIndex += 1
                    do {
                        let decision = try engine.decide(event, in: state)
                        state.apply(decision.changes)
                        writes.changes.note(decision.changes, appliedTo: state)
                        writes.record(decision, of: event, from: message)
                    } catch {
                        writes.deadLetter(message, error)
                    }
                case .rejected(let rejection, let message):
                    writes.deadLetter(message, rejection)
                }
            }
            return outcome + (try await flush(&writes, state: state, on: connection))
        }
    }

    /// Writes what `writes` collected (domain rows from `state`, inbox, event log, outbox,
    /// dead letters) and starts a new collection; returns the outcome counted so far.
    private func flush(_ writes: inout BatchWrites, state: HubState, on connection: PostgresConnection) async throws -> BatchOutcome {
        try await store.store(writes.changes, from: state, on: connection)
        try await writes.flush(on: connection)
        let outcome = writes.outcome
        writes = BatchWrites()
        return outcome
    }

    /// Dead-letters one record as `internal` (processing it failed for a reason that is
    /// neither the record's fault nor transient), in a transaction of its own.
    public func deadLetterAsInternal(_ message: KafkaMessage, reason: String, on database: PostgresConnection) async throws {
        try await database.transaction { connection in
            var writes = BatchWrites()
            writes.deadLetter(message, EventRejection(code: .internal, message: reason))
            try await writes.flush(on: connection)
        }
    }

    enum Entry {
        case decoded(DecodedEvent, KafkaMessage)
        case rejected(EventRejection, KafkaMessage)
    }

    private func decode(_ message: KafkaMessage) -> Entry {
        do {
            return .decoded(try decoder.decode(topic: message.topic, key: message.key, headers: message.headers,
                                               value: message.value), message)
        } catch {
            return .rejected(error, message)
        }
    }
}
