import HubDomain

/// `RulesEngine.fold` over the whole state, in linear time.
///
/// The SISM rules read the proposals of an edition in a commune (clashes) by scanning
/// `state.sismProposals`: on a worker's slice that is a few rows, on the whole state of a
/// rebuild every proposal, for every proposal, which makes a plain fold quadratic (a
/// 30,000-event log took minutes). This fold decides each SISM proposal on the whole state
/// with `sismProposals` narrowed to the rows its `StateRequirements` name (by id and
/// `sismSchedules`), found through an index; everything else is the whole state. The requirements' contract (the decision
/// is the same on any state holding at least the slice) makes the result the plain fold's,
/// which a test checks byte for byte. Changes are applied to the whole state.
public struct IndexedFold {
    public private(set) var state: HubState
    public let engine: RulesEngine

    private var bySchedule: [SismScheduleKey: Set<String>] = [:]
    private var schedules: [String: SismScheduleKey] = [:]

    public init(engine: RulesEngine = RulesEngine(), state: HubState) {
        self.engine = engine
        self.state = state
        for record in state.sismProposals.values { index(record) }
    }

    /// Decides on `event` and applies the decision, as `RulesEngine.process` does.
    public mutating func process(_ event: DecodedEvent) throws(EventRejection) -> Decision {
        let requirements = engine.requirements(for: event)
        let decision: Decision
        if requirements.sismSchedules.isEmpty {
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
        var proposals: [String: SismProposalRecord] = [:]
        for id in ids {
            if let record = state.sismProposals[id] { proposals[id] = record }
        }
        return proposals
    }

    /// (Re)files a proposal under its current edition and commune.
    private mutating func index(_ record: SismProposalRecord) {
        let schedule = SismScheduleKey(edition: record.proposal.edition, commune: record.proposal.commune)
        if let old = schedules[record.id] { bySchedule[old]?.remove(record.id) }
        schedules[record.id] = schedule
        bySchedule[schedule, default: []].insert(record.id)
    }
}
