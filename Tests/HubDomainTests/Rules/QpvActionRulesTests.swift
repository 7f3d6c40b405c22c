import HubTestSupport
import Testing

@testable import HubDomain

/// qpv.action.recorded: ASVs of the QPV, CLS of its commune, ARS when a CLSM acts outside
/// its territory.
@Suite("Rules: qpv.action.recorded")
struct QpvActionRulesTests {
    static func hub() throws -> Harness {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"])))
        try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93001"])))
        return hub
    }

    @Test(
        "an action in a QPV reaches its ASV and the CLS of its commune",
        arguments: [
            (
                "QN09301M", RecorderKind.clsm, "a",
                ["asv.qpv.actionRecorded -> asv:asv-saint-denis", "cls.qpv.actionRecorded -> cls:cls-plaine-commune"]
            ),
            ("QN09301M", .asv, "asv-saint-denis", ["cls.qpv.actionRecorded -> cls:cls-plaine-commune"]),
            ("QN09301M", .cls, "cls-plaine-commune", ["asv.qpv.actionRecorded -> asv:asv-saint-denis"]),
            ("QN09302M", .clsm, "b", ["cls.qpv.actionRecorded -> cls:cls-plaine-commune"]),
            ("QN09201M", .asv, "asv-bobigny", []),
        ])
    func routing(qpv: String, kind: RecorderKind, recorder: String, expected: [String]) throws {
        var hub = try Self.hub()
        let decision = try hub.send(.qpvActionRecorded(Fixture.action("x1", qpv: qpv, by: kind, recorder)))
        #expect(decision.routing == expected)
        #expect(hub.state.qpvActions["x1"] != nil)
    }

    @Test("ars.qpv.actionOutsideTerritory when the recording CLSM does not cover the QPV's commune")
    func outside() throws {
        var hub = try Self.hub()
        let decision = try hub.send(.qpvActionRecorded(Fixture.action("x1", qpv: "QN09303M", by: .clsm, "b")))
        #expect(
            decision.routing == [
                "asv.qpv.actionRecorded -> asv:asv-bobigny",
                "cls.qpv.actionRecorded -> cls:cls-bobigny",
                "ars.qpv.actionOutsideTerritory -> ars:11",
            ])
        let warning = try decision.only(.arsQpvActionOutsideTerritory, to: .ars("11"))
        #expect(warning.severity == .warning)
        #expect(warning.data["qpvCommunes"] == ["93008"])
        #expect(warning.data["clsmId"] == "b")
    }

    @Test("re-recorded: identical is silent; changed is told again as an update, the ARS warning once")
    func updates() throws {
        var hub = try Self.hub()
        try hub.send(.qpvActionRecorded(Fixture.action("x1", qpv: "QN09303M", by: .clsm, "b")))
        #expect(try hub.send(.qpvActionRecorded(Fixture.action("x1", qpv: "QN09303M", by: .clsm, "b"))).notifications.isEmpty)
        let changed = try hub.send(.qpvActionRecorded(Fixture.action("x1", qpv: "QN09303M", by: .clsm, "b", participants: 25)))
        #expect(changed.routing == ["asv.qpv.actionRecorded -> asv:asv-bobigny", "cls.qpv.actionRecorded -> cls:cls-bobigny"])
        #expect(try changed.only(.asvQpvActionRecorded, to: .asv("asv-bobigny")).data["update"] == true)
        #expect(try changed.only(.asvQpvActionRecorded, to: .asv("asv-bobigny")).data["participants"] == 25)
    }

    @Test(
        "unknown QPV or recorder is unknown_reference",
        arguments: [
            (RecorderKind.clsm, "zz", "QN09301M", ["recordedBy.id"]),
            (.asv, "zz", "QN09301M", ["recordedBy.id"]),
            (.cls, "zz", "QN09999M", ["qpv", "recordedBy.id"]),
        ])
    func unknown(kind: RecorderKind, recorder: String, qpv: String, paths: [String]) throws {
        let hub = try Self.hub()
        let error = try #require(hub.rejection(.qpvActionRecorded(Fixture.action("x1", qpv: qpv, by: kind, recorder))))
        #expect(error.code == .unknownReference)
        #expect(error.violations.map(\.path) == paths)
    }
}
