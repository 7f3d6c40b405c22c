import HubTestSupport
import Testing

@testable import HubDomain

/// The examples under docs/examples are part of the contract: they must decode, and
/// replayed in order on the demo reference data they must produce the documented routing.
@Suite("Documented examples")
struct ExamplesTests {
    @Test("every example event decodes through the pipeline, in structured and binary mode")
    func decode() throws {
        let files = try Fixture.exampleEventFiles()
        #expect(files.count >= 9)
        for file in files {
            let event = try Fixture.exampleEvent(file)
            let envelope = try CloudEventRecordCodec.decode(
                headers: [RecordHeader(name: "content-type", string: "application/cloudevents+json")],
                value: try Fixture.bytes("docs/examples/events/" + file))
            let binary = try InboundDecoder().decode(
                topic: event.topic.rawValue, headers: CloudEventRecordCodec.binaryHeaders(for: envelope), value: envelope.data)
            #expect(binary == event, "\(file)")
        }
    }

    @Test("the example story, replayed on the demo data, gives the documented notifications")
    func story() throws {
        var hub = try Harness.demo()
        var routing: [String: [String]] = [:]
        for file in try Fixture.exampleEventFiles() {
            routing[file] = try hub.send(try Fixture.exampleEvent(file)).routing
        }
        #expect(
            routing["01-clsm-declared-saint-denis.json"] == [
                "clsm.registered -> ars:11", "clsm.governance.incomplete -> ars:11", "clsm.governance.incomplete -> clsm:clsm-saint-denis",
                "clsm.childPsychiatry.absent -> clsm:clsm-saint-denis", "cls.clsm.overlap -> cls:cls-plaine-commune",
                "asv.clsm.coversQpv -> asv:asv-saint-denis", "ars.qpv.withoutAsv -> ars:11",
            ])
        #expect(
            routing["02-clsm-declared-aubervilliers.json"] == [
                "clsm.registered -> ars:11", "cls.clsm.overlap -> cls:cls-plaine-commune", "ars.qpv.withoutAsv -> ars:11",
                "clsm.territory.overlap -> ars:11", "clsm.territory.overlap -> clsm:clsm-aubervilliers",
                "clsm.territory.overlap -> clsm:clsm-saint-denis",
            ])
        #expect(
            routing["03-ptsm-diagnostic-published-93.json"] == [
                "ars.ptsm.published -> ars:11", "ptsm.diagnostic.available -> clsm:clsm-aubervilliers",
                "ptsm.diagnostic.available -> clsm:clsm-saint-denis", "ars.ptsm.priorityUncovered -> ars:11",
            ])
        #expect(
            routing["04-sism-event-proposed-in-qpv.json"] == [
                "sism.proposal.accepted -> clsm:clsm-saint-denis", "sism.programme.updated -> ars:11",
                "asv.sism.inQpv -> asv:asv-saint-denis",
            ])
        #expect(
            routing["05-sism-event-proposed-aubervilliers.json"] == [
                "sism.proposal.accepted -> clsm:clsm-saint-denis", "sism.programme.updated -> ars:11",
            ])
        #expect(
            routing["06-sism-event-proposed-clash.json"] == [
                "sism.proposal.accepted -> clsm:clsm-aubervilliers", "sism.programme.updated -> ars:11",
                "sism.schedule.clash -> clsm:clsm-aubervilliers", "sism.schedule.clash -> clsm:clsm-saint-denis",
            ])
        #expect(routing["07-sism-event-proposed-outside-window.json"] == ["sism.proposal.rejected -> clsm:clsm-aubervilliers"])
        #expect(
            routing["08-qpv-action-recorded.json"] == [
                "asv.qpv.actionRecorded -> asv:asv-saint-denis", "cls.qpv.actionRecorded -> cls:cls-plaine-commune",
            ])
        #expect(
            routing["09-qpv-action-outside-territory.json"] == [
                "asv.qpv.actionRecorded -> asv:asv-bobigny", "cls.qpv.actionRecorded -> cls:cls-bobigny",
                "ars.qpv.actionOutsideTerritory -> ars:11",
            ])
        #expect(
            routing["10-clsm-activity-reported-saint-denis.json"] == [
                "ars.activity.reported -> ars:11", "ars.coordinator.vacant -> ars:11",
                "clsm.quatreQuarts.notInvolved -> clsm:clsm-saint-denis",
            ])
        #expect(
            routing["11-clsm-activity-reported-aubervilliers.json"] == [
                "ars.activity.reported -> ars:11", "clsm.governance.inactive -> ars:11",
                "clsm.governance.inactive -> clsm:clsm-aubervilliers",
            ])
    }
}
