@testable import HubDomain

/// SplitMix64: a tiny seeded PRNG, so that "random" sequences are the same on every run.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Generates plausible event sequences over the demo territory: CLSMs declared and
/// re-declared, SISM proposals (in and out of the window, clashing, cancelled), PTSM
/// versions (including stale ones), QPV actions, exact redeliveries, and a few events with
/// unknown references (which the replay skips like dead letters).
package struct RandomEvents {
    package var rng: SplitMix64
    private var sent: [DecodedEvent] = []
    private var counter = 0

    package init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    package static let communes = ["93001", "93008", "93048", "93066", "92036", "92050"]
    package static let qpvs = ["QN09301M", "QN09302M", "QN09303M", "QN09201M"]
    package static let clsmIds = ["c1", "c2", "c3", "c4", "c5"]

    package mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    package mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }
    package mutating func subset<T: Hashable>(_ items: [T], min: Int = 0) -> [T] {
        var result = items.filter { _ in chance(40) }
        while result.count < min {
            let item = pick(items)
            if !result.contains(item) { result.append(item) }
        }
        return result
    }

    package mutating func sequence(count: Int) -> [DecodedEvent] {
        (0..<count).map { _ in next() }
    }

    package mutating func next() -> DecodedEvent {
        if !sent.isEmpty, chance(8) { return pick(sent) }  // redelivery of the same event
        counter += 1
        let time = "2026-09-\(Digits.padded(1 + counter % 28, 2))T\(Digits.padded(counter % 24, 2)):00:00+02:00"
        let payload: InboundEvent
        switch Int.random(in: 0..<11, using: &rng) {
        case 0..<3: payload = .clsmDeclared(randomClsm())
        case 3..<6: payload = .sismEventProposed(randomProposal())
        case 6..<8: payload = .ptsmDiagnosticPublished(randomPtsm())
        case 8..<10: payload = .qpvActionRecorded(randomAction())
        default: payload = .clsmActivityReported(randomReport())
        }
        let event = Fixture.event(payload, id: "r-\(counter)", source: pick(["urn:a", "urn:b"]), time: time)
        sent.append(event)
        return event
    }

    /// An activity report of a random CLSM (some never declared: unknown_reference), year and
    /// version (older versions are stale).
    package mutating func randomReport() -> ClsmActivityReported {
        let involvement: [InvolvementStatus] = [.involved, .involved, .involved, .notAsked, .declined, .absentFromTerritory]
        return ClsmActivityReported(
            clsmId: pick(Self.clsmIds + ["c9"]), year: pick([2025, 2026]), version: pick([1, 2, 3]),
            reportedOn: CalendarDate("2026-09-15")!,
            meetings: .init(
                copil: pick([0, 1, 2]), plenaryAssembly: pick([0, 1]), technicalCommittee: pick([0, 3]), workingGroups: pick([0, 10])),
            involvement: .init(
                elected: pick(involvement), adultPsychiatry: pick(involvement), childPsychiatry: pick(involvement),
                users: pick(involvement), carers: pick(involvement)),
            userParticipation: pick(UserParticipation.allCases),
            coordinator: .init(
                fte: pick([0.2, 0.5, 1]), vacant: chance(20), clsmsCoordinated: pick([1, 1, 3]), employer: pick([nil, .localAuthority]),
                funders: subset(CoordinatorFunder.allCases)),
            ownBudget: chance(50), needsDiagnostic: pick(NeedsDiagnostic.allCases),
            articulation: .init(
                ptsm: pick(ArticulationAnswer.allCases), cls: .yes, clspd: .no, asv: pick(ArticulationAnswer.allCases), cpts: .no,
                pre: .notOnTerritory, dac: .yes, contratDeVille: pick(ArticulationAnswer.allCases)),
            actions: subset([ThemeCode.sism, .housing, .adolescents]).map { .init(theme: $0, count: 1 + counter % 5) },
            sismParticipation: chance(70),
            crisis: chance(20) ? .init(bodiesSuspended: true, remoteWorking: true, listeningLine: false) : nil)
    }

    package mutating func randomClsm() -> ClsmDeclared {
        var communes = subset(Self.communes, min: 1)
        if chance(3) { communes.append("13055") }  // unknown commune
        return Fixture.clsm(
            pick(Self.clsmIds), communes: communes, status: pick([.active, .active, .active, .project, .starting, .stopped]),
            members: subset(GovernanceMember.allCases), workingGroups: subset([.housing, .adolescents, .sism, .suicidePrevention]),
            name: pick(["Nord", "Sud", "Est"]))
    }

    package mutating func randomProposal() -> SismEventProposed {
        let day = Int.random(in: 3...20, using: &rng)
        let hour = Int.random(in: 8...21, using: &rng)
        let startsAt = "2026-10-\(Digits.padded(day, 2))T\(Digits.padded(hour, 2)):00:00+02:00"
        let endsAt = "2026-10-\(Digits.padded(day, 2))T\(Digits.padded(hour + 2, 2)):30:00+02:00"
        // Proposal ids are owned by their CLSM: most are its own (updates of its proposals),
        // one in ten is another CLSM's (refused as unauthorized once that one exists).
        let clsm = chance(5) ? "unknown" : pick(Self.clsmIds)
        let owner = chance(10) ? pick(Self.clsmIds) : clsm
        return Fixture.proposal(
            "\(owner)-" + pick(["s1", "s2", "s3"]), clsm: clsm, commune: pick(Self.communes),
            startsAt: startsAt, endsAt: endsAt, format: pick(SismFormat.allCases), qpv: chance(30) ? pick(Self.qpvs) : nil,
            cancelled: chance(10) ? true : nil)
    }

    package mutating func randomPtsm() -> PtsmDiagnosticPublished {
        Fixture.ptsm(
            pick(["ptsm-93", "ptsm-92"]), departements: pick([["93"], ["92"], ["92", "93"]]), version: Int.random(in: 1...4, using: &rng),
            priorities: subset([.housing, .adolescents, .sism, .suicidePrevention], min: 1))
    }

    package mutating func randomAction() -> QpvActionRecorded {
        let kind: RecorderKind = pick(RecorderKind.allCases)
        let recorder: String =
            switch kind {
            case .clsm: pick(Self.clsmIds)
            case .asv: pick(["asv-saint-denis", "asv-bobigny"])
            case .cls: pick(["cls-plaine-commune", "cls-bobigny"])
            }
        // Action ids are owned by their first recorder: one in ten names another's.
        let owner = chance(10) ? pick(Self.clsmIds) : recorder
        return Fixture.action(
            "\(owner)-" + pick(["x1", "x2"]), qpv: pick(Self.qpvs), by: kind, recorder, participants: Int.random(in: 0...40, using: &rng))
    }
}

/// Replays events from a state: rejected events are skipped (they would go to the dead-letter
/// topic). Returns the final state and every notification's bytes, in order.
package func replay(
    _ events: [DecodedEvent], from initial: HubState
) -> (state: HubState, notifications: [[UInt8]], rejections: [DeadLetterCode]) {
    var state = initial
    var bytes: [[UInt8]] = []
    var rejections: [DeadLetterCode] = []
    let engine = RulesEngine()
    for event in events {
        do {
            let decision = try engine.process(event, state: &state)
            for notification in decision.notifications {
                let record = notification.outboundRecord()
                bytes.append(record.key! + [0] + record.headers.flatMap { Array($0.name.utf8) + ($0.value ?? []) } + [0] + record.value)
            }
        } catch {
            rejections.append(error.code)
        }
    }
    return (state, bytes, rejections)
}
