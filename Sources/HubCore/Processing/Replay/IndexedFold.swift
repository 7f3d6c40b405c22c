/// `RulesEngine.fold` over the whole state, in linear time.
///
/// The SISM rules read the proposals of an edition in a commune (clashes) and in a region
/// (the programme) by scanning `state.sismProposals`: on a worker's slice that is a few
/// hundred rows, on the whole state of a rebuild every proposal, for every proposal, which
/// makes a plain fold quadratic (a 30,000-event log took minutes). This fold decides each
/// SISM proposal on the whole state with `sismProposals` narrowed to the rows its
/// `StateRequirements` name (by id, `sismSchedules`, `sismProgrammes`), found through
/// indexes; everything else is the whole state. The requirements' contract (the decision
/// is the same on any state holding at least the slice) makes the result the plain fold's,
/// which a test checks byte for byte. Changes are applied to the whole state.
public struct IndexedFold {
    public private(set) var state: HubState
    public let engine: RulesEngine

    private struct ProgrammeKey: Hashable {
        var edition: Int
        var region: String
    }

    private var bySchedule: [SismScheduleKey: Set<String>] = [:]
    private var byProgramme: [ProgrammeKey: Set<String>] = [:]
    private var keys: [String: (schedule: SismScheduleKey, programme: ProgrammeKey)] = [:]

    public init(engine: RulesEngine = RulesEngine(), state: HubState) {
        self.engine = engine
        self.state = state
        for record in state.sismProposals.values { index(record) }
    }

    /// Decides on `event` and applies the decision, as `RulesEngine.process` does.
    public mutating func process(_ event: DecodedEvent) throws(EventRejection) -> Decision {
        let requirements = engine.requirements(for: event)
        let decision: Decision
        if requirements.sismSchedules.isEmpty && requirements.sismProgrammes.isEmpty {
            decision = try engine.decide(event, in: state)
        } else {
            var view = state
            view.sismProposals = proposals(for: requirements)
            decision = try engine.decide(event, in: view)
        }
        state.apply(decision.changes)
        for change in decision.changes {
            if case .putSismProposal(let record) = change { index(record) }
        }
        return decision
    }

    private func proposals(for requirements: StateRequirements) -> [String: SismProposalRecord] {
        var ids = requirements.sismProposals
        for key in requirements.sismSchedules {
            ids.formUnion(bySchedule[key] ?? [])
        }
        for key in requirements.sismProgrammes {
            guard let region = state.clsms[key.clsmId]?.declaration.region else { continue }
            ids.formUnion(byProgramme[ProgrammeKey(edition: key.edition, region: region)] ?? [])
        }
        var proposals: [String: SismProposalRecord] = [:]
        for id in ids {
            if let record = state.sismProposals[id] { proposals[id] = record }
        }
        return proposals
    }

    /// (Re)files a proposal under its current edition, commune and region.
    private mutating func index(_ record: SismProposalRecord) {
        let schedule = SismScheduleKey(edition: record.proposal.edition, commune: record.proposal.commune)
        let programme = ProgrammeKey(edition: record.proposal.edition, region: record.region)
        if let old = keys[record.id] {
            bySchedule[old.schedule]?.remove(record.id)
            byProgramme[old.programme]?.remove(record.id)
        }
        keys[record.id] = (schedule, programme)
        bySchedule[schedule, default: []].insert(record.id)
        byProgramme[programme, default: []].insert(record.id)
    }
}
