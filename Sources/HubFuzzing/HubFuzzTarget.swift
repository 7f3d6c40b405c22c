import Foundation
import HubCore
import HubDomain
import HubPostgres

/// A property of the decide path that an input broke (a crash or trap is the other kind of
/// finding; it needs no type).
public struct FuzzFinding: Error, CustomStringConvertible {
    public var description: String
}

/// The per-input function of the fuzz target: the pure part of what a worker does with a
/// batch of records (`BatchProcessor`: decode, decide on the loaded slice, apply, build the
/// event-log row, the outbox records and the dead letters), on the demo reference data with
/// the documented example events already applied, so the rules start from CLSMs, PTSMs,
/// SISM proposals and QPV actions rather than from nothing.
///
/// Rejections are normal outcomes. What must hold for every input, else `run` throws:
/// - a rejection is never `internal` (the core never sets it) and its texts have no NUL
///   byte nor any other control character (they go into Kafka headers and PostgreSQL text
///   columns, which refuse NUL; `EventRejection` escapes them with `StorableText`);
/// - every notification id is a canonical UUID (the outbox writer force-unwraps it);
/// - the decision on the slice `requirements(for:)` names equals the decision on the whole
///   state (the contract of `StateRequirements`: workers decide on the slice they load);
/// - the payload stored in the event log decodes back to the same event (replays and read
///   model rebuilds read it), and the identity, time and key stored beside it are storable
///   text (`StorableText`: no control character, so no NUL for PostgreSQL);
/// - a `personal_data` dead letter holds nothing the personal-data guard finds (its masked
///   copy, `DeadLetter.kept`).
public struct HubFuzzTarget: Sendable {
    /// The state every input starts from.
    public let initialState: HubState
    private let engine = RulesEngine()
    private let decoder = InboundDecoder()
    private let smallDecoder = InboundDecoder(maxRecordBytes: 256)

    public init(initialState: HubState) {
        self.initialState = initialState
    }

    /// Demo reference data plus the example events, read from the repository's docs/.
    public init(repository: RepositoryFiles = RepositoryFiles()) throws {
        var state = HubState(reference: try ReferenceDataDocument.decode(try repository.demoReference()))
        let engine = RulesEngine()
        for record in try repository.exampleRecords(mode: .structured) {
            let event = try InboundDecoder().decode(topic: record.topic.rawValue, headers: record.headers, value: record.value)
            _ = try engine.process(event, state: &state)
        }
        self.init(initialState: state)
    }

    /// What became of each record of an input, in order: a decision's outcome, or the
    /// rejection's code.
    public enum RecordOutcome: Sendable, Hashable {
        case decided(Decision.Outcome, notifications: Int)
        case rejected(DeadLetterCode)
    }

    /// Runs one fuzz input: its records in order, each accepted decision applied before the
    /// next record is decided.
    @discardableResult
    public func run(_ input: [UInt8]) throws(FuzzFinding) -> [RecordOutcome] {
        var state = initialState
        var changed = StateChangeSet()
        var outcomes: [RecordOutcome] = []
        for (offset, record) in FuzzFraming.parse(input).enumerated() {
            let message = InboundRecord(
                topic: record.topic.rawValue, partition: 0, offset: Int64(offset), key: record.key,
                value: record.value, headers: record.headers, timestampMilliseconds: nil)
            outcomes.append(
                try process(
                    message, decoder: record.smallSizeLimit ? smallDecoder : decoder, state: &state,
                    changed: &changed))
        }
        return outcomes
    }

    private func process(
        _ message: InboundRecord, decoder: InboundDecoder, state: inout HubState,
        changed: inout StateChangeSet
    ) throws(FuzzFinding) -> RecordOutcome {
        do {
            let (event, canonicalData) = try decoder.decodeForEventLog(
                topic: message.topic, key: message.key, headers: message.headers, value: message.value)
            try checkEventLogPayload(canonicalData, of: event)
            var slice = state.slice(engine.requirements(for: event))
            let decision = try engine.decide(event, in: slice)
            try checkSameDecision(decision, event: event, onWhole: state)
            state.apply(decision.changes)
            slice.apply(decision.changes)
            changed.note(decision.changes, appliedTo: slice)
            try buildWrites(decision, of: event, canonicalData: canonicalData, from: message)
            return .decided(decision.outcome, notifications: decision.notifications.count)
        } catch let rejection as EventRejection {
            try check(rejection)
            let letter = DeadLetter.outboxRecord(from: message, code: rejection.code, reason: rejection.headerMessage())
            if rejection.code == .personalData { try checkMasked(letter.message) }
            return .rejected(rejection.code)
        } catch let finding as FuzzFinding {
            throw finding
        } catch {
            throw FuzzFinding(description: "unexpected error \(type(of: error)): \(error)")
        }
    }

