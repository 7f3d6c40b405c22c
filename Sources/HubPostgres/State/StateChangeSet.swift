import HubDomain

/// What a run of decisions touched, so that storage writes each touched row once, from the
/// state the changes were applied to (the last write of a batch wins, as in memory).
public struct StateChangeSet: Sendable {
    public private(set) var clsms: Set<String> = []
    public private(set) var ptsms: Set<String> = []
    public private(set) var sismProposals: Set<String> = []
    public private(set) var sismProgrammes: Set<SismProgrammeId> = []
    public private(set) var qpvActions: Set<String> = []
    public private(set) var activityReports: Set<ActivityReportKey> = []
    /// PTSM diagnostic versions to keep (all versions are kept), with their cause.
    public private(set) var ptsmVersions: [(record: PtsmRecord, event: EventIdentity)] = []
    /// Changes that name a record the loaded state did not hold; applied by key in SQL.
    public private(set) var overlapsByKey: [(clsmId: String, otherClsmId: String, communes: Set<String>)] = []
    public private(set) var clashesByKey: [(proposalId: String, otherProposalId: String)] = []
    public private(set) var referenceImports: [ReferenceDataDocument] = []

    public init() {}

    public var isEmpty: Bool {
        clsms.isEmpty && ptsms.isEmpty && sismProposals.isEmpty && sismProgrammes.isEmpty && qpvActions.isEmpty && activityReports.isEmpty
            && ptsmVersions.isEmpty
            && overlapsByKey.isEmpty && clashesByKey.isEmpty && referenceImports.isEmpty
    }

    /// Notes `changes`, which were applied to `state` (after applying).
    public mutating func note(_ changes: [StateChange], appliedTo state: HubState) {
        for change in changes {
            switch change {
            case .markProcessed:
                break  // the inbox row is written by the processor, with the record's position
            case .putClsm(let record):
                clsms.insert(record.id)
            case .recordOverlap(let clsmId, let otherClsmId, let communes):
                if state.clsms[clsmId] != nil {
                    clsms.insert(clsmId)
                } else {
                    overlapsByKey.append((clsmId, otherClsmId, communes))
                }
            case .putPtsm(let record):
                ptsms.insert(record.id)
                ptsmVersions.append((record, record.lastEvent))
            case .putSismProposal(let record):
                sismProposals.insert(record.id)
            case .recordClash(let proposalId, let otherProposalId):
                if state.sismProposals[proposalId] != nil {
                    sismProposals.insert(proposalId)
                } else {
                    clashesByKey.append((proposalId, otherProposalId))
                }
            case .putSismProgramme(let tally):
                sismProgrammes.insert(tally.id)
            case .putQpvAction(let record):
                qpvActions.insert(record.id)
            case .putActivityReport(let record):
                activityReports.insert(record.id)
            case .importReference(let document):
                referenceImports.append(document)
            }
        }
    }
}
