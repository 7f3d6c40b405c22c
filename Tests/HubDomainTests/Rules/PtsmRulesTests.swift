import HubTestSupport
import Testing

/// ptsm.diagnostic.published: ARS, active CLSMs of the territory with their uncovered
/// priorities, priorities without working group; stale versions ignored.
@Suite("Rules: ptsm.diagnostic.published")
struct PtsmRulesTests {
    /// a (active, 93, housing), b (active, 93, adolescents), p (project, 93), c (active, 92).
    static func hub() throws -> Harness {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"], workingGroups: [.housing])))
        try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93001"], workingGroups: [.adolescents])))
        try hub.send(.clsmDeclared(Fixture.clsm("p", communes: ["93008"], status: .project)))
        try hub.send(.clsmDeclared(Fixture.clsm("c", communes: ["92036"])))
        return hub
    }

    @Test("a first diagnostic reaches the ARS and every active CLSM of the territory")
    func published() throws {
        var hub = try Self.hub()
        let decision = try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", version: 1, priorities: [.housing, .adolescents])))
        #expect(
            decision.routing == [
                "ars.ptsm.published -> ars:11",
                "ptsm.diagnostic.available -> clsm:a",
                "ptsm.diagnostic.available -> clsm:b",
                "ars.ptsm.priorityUncovered -> ars:11",
            ])
        #expect(try decision.only(.ptsmDiagnosticAvailable, to: .clsm("a")).data["uncoveredPriorities"] == ["adolescents"])
        #expect(try decision.only(.ptsmDiagnosticAvailable, to: .clsm("b")).data["uncoveredPriorities"] == ["housing"])
        #expect(try decision.only(.arsPtsmPublished, to: .ars("11")).data["activeClsms"] == ["a", "b"])
        #expect(
            try decision.only(.arsPtsmPriorityUncovered, to: .ars("11")).data["priorities"] == [
                ["priority": "housing", "clsms": ["b"]],
                ["priority": "adolescents", "clsms": ["a"]],
            ])
    }

    @Test("a version not newer than the stored one changes nothing", arguments: [2, 1])
    func stale(version: Int) throws {
        var hub = try Self.hub()
        try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", version: 2, priorities: [.housing])))
        let before = hub.state
        let decision = try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", version: version, priorities: [.suicidePrevention])))
        #expect(decision.outcome == .stale)
        #expect(decision.notifications.isEmpty)
        #expect(decision.domainChanges.isEmpty)
        #expect(hub.state.ptsms == before.ptsms)
    }

    @Test("a newer version is published again; uncovered priorities only when their CLSM set changed")
    func newerVersion() throws {
        var hub = try Self.hub()
        try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", version: 1, priorities: [.housing, .adolescents])))
        let same = try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", version: 2, priorities: [.housing, .adolescents])))
        #expect(
            same.routing == ["ars.ptsm.published -> ars:11", "ptsm.diagnostic.available -> clsm:a", "ptsm.diagnostic.available -> clsm:b"])
        #expect(try same.only(.arsPtsmPublished, to: .ars("11")).data["previousVersion"] == 1)
        try hub.send(.clsmDeclared(Fixture.clsm("d", communes: ["93048"], workingGroups: [.adolescents])))
        let changed = try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", version: 3, priorities: [.housing, .adolescents])))
        #expect(
            try changed.only(.arsPtsmPriorityUncovered, to: .ars("11")).data["priorities"] == [
                ["priority": "housing", "clsms": ["b", "d"]]
            ])
    }

    @Test("no priorityUncovered when every active CLSM has a working group on every priority")
    func allCovered() throws {
        var hub = try Self.hub()
        let decision = try hub.send(
            .ptsmDiagnosticPublished(Fixture.ptsm("ptsm-92", departements: ["92"], version: 1, priorities: [.housing])))
        #expect(
            decision.routing == [
                "ars.ptsm.published -> ars:11", "ptsm.diagnostic.available -> clsm:c", "ars.ptsm.priorityUncovered -> ars:11",
            ])
        var covered = try Self.hub()
        try covered.send(.clsmDeclared(Fixture.clsm("c", communes: ["92036"], workingGroups: [.housing])))
        let none = try covered.send(
            .ptsmDiagnosticPublished(Fixture.ptsm("ptsm-92", departements: ["92"], version: 1, priorities: [.housing])))
        #expect(none.notifications(.arsPtsmPriorityUncovered).isEmpty)
    }

    @Test("unknown region or département is unknown_reference")
    func unknownReferences() throws {
        let hub = try Self.hub()
        let error = try #require(
            hub.rejection(
                .ptsmDiagnosticPublished(Fixture.ptsm("x", departements: ["93", "69"], version: 1, priorities: [.housing], region: "84"))))
        #expect(error.code == .unknownReference)
        #expect(error.violations.map(\.path) == ["departements[1]", "region"])
    }
}
