import HubTestSupport
import Testing

@testable import HubDomain

/// Replaying = folding events: the same events in the same order always give the same state
/// and byte-identical notifications.
@Suite("Property: deterministic replay")
struct ReplayPropertyTests {
    @Test("replaying any event sequence twice yields the same state and notification bytes", arguments: Array(UInt64(1)...UInt64(40)))
    func replayTwice(seed: UInt64) throws {
        var generator = RandomEvents(seed: seed)
        let events = generator.sequence(count: 60)
        let initial = try Fixture.demoState()
        let first = replay(events, from: initial)
        let second = replay(events, from: initial)
        #expect(first.state == second.state)
        #expect(first.notifications == second.notifications)
        #expect(first.rejections == second.rejections)
        #expect(!first.notifications.isEmpty)
        #expect(first.rejections.allSatisfy { $0 == .unknownReference || $0 == .unauthorized })
    }

    @Test("redelivering every applied event changes nothing: each takes effect once")
    func idempotent() throws {
        var generator = RandomEvents(seed: 7)
        var state = try Fixture.demoState()
        var applied: [DecodedEvent] = []
        for event in generator.sequence(count: 80) {
            if (try? RulesEngine().process(event, state: &state)) != nil { applied.append(event) }
        }
        let again = replay(applied, from: state)
        #expect(again.state == state)
        #expect(again.notifications.isEmpty)
        #expect(again.rejections.isEmpty)
    }

    @Test("a dead-lettered event (unknown reference) takes effect when replayed after the reference exists")
    func deadLetterReplay() throws {
        var hub = try Harness.demo()
        let proposal = Fixture.event(.sismEventProposed(Fixture.proposal("s1", clsm: "late", commune: "93066")), id: "p")
        #expect(rejection { try hub.send(proposal) }?.code == .unknownReference)
        try hub.send(.clsmDeclared(Fixture.clsm("late", communes: ["93066"])))
        #expect(try hub.send(proposal).notifications(.sismProposalAccepted).count == 1)
    }

    @Test("RulesEngine.fold is the same fold")
    func foldAPI() throws {
        var generator = RandomEvents(seed: 21)
        let events = generator.sequence(count: 60)
        let initial = try Fixture.demoState()
        let folded = RulesEngine().fold(events, from: initial)
        let manual = replay(events, from: initial)
        #expect(folded.state == manual.state)
        #expect(
            folded.notifications.map { $0.outboundRecord().value }
                == manual.notifications.map { Array($0.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false).last!) })
        #expect(folded.rejections.map(\.rejection.code) == manual.rejections)
    }

    @Test("notification ids never repeat across a whole replay")
    func uniqueIds() throws {
        var generator = RandomEvents(seed: 11)
        var state = try Fixture.demoState()
        var ids: [String] = []
        for event in generator.sequence(count: 150) {
            if let decision = try? RulesEngine().process(event, state: &state) {
                ids += decision.notifications.map(\.notificationId)
            }
        }
        #expect(Set(ids).count == ids.count)
    }
}
