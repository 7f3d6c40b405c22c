import HubTestSupport
import Testing

@testable import HubDomain

/// The workers load only `requirements(for:)` from storage. Deciding on that slice must give
/// exactly the decision taken on the full state.
@Suite("State requirements and slices")
struct StateSliceTests {
    @Test(
        "deciding on the slice equals deciding on the full state, at every step of random histories",
        arguments: Array(UInt64(100)...UInt64(120)))
    func sliceEquivalence(seed: UInt64) throws {
        var generator = RandomEvents(seed: seed)
        var state = try Fixture.demoState()
        let engine = RulesEngine()
        for event in generator.sequence(count: 80) {
            let slice = state.slice(engine.requirements(for: event))
            let onFull = Result { () throws(EventRejection) in try engine.decide(event, in: state) }
            let onSlice = Result { () throws(EventRejection) in try engine.decide(event, in: slice) }
            #expect(onFull == onSlice, "event \(event.identity) \(event.topic)")
            if case .success(let decision) = onFull { state.apply(decision.changes) }
        }
    }

    @Test("applying the decision to the slice gives the slice of the applied full state for the rows it touched")
    func applyOnSlice() throws {
        var generator = RandomEvents(seed: 5)
        var state = try Fixture.demoState()
        let engine = RulesEngine()
        for event in generator.sequence(count: 60) {
            let requirements = engine.requirements(for: event)
            var slice = state.slice(requirements)
            guard let decision = try? engine.decide(event, in: state) else { continue }
            slice.apply(decision.changes)
            state.apply(decision.changes)
            #expect(state.slice(requirements) == slice.slice(requirements))
        }
    }

    @Test("requirements name what each event type reads")
    func requirements() {
        let engine = RulesEngine()
        let sism = engine.requirements(
            for: Fixture.event(.sismEventProposed(Fixture.proposal("s1", clsm: "a", commune: "93066", qpv: "QN09301M")), id: "e"))
        #expect(sism.clsms == ["a"])
        #expect(sism.sismEditions == [2026])
        #expect(sism.sismSchedules == [SismScheduleKey(edition: 2026, commune: "93066")])
        #expect(sism.sismProgrammes == [SismProgrammeKey(edition: 2026, clsmId: "a")])
        #expect(sism.qpvSurroundings == ["QN09301M"])
        let clsm = engine.requirements(for: Fixture.event(.clsmDeclared(Fixture.clsm("a", communes: ["93066"])), id: "e"))
        #expect(clsm.communeSurroundings == ["93066"])
        #expect(clsm.events == [EventIdentity(source: "urn:test", id: "e")])
        let ptsm = engine.requirements(
            for: Fixture.event(.ptsmDiagnosticPublished(Fixture.ptsm("p", version: 1, priorities: [.housing])), id: "e"))
        #expect(ptsm.clsmsInDepartements == ["93"])
        let action = engine.requirements(
            for: Fixture.event(.qpvActionRecorded(Fixture.action("x", qpv: "QN09301M", by: .cls, "cls-1")), id: "e"))
        #expect(action.qpvSurroundings == ["QN09301M"] && action.cls == ["cls-1"])
    }
}
