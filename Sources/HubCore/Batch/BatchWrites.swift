import Foundation
import HubDomain
import HubPostgres

/// The rows one batch adds besides the domain records: inbox, event log, outbox, dead
/// letters. Collected while deciding, written with a few multi-row statements.
struct BatchWrites {
    /// The rows the decisions touched, written from the state they were applied to.
    private(set) var changes = StateChangeSet()
    /// The decisions' changes in order, for the processor's `ResidentState`.
    private(set) var stateChanges: [StateChange] = []
    var outcome = BatchOutcome()
    private var inbox: [[PostgresValue]] = []
    private var eventLog: [[PostgresValue]] = []
    private var outbox: [OutboxRecord] = []
    private var deadLetters: [(message: InboundRecord, code: DeadLetterCode, reason: String)] = []

    /// Notes a decision's `changes`, already applied to `state`.
    mutating func note(_ changes: [StateChange], appliedTo state: HubState) {
        self.changes.note(changes, appliedTo: state)
        stateChanges += changes
    }

    /// `canonicalData` is the payload as the event log stores it (see
    /// `InboundDecoder.decodeForEventLog`).
    mutating func record(_ decision: Decision, of event: DecodedEvent, canonicalData: [UInt8], from message: InboundRecord) {
        outcome.count(message.topic, decision.outcome.rawValue)
        switch decision.outcome {
        case .duplicate:
            outcome.duplicates += 1
            return
        case .stale:
            outcome.stale += 1
        case .applied:
            outcome.applied += 1
        }
        let position: [PostgresValue] = [.text(message.topic), .int(Int64(message.partition)), .int(message.offset)]
        inbox.append([.text(event.identity.source), .text(event.identity.id)] + position + [.text(decision.outcome.rawValue)])
        eventLog.append(
            [
                .text(event.identity.source), .text(event.identity.id), .text(event.topic.eventType),
                .text(event.time.text), .text(event.time.text),
            ] + position
                + [
                    message.keyString.map(PostgresValue.text) ?? .null,
                    .json(String(decoding: canonicalData, as: UTF8.self)),
                ])
        for notification in decision.notifications {
            outbox.append(
                OutboxRecord(
                    notificationId: UUID(canonicalText: notification.notificationId)!,
                    message: notification.outboundRecord()))
        }
        outcome.notifications += decision.notifications.count
    }

    mutating func deadLetter(_ message: InboundRecord, _ error: any Error) {
        let rejection =
            (error as? EventRejection)
            ?? EventRejection(code: .internal, message: "processing failed: \(error)")
        deadLetters.append((message, rejection.code, rejection.headerMessage()))
        outcome.deadLetters[rejection.code, default: 0] += 1
        outcome.count(message.topic, "deadletter_" + rejection.code.rawValue)
    }

    func flush(on connection: PostgresConnection) async throws {
        // COPY rather than INSERT … ON CONFLICT DO NOTHING: a fraction of the server's work
        // for hundreds of rows. No conflict can happen: these rows are written only for
        // events the inbox did not hold when this transaction, holding the processing
        // lock, read it (duplicates are counted, not recorded). Were one to happen anyway,
        // the batch would fail and be retried record by record, never silently skipped.
        if !inbox.isEmpty {
            try await connection.copy(
                into: "hub_inbox",
                columns: ["event_source", "event_id", "topic", "kafka_partition", "kafka_offset", "outcome"],
                rows: inbox)
        }
        if !eventLog.isEmpty {
            try await connection.copy(
                into: "hub_event_log",
                columns: [
                    "event_source", "event_id", "event_type", "ce_time", "event_time", "topic", "kafka_partition",
                    "kafka_offset", "kafka_key", "data",
                ],
                rows: eventLog)
        }
        // The notifications of events processed for the first time are new by construction
        // (their ids derive from the event); a dead letter's may not be (a redelivered
        // record is dead-lettered again), so those go through the INSERT that skips them.
        try await OutboxWriter.append(outbox, on: connection, knownNew: true)
        var deadLetterRecords: [OutboxRecord] = []
        for entry in deadLetters {
            try await DeadLetterStore.record(entry.message, code: entry.code, reason: entry.reason, on: connection)
            deadLetterRecords.append(DeadLetter.outboxRecord(from: entry.message, code: entry.code, reason: entry.reason))
        }
        try await OutboxWriter.append(deadLetterRecords, on: connection)
    }
}
