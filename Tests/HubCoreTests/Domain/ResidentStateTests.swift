import HubCore
import HubDomain
import HubSimulation
import HubTestSupport
import Logging
import Testing

/// The workers slice the state they keep in memory (`ResidentState`) instead of reading it
/// from PostgreSQL. Its slices must be exactly those of the full state, minus the QPV
/// actions and processed events it does not hold, after any history of changes.
@Suite("Resident state")
struct ResidentStateTests {
    /// `state.slice(requirements)` without what the resident state leaves in PostgreSQL.
    private func expectedSlice(of state: HubState, _ requirements: StateRequirements) -> HubState {
        var slice = state.slice(requirements)
        slice.qpvActions = [:]
        slice.processedEvents = []
        return slice
    }

    private func withoutNonResident(_ state: HubState) -> HubState {
        var resident = state
        resident.qpvActions = [:]
        resident.processedEvents = []
        return resident
    }

    @Test("slices like the full state at every step of random histories", arguments: Array(UInt64(100)...UInt64(115)))
    func randomHistories(seed: UInt64) throws {
        var generator = RandomEvents(seed: seed)
        var state = try Fixture.demoState()
        var resident = ResidentState(state)
        let engine = RulesEngine()
        for event in generator.sequence(count: 80) {
            let requirements = engine.requirements(for: event)
            #expect(resident.slice(requirements) == expectedSlice(of: state, requirements), "before \(event.identity)")
            guard let decision = try? engine.decide(event, in: state) else { continue }
            state.apply(decision.changes)
            resident.apply(decision.changes)
        }
        #expect(resident.state == withoutNonResident(state))
    }

    @Test("with a filter of processed events, every processed event is looked up, and few others")
    func processedEventsToLookUp() throws {
        var generator = RandomEvents(seed: 7)
        var state = try Fixture.demoState()
        var resident = ResidentState(state)
        let engine = RulesEngine()
        let events = generator.sequence(count: 400)
        // The filter starts with the events processed before it was read (as from the
        // inbox); the rest it learns from the changes applied.
        var filter = ProcessedEventFilter(capacity: 1024)
        for (index, event) in events.enumerated() {
            if index == 200 {
                for identity in state.processedEvents { filter.insert(identity) }
                resident.knowProcessedEvents(filter)
            }
            guard let decision = try? engine.decide(event, in: state) else { continue }
            state.apply(decision.changes)
            resident.apply(decision.changes)
        }
        #expect(state.processedEvents.count > 100)
        let everyEvent = Set(events.map(\.identity))
        let lookedUp = resident.processedEventsToLookUp(everyEvent)
        #expect(state.processedEvents.isSubset(of: lookedUp))
        let unprocessed = (0..<2000).map { EventIdentity(source: "urn:test", id: "never-\($0)") }
        let falseMaybes = resident.processedEventsToLookUp(Set(unprocessed)).count
        #expect(falseMaybes < 60, "\(falseMaybes) of 2000 unprocessed events would be looked up")
        // Without a filter, everything is looked up.
        #expect(ResidentState(state).processedEventsToLookUp(everyEvent) == everyEvent)
    }

    @Test("the filter never forgets an identity and rarely claims one it was not given")
    func filterHasNoFalseNegatives() {
        var filter = ProcessedEventFilter(capacity: 20_000)
        let inserted = (0..<20_000).map { EventIdentity(source: "urn:hub:test:\($0 % 7)", id: "event-\($0)") }
        for identity in inserted { filter.insert(identity) }
        #expect(inserted.allSatisfy(filter.mightContain))
        // An identity the filter already answered "maybe" for is not added again: a few.
        #expect(filter.count <= 20_000 && filter.count > 19_900)
        let others = (20_000..<40_000).map { EventIdentity(source: "urn:hub:test:\($0 % 7)", id: "event-\($0)") }
        let falseMaybes = others.filter(filter.mightContain).count
        #expect(falseMaybes < 600, "\(falseMaybes) of 20,000 (sized for about 1%)")
    }

