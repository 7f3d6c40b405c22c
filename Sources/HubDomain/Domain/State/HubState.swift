/// Everything the rules read, as a value. The rules engine never mutates it; `apply` folds
/// the engine's `StateChange`s into it, so replaying history is a fold over events.
///
/// A `HubState` may be *partial*: workers load only the slice an event needs (see
/// `StateRequirements`), storage mirrors `slice(_:)` in SQL.
public struct HubState: Sendable, Hashable, Codable {
    public var reference: ReferenceData
    public var clsms: [String: ClsmRecord]
    public var ptsms: [String: PtsmRecord]
    public var sismProposals: [String: SismProposalRecord]
    /// The counts of each regional SISM programme (derived from `sismProposals`, kept
    /// alongside so that the rules need not read a whole programme, see `SismProgrammeTally`).
    public var sismProgrammes: [SismProgrammeId: SismProgrammeTally]
    public var qpvActions: [String: QpvActionRecord]
    /// The latest activity report of each CLSM and year (`clsm.activity.reported`).
    public var activityReports: [ActivityReportKey: ActivityReportRecord]
    /// Identities of events already processed (delivered twice, an event takes effect once).
    public var processedEvents: Set<EventIdentity>

    public init(
        reference: ReferenceData = ReferenceData(), clsms: [String: ClsmRecord] = [:], ptsms: [String: PtsmRecord] = [:],
        sismProposals: [String: SismProposalRecord] = [:], sismProgrammes: [SismProgrammeId: SismProgrammeTally] = [:],
        qpvActions: [String: QpvActionRecord] = [:], activityReports: [ActivityReportKey: ActivityReportRecord] = [:],
        processedEvents: Set<EventIdentity> = []
    ) {
        self.reference = reference
        self.clsms = clsms
        self.ptsms = ptsms
        self.sismProposals = sismProposals
        self.sismProgrammes = sismProgrammes
        self.qpvActions = qpvActions
        self.activityReports = activityReports
        self.processedEvents = processedEvents
    }

    /// A state holding only reference data.
    public init(reference: ReferenceDataDocument) {
        self.init()
        self.reference.importing(reference)
    }
}

/// One change the engine decided. Storage turns each into an upsert; `HubState.apply`
/// does the same in memory.
public enum StateChange: Sendable, Hashable {
    /// Mark an event processed (always the first change of a non-duplicate decision).
    case markProcessed(EventIdentity)
    /// Insert or replace a CLSM record.
    case putClsm(ClsmRecord)
    /// On CLSM `clsmId`, remember that the overlap with `otherClsmId` on `communes` was
    /// reported (the other side of a `clsm.territory.overlap`).
    case recordOverlap(clsmId: String, otherClsmId: String, communes: Set<String>)
    case putPtsm(PtsmRecord)
    case putSismProposal(SismProposalRecord)
    /// On proposal `proposalId`, remember that the clash with `otherProposalId` was reported.
    case recordClash(proposalId: String, otherProposalId: String)
    /// Insert or replace the counts of a regional SISM programme (remove them when empty).
    case putSismProgramme(SismProgrammeTally)
    case putQpvAction(QpvActionRecord)
    /// Insert or replace the activity report of a CLSM and year.
    case putActivityReport(ActivityReportRecord)
    /// Upsert reference data (what `hub-admin reference import` does).
    case importReference(ReferenceDataDocument)
}

extension HubState {
    /// Applies changes in order. Changes that name a record absent from a partial state
    /// (`recordOverlap`, `recordClash`) are ignored there: storage applies them by key.
    public mutating func apply(_ changes: [StateChange]) {
        for change in changes {
            switch change {
            case .markProcessed(let identity):
                processedEvents.insert(identity)
            case .putClsm(let record):
                clsms[record.id] = record
            case .recordOverlap(let clsmId, let otherClsmId, let communes):
                clsms[clsmId]?.articulation.overlaps[otherClsmId] = communes
            case .putPtsm(let record):
                ptsms[record.id] = record
            case .putSismProposal(let record):
                sismProposals[record.id] = record
            case .recordClash(let proposalId, let otherProposalId):
                sismProposals[proposalId]?.notifiedClashes.insert(otherProposalId)
            case .putSismProgramme(let tally):
                sismProgrammes[tally.id] = tally.isEmpty ? nil : tally
            case .putQpvAction(let record):
                qpvActions[record.id] = record
            case .putActivityReport(let record):
                activityReports[record.id] = record
            case .importReference(let document):
                reference.importing(document)
            }
        }
    }

    /// `apply` as a pure function.
    public func applying(_ changes: [StateChange]) -> HubState {
        var copy = self
        copy.apply(changes)
        return copy
    }
}
