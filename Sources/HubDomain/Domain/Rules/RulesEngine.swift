/// The hub's functional core: for an inbound event and the current state (a value), what
/// changes and who is told what. No clock, no randomness, no I/O: the same event on the
/// same state always gives the same `Decision`, byte for byte.
///
/// Workers call, per record:
/// 1. `InboundDecoder.decode(topic:key:headers:value:)` -> `DecodedEvent` (or a dead letter);
/// 2. `requirements(for:)` -> load that slice of state from storage;
/// 3. `decide(_:in:)` -> `Decision` (or an `unauthorized` or `unknown_reference` dead letter);
/// 4. store `decision.changes` and the notifications (outbox) in one transaction.
public struct RulesEngine: Sendable {
    /// Whether records are admitted by `SourceAuthorization` before the rules.
    public enum Admission: Sendable, Hashable {
        /// Inbound records: ownership and registered sources are checked.
        case checked
        /// Events read back from the event log (rebuilds): each was admitted when it came,
        /// by the sources registered then. Checking again against today's registry would
        /// refuse the history of a hub that ran open before its sources were registered.
        case fromEventLog
    }

    public let admission: Admission

    public init(admission: Admission = .checked) {
        self.admission = admission
    }

    /// The slice of state the rules read for `event` (see `StateRequirements` for the
    /// exact meaning of each field). Pure: depends on the event only.
    public func requirements(for event: DecodedEvent) -> StateRequirements {
        var requirements = StateRequirements()
        requirements.events = [event.identity]
        requirements.sources = [event.identity.source]
        switch event.event {
        case .clsmDeclared(let payload):
            requirements.regions = [payload.region]
            requirements.clsms = [payload.clsmId]
            requirements.communes = Set(payload.communes)
            // With the codes that meet them: a CLSM on 75056 articulates with what is coded
            // 75101-75120, and the reverse.
            requirements.communeSurroundings = MunicipalArrondissements.related(payload.communes)
        case .sismEventProposed(let payload):
            requirements.clsms = [payload.clsmId]
            requirements.sismEditions = [payload.edition]
            requirements.communes = [payload.commune]
            requirements.sismProposals = [payload.proposalId]
            requirements.sismSchedules = [SismScheduleKey(edition: payload.edition, commune: payload.commune)]
            requirements.sismProgrammes = [SismProgrammeKey(edition: payload.edition, clsmId: payload.clsmId)]
            if let qpv = payload.qpv { requirements.qpvSurroundings = [qpv] }
        case .ptsmDiagnosticPublished(let payload):
            requirements.regions = [payload.region]
            requirements.departements = Set(payload.departements)
            requirements.ptsms = [payload.ptsmId]
            requirements.clsmsInDepartements = Set(payload.departements)
        case .qpvActionRecorded(let payload):
            requirements.qpvActions = [payload.actionId]
            requirements.qpvSurroundings = [payload.qpv]
            switch payload.recordedBy.kind {
            case .clsm: requirements.clsms = [payload.recordedBy.id]
            case .asv: requirements.asvs = [payload.recordedBy.id]
            case .cls: requirements.cls = [payload.recordedBy.id]
            }
        case .clsmActivityReported(let payload):
            requirements.clsms = [payload.clsmId]
            requirements.activityReports = [payload.key]
        }
        return requirements
    }

    /// Decides on `event`. `state` must contain at least `state.slice(requirements(for: event))`.
    /// Throws `unknown_reference` (with every unknown code listed) when the event names
    /// reference data or a CLSM the hub does not know.
    public func decide(_ event: DecodedEvent, in state: HubState) throws(EventRejection) -> Decision {
        if state.processedEvents.contains(event.identity) {
            return Decision(outcome: .duplicate, changes: [], notifications: [])
        }
        if admission == .checked { try SourceAuthorization.check(event, in: state) }
        let output: RuleOutput
        var outcome = Decision.Outcome.applied
        switch event.event {
        case .clsmDeclared(let payload):
            output = try ClsmRules.decide(payload, event: event, state: state)
        case .sismEventProposed(let payload):
            output = try SismRules.decide(payload, event: event, state: state)
        case .ptsmDiagnosticPublished(let payload):
            let result = try PtsmRules.decide(payload, event: event, state: state)
            output = result.output
            if result.stale { outcome = .stale }
        case .qpvActionRecorded(let payload):
            output = try QpvActionRules.decide(payload, event: event, state: state)
        case .clsmActivityReported(let payload):
            let result = try ActivityRules.decide(payload, event: event, state: state)
            output = result.output
            if result.stale { outcome = .stale }
        }
        let cause = NotificationCause(topic: event.topic.rawValue, source: event.identity.source, id: event.identity.id)
        let notifications = output.drafts
            .sorted { ($0.rule.order, $0.recipient) < ($1.rule.order, $1.recipient) }
            .map { draft in
                HubNotification(
                    notificationId: HubNotification.makeId(cause: event.identity, rule: draft.rule, recipient: draft.recipient),
                    rule: draft.rule, severity: draft.rule.severity, recipient: draft.recipient, region: draft.region,
                    cause: cause, subject: draft.subject, message: draft.message, data: draft.data, time: event.time)
            }
        return Decision(outcome: outcome, changes: [.markProcessed(event.identity)] + output.changes, notifications: notifications)
    }

    /// Decide and apply in one step: the fold used for replays and tests.
    public func process(_ event: DecodedEvent, state: inout HubState) throws(EventRejection) -> Decision {
        let decision = try decide(event, in: state)
        state.apply(decision.changes)
        return decision
    }
}

/// Collects `unknown_reference` violations and throws them all at once.
struct ReferenceCheck {
    var violations: [Violation] = []

    mutating func require(_ known: Bool, path: String, _ reason: @autoclosure () -> String) {
        if !known { violations.append(Violation(path: path, reason: reason())) }
    }

    func throwIfAny(_ context: String) throws(EventRejection) {
        guard violations.isEmpty else {
            throw EventRejection(
                code: .unknownReference,
                message:
                    "\(context) refers to \(violations.count) unknown reference(s); import the reference data, then replay the dead letter",
                violations: violations)
        }
    }
}

/// A CLSM's declared region must be its communes' region, a PTSM's its départements': the
/// region decides which ARS is told, so a wrong one sends a region's news to another ARS.
/// Refused as `unknown_reference` (the record contradicts the reference data; the fix is at
/// the source, or in the reference data when it is the one that is wrong).
enum RegionConsistency {
    /// `parts`: the payload field listing the territory, each code with its region (nil:
    /// unknown, already refused by the reference check).
    static func check(_ context: String, region: String, parts: String, _ regions: [(code: String, region: String?)]) throws(EventRejection)
    {
        let violations = regions.enumerated().compactMap { position, part -> Violation? in
            guard let partRegion = part.region, partRegion != region else { return nil }
            return Violation(path: "\(parts)[\(position)]", reason: "\(part.code) lies in region \(partRegion), not \(region)")
        }
        guard violations.isEmpty else {
            throw EventRejection(
                code: .unknownReference,
                message: "\(context) names region \(region), but \(violations.count) of its \(parts) lie in another region; "
                    + "the region must be the one of its \(parts)",
                violations: violations)
        }
    }
}