    /// What `BatchWrites.record` builds from a decision: the event-log row's texts and one
    /// outbox record per notification (Kafka key, headers and value).
    private func buildWrites(
        _ decision: Decision, of event: DecodedEvent, canonicalData: [UInt8],
        from message: InboundRecord
    ) throws(FuzzFinding) {
        guard decision.outcome != .duplicate else { return }
        // The inbox and event-log rows' text columns (a key that is not UTF-8 is stored as NULL).
        let texts = [event.identity.source, event.identity.id, event.time.text] + (message.keyString.map { [$0] } ?? [])
        if let text = texts.first(where: { !StorableText.isStorable($0) }) {
            throw FuzzFinding(description: "the event log would store \(String(reflecting: text)), which holds a control character")
        }
        for notification in decision.notifications {
            guard let id = UUID(canonicalText: notification.notificationId) else {
                throw FuzzFinding(description: "notification id \(notification.notificationId) is not a canonical UUID")
            }
            _ = OutboxRecord(notificationId: id, message: notification.outboundRecord())
        }
    }

    /// A `personal_data` dead letter holds nothing the guard finds: no key, header name or
    /// value, string or member name of its value with personal data in it (the names of
    /// forbidden fields stay, their values masked).
    private func checkMasked(_ letter: OutboundRecord) throws(FuzzFinding) {
        let texts = (letter.keyString.map { [$0] } ?? []) + letter.headers.flatMap { [$0.name] + ($0.stringValue.map { [$0] } ?? []) }
        if let text = texts.first(where: { !PersonalDataPatterns.kinds(in: $0).isEmpty }) {
            throw FuzzFinding(description: "a personal_data dead letter keeps personal data in \(String(reflecting: text))")
        }
        if let json = try? JSONParser.parse(letter.value),
            let found = PersonalDataGuard().findings(in: json).first(where: { $0.reason != PersonalDataKind.field.reason })
        {
            throw FuzzFinding(description: "a personal_data dead letter keeps personal data in its value: \(found)")
        }
    }

    private func check(_ rejection: EventRejection) throws(FuzzFinding) {
        guard rejection.code != .internal else {
            throw FuzzFinding(description: "the core rejected with code internal: \(rejection)")
        }
        // NUL is what PostgreSQL refuses; `EventRejection` promises more (`StorableText`).
        let texts = [rejection.message] + rejection.violations.flatMap { [$0.path, $0.reason] }
        if texts.contains(where: { $0.utf8.contains(0) || !StorableText.isStorable($0) }) {
            throw FuzzFinding(description: "a rejection text holds a control character: \(rejection.debugDescription)")
        }
    }

    private func checkSameDecision(_ decision: Decision, event: DecodedEvent, onWhole state: HubState) throws(FuzzFinding) {
        let whole: Decision
        do {
            whole = try engine.decide(event, in: state)
        } catch {
            throw FuzzFinding(description: "decided on the slice, rejected on the whole state: \(error)")
        }
        guard whole == decision else {
            throw FuzzFinding(description: "the decision on the slice differs from the one on the whole state for \(event.identity)")
        }
    }

    private func checkEventLogPayload(_ canonicalData: [UInt8], of event: DecodedEvent) throws(FuzzFinding) {
        let stored: InboundEvent
        do {
            stored = try InboundEvent.strictDecode(try JSONParser.parse(canonicalData), topic: event.topic)
        } catch {
            throw FuzzFinding(description: "the event log payload of \(event.identity) does not decode again: \(error)")
        }
        guard stored == event.event else {
            throw FuzzFinding(description: "the event log payload of \(event.identity) decodes to another event")
        }
        _ = event.event.canonicalJSON()
    }
}

extension EventRejection {
    /// Escapes control characters, so that a finding's report is one readable line.
    fileprivate var debugDescription: String { String(reflecting: description) }
}
