import Foundation
import Testing

@testable import HubCore
@testable import HubDomain
@testable import HubKafka

/// Issue 17, part 2: the per-region notification topics. Which copies a relayed batch sends,
/// and how far their delivery reports move the relay, without a broker.
@Suite("Regional notification topics")
struct RegionalTopicsTests {
    static let notifications = HubTopics.notifications
    static let tooLarge = RelayProgressTests.tooLarge
    static let transport = RelayProgressTests.transport

    static func value(region: String?) -> [UInt8] {
        // The shape of a notification's canonical value: "data" (which may hold a "region" of
        // its own, as sism.programme.updated's does) sorts before the top-level "region".
        let regionMember = region.map { #","region":"\#($0)""# } ?? ""
        return Array(#"{"cause":{"id":"e1"},"data":{"region":"99"},"message":"m"\#(regionMember),"rule":"clsm.registered"}"#.utf8)
    }

    static func row(_ sequence: Int64, region: String?, topic: String = notifications) -> OutboxRelay.OutboxRow {
        OutboxRelay.OutboxRow(
            position: OutboxPosition(transaction: 9, sequence: sequence),
            message: OutboundRecord(
                topic: topic, key: Array("ars:\(region ?? "x")".utf8), value: value(region: region),
                headers: [RecordHeader(name: "ce_id", value: Array("id-\(sequence)".utf8))]))
    }

    static func delivered(_ topic: String) -> Result<DeliveryReport, KafkaError> {
        .success(DeliveryReport(topic: topic, partition: 0, offset: 0))
    }

    @Test("topic names: letters and digits only, at most 32; the region of INSEE codes and nothing that could nest or inject")
    func topicNames() {
        #expect(HubTopics.regionalNotifications(region: "11") == "hub.notifications.11")
        #expect(HubTopics.regionalNotifications(region: "84") == "hub.notifications.84")
        #expect(HubTopics.regionalNotifications(region: "06", base: "t-1") == "t-1.06")
        for bad in ["", "1.1", "1_1", "a-b", "11 ", "é", "../x", "11\u{0}", String(repeating: "9", count: 33), "*"] {
            #expect(HubTopics.regionalNotifications(region: bad) == nil, "\(bad.debugDescription)")
        }
        #expect(HubTopics.unusableRegions(["11", "1.1", "84"]) == ["1.1"])
        let names = HubTopics.specifications(regions: ["11", "84", "x.y"]).map(\.name)
        #expect(names.contains("hub.notifications.11") && names.contains("hub.notifications.84"))
        #expect(!names.contains { $0.hasSuffix("x.y") })
        #expect(HubTopics.specifications().count == 7, "no region, no regional topic: the seven contract topics")
    }

    @Test("the region is the value's top-level region, not one inside data")
    func regionFromValue() {
        #expect(NotificationRegion.read(fromValue: Self.value(region: "11")) == "11")
        #expect(NotificationRegion.read(fromValue: Self.value(region: nil)) == nil)
        #expect(NotificationRegion.read(fromValue: Array("not json".utf8)) == nil)
    }

    @Test("off: one record per row, as before; on: each notification followed by its byte-identical regional copy")
    func plan() {
        let rows = [Self.row(1, region: "11"), Self.row(2, region: nil, topic: "hub.deadletter"), Self.row(3, region: "84")]
        let off = RelayPlan(
            rows: rows, targets: RelayPlan.regionalTargets(of: rows, enabled: false, notificationsTopic: Self.notifications))
        #expect(off.sends.map(\.record) == rows.map(\.message))

        let targets = RelayPlan.regionalTargets(of: rows, enabled: true, notificationsTopic: Self.notifications)
        #expect(targets == [.topic("hub.notifications.11"), nil, .topic("hub.notifications.84")])
        #expect(RelayPlan.topics(in: targets) == ["hub.notifications.11", "hub.notifications.84"])
        let on = RelayPlan(rows: rows, targets: targets)
        #expect(on.sends.map(\.row) == [0, 0, 1, 2, 2])
        #expect(
            on.sends.map(\.record.topic) == [
                "hub.notifications", "hub.notifications.11", "hub.deadletter", "hub.notifications", "hub.notifications.84",
            ])
        for (index, send) in on.sends.enumerated() where send.record.topic.hasPrefix("hub.notifications.") {
            let original = on.sends[index - 1].record
            #expect(send.record.key == original.key)
            #expect(send.record.value == original.value)
            #expect(send.record.headers == original.headers, "same headers, so the same ce_id")
            #expect(send.record.partition == nil)
        }
    }

    @Test("a row is passed only once both copies are acknowledged; a regional copy that fails for now stops the position")
    func bothCopiesAcknowledged() {
        let rows = [Self.row(1, region: "11"), Self.row(2, region: "11")]
        let plan = RelayPlan(
            rows: rows, targets: RelayPlan.regionalTargets(of: rows, enabled: true, notificationsTopic: Self.notifications))
        let allDelivered = RelayProgress(rows: rows, outcomes: plan.outcomes(of: plan.sends.map { Self.delivered($0.record.topic) }))
        #expect(allDelivered.reached?.sequence == 2)
        #expect(allDelivered.delivered == 2)
        #expect(allDelivered.deliveredTopics == ["hub.notifications": 2, "hub.notifications.11": 2])

        // Row 2's regional copy is not acknowledged: the position stays on row 1, row 2 (both
        // of its copies) is sent again.
        let results = [Self.delivered("a"), Self.delivered("b"), Self.delivered("c"), .failure(Self.transport)]
        let progress = RelayProgress(rows: rows, outcomes: plan.outcomes(of: results))
        #expect(progress.reached?.sequence == 1)
        #expect(progress.delivered == 1)
        #expect(progress.failures.map(\.row.position.sequence) == [2])
        #expect(progress.parked.isEmpty)
    }

    @Test("a regional copy refused for good, or whose topic is missing, parks its row with the reason; the rows behind go on")
    func refusedCopyParks() {
        let rows = [Self.row(1, region: "11"), Self.row(2, region: "84"), Self.row(3, region: "11")]
        let plan = RelayPlan(
            rows: rows, targets: RelayPlan.regionalTargets(of: rows, enabled: true, notificationsTopic: Self.notifications),
            unavailable: ["hub.notifications.84": "topic hub.notifications.84 does not exist and the relay could not create it"])
        // Row 2's copy is not sent at all: its topic is unavailable.
        #expect(
            plan.sends.map(\.record.topic) == [
                "hub.notifications", "hub.notifications.11", "hub.notifications", "hub.notifications", "hub.notifications.11",
            ])
        // Row 3's regional copy is too large for its topic.
        let results = [Self.delivered("a"), Self.delivered("b"), Self.delivered("c"), Self.delivered("d"), .failure(Self.tooLarge)]
        let progress = RelayProgress(rows: rows, outcomes: plan.outcomes(of: results))
        #expect(progress.reached?.sequence == 3)
        #expect(progress.delivered == 1)
        #expect(progress.parked.map(\.row.position.sequence) == [2, 3])
        #expect(progress.parked.map(\.topic) == ["hub.notifications.84", "hub.notifications.11"])
        #expect(progress.parked[0].reason.contains("does not exist"))
        #expect(progress.parked[0].reason.contains("delivered to hub.notifications"), "\(progress.parked[0].reason)")
        #expect(progress.parked[1].reason.contains("Message size too large"))
        #expect(progress.deliveredTopics == ["hub.notifications": 3, "hub.notifications.11": 1])
    }

