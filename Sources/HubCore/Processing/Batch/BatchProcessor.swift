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
            // One state load for the whole batch: the union of every event's requirements.
            // Events are then decided and applied in order on that state in memory, so an
            // event sees what the earlier ones of the batch changed (requirements depend on
            // the events alone, never on records, which is what makes this sound; see
            // `StateRequirements`).
            let requirements = entries.reduce(StateRequirements()) { union, entry in
                if case .decoded(let event, _) = entry { return union.union(engine.requirements(for: event)) }
                return union
            }
            var state = try await store.load(requirements, on: connection)
            var writes = BatchWrites()
            for entry in entries {
                switch entry {
                case .decoded(let event, let message):
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
            try await store.store(writes.changes, from: state, on: connection)
            try await writes.flush(on: connection)
            return writes.outcome
        }
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
