import Foundation
import HubSimulation
import HubTestSupport
import Testing

@testable import HubDomain

@Suite("Notifications: deterministic ids and binary-mode encoding")
struct NotificationTests {
    @Test("UUID v5 matches the RFC test vector and the documented namespace derivation")
    func uuidV5() {
        #expect(UUIDv5.string(namespace: UUIDv5.dnsNamespace, name: "python.org") == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
        #expect(UUIDv5.make(namespace: UUIDv5.urlNamespace, name: "urn:clsm-hub:notification") == UUIDv5.notificationNamespace)
    }

    @Test("the id is UUID v5 of source|id|rule|recipientKind:recipientId")
    func idName() {
        let cause = EventIdentity(source: "urn:clsm-tool:saint-denis", id: "e-1")
        #expect(
            HubNotification.idName(cause: cause, rule: .clsmRegistered, recipient: .ars("11"))
                == "urn:clsm-tool:saint-denis|e-1|clsm.registered|ars:11")
        let id = HubNotification.makeId(cause: cause, rule: .clsmRegistered, recipient: .ars("11"))
        #expect(id == UUIDv5.string(namespace: UUIDv5.notificationNamespace, name: "urn:clsm-tool:saint-denis|e-1|clsm.registered|ars:11"))
        #expect(id != HubNotification.makeId(cause: cause, rule: .clsmRegistered, recipient: .clsm("11")))
        #expect(Array(id)[14] == "5")
    }

    @Test("a notification encodes to a binary-mode record and decodes back")
    func kafkaRecord() throws {
        var hub = try Harness.demo()
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"])), time: "2026-09-01T09:00:00+02:00")
        let notification = try decision.only(.clsmRegistered, to: .ars("11"))
        let record = notification.outboundRecord()
        #expect(record.topic == "hub.notifications")
        #expect(record.key == Array("ars:11".utf8))
        let headers = Dictionary(uniqueKeysWithValues: record.headers.map { ($0.name, $0.stringValue ?? "") })
        #expect(
            headers == [
                "ce_specversion": "1.0", "ce_id": notification.notificationId, "ce_source": "urn:clsm-hub",
                "ce_type": "hub.notification.v1", "ce_time": "2026-09-01T09:00:00+02:00", "content-type": "application/json",
            ])
        let payload = try JSONParser.parse(record.value)
        #expect(
            Set(payload.objectValue!.keys) == [
                "notificationId", "rule", "severity", "recipient", "region", "cause", "subject", "message", "data",
            ])
        #expect(payload["cause"] == ["topic": "clsm.declared", "source": "urn:test", "id": "evt-1"])
        let back = try HubNotification.decode(try CloudEventRecordCodec.decode(headers: record.headers, value: record.value))
        #expect(back == notification)
    }

    @Test("payload bytes are the canonical bytes of the payload value, for every notification of a synthetic stream")
    func payloadBytesAreCanonical() throws {
        let territory = SyntheticTerritory.make(seed: 9, clsmCount: 40, qpvCount: 200)
        var state = HubState(reference: territory.reference)
        let engine = RulesEngine()
        var notifications: [HubNotification] = []
        for event in SyntheticEventStream.decodedEvents(territory: territory, seed: 9, count: 2_000) {
            guard let decision = try? engine.decide(event, in: state) else { continue }
            state.apply(decision.changes)
            notifications += decision.notifications
        }
        #expect(Set(notifications.map(\.rule)).count >= 8)
        var awkward = try #require(notifications.first)
        awkward.message = "« guillemets » \"quotes\" back\\slash \n newline \u{01}"
        awkward.subject = NotificationSubject(kind: "k\"ind", id: "i\td")
        awkward.data = ["z": [1, 2.5, "x"], "a": .null, "é": ["nested": true]]
        for notification in notifications + [awkward] {
            #expect(notification.payloadBytes() == notification.payload.canonicalBytes())
        }
    }

    @Test("within a decision, ids are distinct and the order is table order then recipient")
    func distinct() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"])))
        try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93001"])))
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("c", communes: ["93066", "93001"], members: [.elected])))
        let ids = decision.notifications.map(\.notificationId)
        #expect(Set(ids).count == ids.count)
        let keys = decision.notifications.map { ($0.rule.order, $0.recipient) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("every rule has a severity and belongs to one inbound topic")
    func ruleTable() {
        #expect(NotificationRule.allCases.count == 24)
        #expect(NotificationRule.allCases.filter { $0.causeTopic == .clsmActivityReported }.count == 4)
        #expect(NotificationRule.allCases.filter { $0.causeTopic == .clsmDeclared }.count == 9)
        #expect(NotificationRule.sismProposalRejected.severity == .action)
        #expect(Set(NotificationRule.allCases.map(\.severity)) == Set(Severity.allCases))
    }
}