    @Test("slices a synthetic national stream's batch segments like the full state")
    func syntheticSegments() throws {
        let territory = SyntheticTerritory.make(seed: 7, clsmCount: 40, qpvCount: 200)
        let events = SyntheticEventStream.decodedEvents(territory: territory, seed: 7, count: 3_000)
        var state = HubState(reference: territory.reference)
        var resident = ResidentState(state)
        let engine = RulesEngine()
        var compared = 0
        for batch in stride(from: 0, to: events.count, by: 250).map({ Array(events[$0..<min($0 + 250, events.count)]) }) {
            for segment in engine.batchSegments(batch) {
                let requirements = batch[segment].reduce(into: StateRequirements()) { $0.formUnion(engine.requirements(for: $1)) }
                #expect(resident.slice(requirements) == expectedSlice(of: state, requirements))
                compared += 1
                for event in batch[segment] {
                    guard let decision = try? engine.decide(event, in: state) else { continue }
                    state.apply(decision.changes)
                    resident.apply(decision.changes)
                }
            }
        }
        #expect(compared >= 12)
        #expect(!state.sismProposals.isEmpty && !state.clsms.isEmpty)
        #expect(resident.state == withoutNonResident(state))
    }

    @Test("a reference import moves the rows the neighbourhoods find")
    func referenceImport() throws {
        var state = try Fixture.demoState()
        var resident = ResidentState(state)
        let qpv = try #require(state.reference.qpvs.values.min { $0.code < $1.code })
        let otherCommune = try #require(state.reference.communes.keys.sorted().first { !qpv.communes.contains($0) })
        let asv = try #require(state.reference.asvs.values.min { $0.id < $1.id })
        let document = ReferenceDataDocument(
            qpvs: [Qpv(code: qpv.code, name: qpv.name, communes: [otherCommune])],
            asvs: [Asv(id: asv.id + "-bis", name: "ASV bis", qpvs: [qpv.code])])
        state.apply([.importReference(document)])
        resident.apply([.importReference(document)])
        var requirements = StateRequirements()
        requirements.communeSurroundings = Set(state.reference.communes.keys)
        requirements.qpvSurroundings = [qpv.code]
        let slice = resident.slice(requirements)
        #expect(slice == expectedSlice(of: state, requirements))
        #expect(slice.reference.asvs[asv.id + "-bis"] != nil)
        var oldCommune = StateRequirements()
        oldCommune.communeSurroundings = Set(qpv.communes)
        #expect(resident.slice(oldCommune).reference.qpvs[qpv.code] == nil)
        #expect(resident.slice(oldCommune) == expectedSlice(of: state, oldCommune))
    }

    @Test("the processor's decisions in memory (hub-bench core) count what the pure fold decides")
    func decideInMemoryMatchesTheFold() throws {
        let territory = SyntheticTerritory.make(seed: 3, clsmCount: 30, qpvCount: 150)
        let stream = SyntheticEventStream(
            territory: territory, seed: 3, count: 2_000,
            options: SyntheticStreamOptions(invalidFraction: 0.02, duplicateFraction: 0.02, activityReportShare: 0.03))
        let messages = stream.enumerated().map { index, event in event.consumed(at: Int64(index)) }
        var state = HubState(reference: territory.reference)
        var expected = BatchOutcome()
        for message in messages {
            guard
                let event = try? InboundDecoder().decode(
                    topic: message.topic, key: message.key, headers: message.headers,
                    value: message.value)
            else {
                expected.deadLetters[.malformedEnvelope, default: 0] += 1
                continue
            }
            guard let decision = try? RulesEngine().decide(event, in: state) else {
                expected.deadLetters[.unknownReference, default: 0] += 1
                continue
            }
            state.apply(decision.changes)
            switch decision.outcome {
            case .applied: expected.applied += 1
            case .stale: expected.stale += 1
            case .duplicate: expected.duplicates += 1
            }
            expected.notifications += decision.notifications.count
        }
        let processor = BatchProcessor(logger: Logger(label: "tests.resident"))
        var resident = ResidentState(HubState(reference: territory.reference))
        var nonResident = HubState()
        var outcome = BatchOutcome()
        for start in stride(from: 0, to: messages.count, by: 300) {
            let batch = processor.prepare(Array(messages[start..<min(start + 300, messages.count)]))
            outcome = outcome + processor.decideInMemory(batch, resident: &resident, nonResident: &nonResident)
        }
        #expect(outcome.applied == expected.applied && outcome.stale == expected.stale && outcome.duplicates == expected.duplicates)
        #expect(outcome.notifications == expected.notifications)
        #expect(outcome.deadLettered == expected.deadLettered && expected.deadLettered > 0 && expected.duplicates > 0)
        #expect(nonResident.qpvActions == state.qpvActions && resident.state.clsms == state.clsms)
    }
}