    @Test("a notification whose region cannot name a topic is delivered on hub.notifications and parked for its regional copy")
    func unroutableRegion() {
        let rows = [Self.row(1, region: "1.1"), Self.row(2, region: nil)]
        let targets = RelayPlan.regionalTargets(of: rows, enabled: true, notificationsTopic: Self.notifications)
        let plan = RelayPlan(rows: rows, targets: targets)
        #expect(plan.sends.map(\.record.topic) == ["hub.notifications", "hub.notifications"])
        let progress = RelayProgress(rows: rows, outcomes: plan.outcomes(of: [Self.delivered("a"), Self.delivered("b")]))
        #expect(progress.reached?.sequence == 2)
        #expect(progress.parked.count == 2)
        #expect(progress.parked[0].reason.contains("cannot be part of a topic name"))
        #expect(progress.parked[1].reason.contains("has no region"))
    }

    @Test("a regional topic a delivery report says is unknown is made sure of again")
    func unknownTopicForgotten() {
        var registry = RegionalTopicsRegistry()
        registry.markReady(["hub.notifications.11", "hub.notifications.84"])
        let unknown = KafkaError(kind: .deliveryFailed, code: 3, operation: "deliver", message: "Unknown topic or partition")
        #expect(unknown.isUnknownTopic)
        registry.forgetUnknown(
            in: [[.delivered(topic: "hub.notifications"), .failed(topic: "hub.notifications.84", error: unknown)]],
            among: ["hub.notifications.11", "hub.notifications.84"])
        #expect(registry.ready == ["hub.notifications.11"])
    }
}
