import HubTestSupport
import Testing

@testable import HubDomain

/// How the workers process a batch: one load of the union of the requirements per segment,
/// then decide and apply event by event in memory. That must decide exactly as processing
/// one event at a time on the full state.
@Suite("Batch loading")
struct BatchLoadingTests {
    @Test("segments end before an event whose programme region comes from a CLSM declared earlier in the batch")
    func segments() {
        let engine = RulesEngine()
        let events = [
            Fixture.event(.clsmDeclared(Fixture.clsm("x", communes: ["93066"])), id: "1"),
            Fixture.event(.sismEventProposed(Fixture.proposal("s0", clsm: "y", commune: "93066")), id: "2"),
            Fixture.event(.sismEventProposed(Fixture.proposal("s1", clsm: "x", commune: "93066")), id: "3"),
            Fixture.event(.sismEventProposed(Fixture.proposal("s2", clsm: "x", commune: "93066")), id: "4"),
        ]
        #expect(engine.batchSegments(events) == [0..<2, 2..<4])
        #expect(engine.batchSegments([]) == [])
    }

    @Test("union load per segment decides like the full state", arguments: Array(UInt64(200)...UInt64(215)))
    func unionLoad(seed: UInt64) throws {
        var generator = RandomEvents(seed: seed)
        let engine = RulesEngine()
        var stored = try Fixture.demoState()  // what the database holds
        var reference = stored  // one event at a time on the full state
        let events = generator.sequence(count: 120)
        for batchStart in stride(from: 0, to: events.count, by: 12) {
            let batch = Array(events[batchStart..<min(batchStart + 12, events.count)])
            for segment in engine.batchSegments(batch) {
                let slice = batch[segment].map(engine.requirements(for:)).reduce(StateRequirements()) { $0.union($1) }
                var memory = stored.slice(slice)
                for event in batch[segment] {
                    let expected = Result { () throws(EventRejection) in try engine.decide(event, in: reference) }
                    let actual = Result { () throws(EventRejection) in try engine.decide(event, in: memory) }
                    #expect(actual == expected, "\(event.identity) \(event.topic)")
                    if case .success(let decision) = expected {
                        reference.apply(decision.changes)
                        memory.apply(decision.changes)
                        stored.apply(decision.changes)
                    }
                }
            }
        }
        #expect(stored == reference)
    }
}
