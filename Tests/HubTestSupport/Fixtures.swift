import Foundation
import Testing

@testable import HubDomain

/// Shared test data: the documented examples (read from docs/ through #filePath) and small
/// builders that keep the rule tests readable.
package enum Fixture {
    /// The repository root, from this file's path (Tests/HubTestSupport/Fixtures.swift).
    package static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    package static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: repositoryRoot.appendingPathComponent(relativePath)))
    }

    package static func exampleEventFiles() throws -> [String] {
        let folder = repositoryRoot.appendingPathComponent("docs/examples/events")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// An example event file as a structured-mode record, decoded through the pipeline.
    package static func exampleEvent(_ file: String) throws -> DecodedEvent {
        let value = try bytes("docs/examples/events/" + file)
        let headers = [RecordHeader(name: "content-type", string: "application/cloudevents+json")]
        let envelope = try CloudEventRecordCodec.decode(headers: headers, value: value)
        return try InboundDecoder().decode(topic: topic(ofType: envelope.type), headers: headers, value: value)
    }

    package static func topic(ofType type: String) -> String {
        InboundTopic(eventType: type)?.rawValue ?? "unknown"
    }

    package static func demoReference() throws -> ReferenceDataDocument {
        try ReferenceDataDocument.decode(try bytes("docs/examples/reference-demo.json"))
    }

    package static func demoState() throws -> HubState {
        HubState(reference: try demoReference())
    }

    // MARK: builders

    package static func event(
        _ payload: InboundEvent, id: String, source: String = "urn:test", time: String = "2026-09-01T10:00:00+02:00"
    ) -> DecodedEvent {
        DecodedEvent(identity: EventIdentity(source: source, id: id), time: Timestamp(time)!, event: payload)
    }

    package static let fullGovernance: [GovernanceMember] = [.elected, .adultPsychiatry, .childPsychiatry, .users, .carers]

    package static func clsm(
        _ id: String, communes: [String], status: ClsmStatus = .active, members: [GovernanceMember] = fullGovernance,
        workingGroups: [ThemeCode]? = nil, name: String? = nil, region: String = "11"
    ) -> ClsmDeclared {
        ClsmDeclared(
            clsmId: id, name: name ?? "CLSM \(id)", region: region, status: status,
            scale: communes.count > 1 ? .intercommunal : .communal, communes: communes,
            governance: .init(copil: true, plenaryAssembly: true, members: members), workingGroups: workingGroups)
    }

    package static func proposal(
        _ id: String, clsm: String, commune: String, startsAt: String = "2026-10-07T14:00:00+02:00",
        endsAt: String = "2026-10-07T16:00:00+02:00", edition: Int = 2026, format: SismFormat = .conference,
        qpv: String? = nil, cancelled: Bool? = nil, title: String? = nil
    ) -> SismEventProposed {
        SismEventProposed(
            proposalId: id, clsmId: clsm, edition: edition, title: title ?? "Événement \(id)", format: format,
            startsAt: Timestamp(startsAt)!, endsAt: Timestamp(endsAt)!, commune: commune, venue: "Salle municipale",
            audience: "grand public", qpv: qpv, cancelled: cancelled)
    }

    package static func ptsm(
        _ id: String, departements: [String] = ["93"], version: Int, priorities: [ThemeCode], region: String = "11"
    ) -> PtsmDiagnosticPublished {
        PtsmDiagnosticPublished(
            ptsmId: id, name: "PTSM \(id)", region: region, departements: departements, version: version,
            publishedOn: CalendarDate("2026-09-10")!, priorities: priorities)
    }

    package static func action(
        _ id: String, qpv: String, by kind: RecorderKind, _ recorder: String, participants: Int = 10
    ) -> QpvActionRecorded {
        QpvActionRecorded(
            actionId: id, qpv: qpv, recordedBy: .init(kind: kind, id: recorder), type: .awareness, title: "Action \(id)",
            date: CalendarDate("2026-10-10")!, participants: participants)
    }
}

/// Runs events through the engine, folding the state.
package struct Harness {
    package var state: HubState
    package let engine = RulesEngine()
    private var counter = 0

    package init(_ state: HubState) {
        self.state = state
    }

    package static func demo() throws -> Harness { Harness(try Fixture.demoState()) }

    /// Processes a payload as a new event (fresh id) and returns the decision.
    @discardableResult
    package mutating func send(
        _ payload: InboundEvent, time: String = "2026-09-01T10:00:00+02:00", source: String = "urn:test"
    ) throws -> Decision {
        counter += 1
        return try send(Fixture.event(payload, id: "evt-\(counter)", source: source, time: time))
    }

    @discardableResult
    package mutating func send(_ event: DecodedEvent) throws -> Decision {
        try engine.process(event, state: &state)
    }

    /// The rejection an event gets, if any (state unchanged).
    package func rejection(_ payload: InboundEvent) -> EventRejection? {
        do {
            _ = try engine.decide(Fixture.event(payload, id: "probe"), in: state)
            return nil
        } catch {
            return error
        }
    }
}

extension Decision {
    /// "rule -> kind:id" lines, handy for table-like expectations.
    package var routing: [String] { notifications.map { "\($0.rule.rawValue) -> \($0.recipient)" } }

    package func notifications(_ rule: NotificationRule) -> [HubNotification] { notifications.filter { $0.rule == rule } }

    package func only(_ rule: NotificationRule, to recipient: Recipient) throws -> HubNotification {
        let found = notifications.filter { $0.rule == rule && $0.recipient == recipient }
        try #require(found.count == 1, "expected one \(rule.rawValue) to \(recipient), got \(routing)")
        return found[0]
    }

    /// Changes other than the processed marker.
    package var domainChanges: [StateChange] {
        changes.filter { if case .markProcessed = $0 { return false } else { return true } }
    }
}

/// Catches the rejection thrown by `body` (nil when it succeeds; any other error is an issue).
package func rejection<T>(_ body: () throws -> T) -> EventRejection? {
    do {
        _ = try body()
        return nil
    } catch let rejection as EventRejection {
        return rejection
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
