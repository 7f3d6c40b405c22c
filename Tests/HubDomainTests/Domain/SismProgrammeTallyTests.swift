import HubTestSupport
import Testing

@testable import HubDomain

/// The rules keep one tally per regional SISM programme instead of reading the programme's
/// proposals; a tally must always equal the counts over those proposals.
@Suite("SISM programme tallies")
struct SismProgrammeTallyTests {
    /// The counts of `programme` computed from scratch over `state`'s proposals.
    static func recount(_ programme: SismProgrammeId, in state: HubState) -> SismProgrammeTally {
        state.sismProposals.values.filter { SismProgrammeId(of: $0) == programme }
            .reduce(SismProgrammeTally(programme)) { $0.counting($1) }
    }

    @Test("after every step of random histories, each tally equals a recount of its proposals", arguments: Array(UInt64(200)...UInt64(215)))
    func tallyEqualsRecount(seed: UInt64) throws {
        var generator = RandomEvents(seed: seed)
        var state = try Fixture.demoState()
        let engine = RulesEngine()
        for event in generator.sequence(count: 120) {
            guard (try? engine.process(event, state: &state)) != nil else { continue }
            let programmes = Set(state.sismProposals.values.map(SismProgrammeId.init(of:)))
            for programme in programmes {
                #expect(state.sismProgrammes[programme] == Self.recount(programme, in: state), "\(programme) after \(event.identity)")
            }
            #expect(Set(state.sismProgrammes.keys).isSubset(of: programmes), "a programme with no proposal kept a tally")
        }
    }

    @Test("counting and uncounting a proposal: scheduled, cancelled and refused ones count apart")
    func countAndUncount() {
        let programme = SismProgrammeId(edition: 2026, region: "11")
        func record(
            _ id: String, commune: String, qpv: String? = nil, cancelled: Bool = false,
            reasons: [SismRejectionReason] = []
        ) -> SismProposalRecord {
            SismProposalRecord(
                proposal: Fixture.proposal(id, clsm: "c1", commune: commune, qpv: qpv, cancelled: cancelled ? true : nil),
                lastEvent: EventIdentity(source: "urn:test", id: id),
                region: "11", rejectionReasons: reasons, notifiedClashes: [])
        }
        let scheduled = record("a", commune: "93066", qpv: "QN09301M")
        var tally = SismProgrammeTally(programme)
            .counting(scheduled)
            .counting(record("b", commune: "93066"))
            .counting(record("c", commune: "93001", cancelled: true))
            .counting(record("d", commune: "93001", reasons: [.outsideEditionWindow]))
        #expect(tally.scheduled == 2 && tally.qpvEvents == 1 && tally.cancelled == 1 && tally.rejected == 1)
        #expect(tally.communes == ["93066": 2] && tally.clsms == ["c1": 2])
        #expect(tally.byFormat.values.reduce(0, +) == 2)
        tally.count(scheduled, -1)
        #expect(tally.scheduled == 1 && tally.qpvEvents == 0 && tally.communes == ["93066": 1])
        #expect(!tally.isEmpty)
    }
}
