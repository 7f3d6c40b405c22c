/// The rules of the contract's table, in table order (which is also the order of
/// notifications within a decision). Raw values are the wire `rule` values.
public enum NotificationRule: String, Sendable, Hashable, Codable, CaseIterable {
    // clsm.declared
    case clsmRegistered = "clsm.registered"
    case clsmUpdated = "clsm.updated"
    case clsmGovernanceIncomplete = "clsm.governance.incomplete"
    case clsmChildPsychiatryAbsent = "clsm.childPsychiatry.absent"
    case ptsmClsmOnTerritory = "ptsm.clsm.onTerritory"
    case clsClsmOverlap = "cls.clsm.overlap"
    case asvClsmCoversQpv = "asv.clsm.coversQpv"
    case arsQpvWithoutAsv = "ars.qpv.withoutAsv"
    case clsmTerritoryOverlap = "clsm.territory.overlap"
    // sism.event.proposed
    case sismProposalAccepted = "sism.proposal.accepted"
    case sismProposalRejected = "sism.proposal.rejected"
    case sismProgrammeUpdated = "sism.programme.updated"
    case sismScheduleClash = "sism.schedule.clash"
    case asvSismInQpv = "asv.sism.inQpv"
    // ptsm.diagnostic.published
    case arsPtsmPublished = "ars.ptsm.published"
    case ptsmDiagnosticAvailable = "ptsm.diagnostic.available"
    case arsPtsmPriorityUncovered = "ars.ptsm.priorityUncovered"
    // qpv.action.recorded
    case asvQpvActionRecorded = "asv.qpv.actionRecorded"
    case clsQpvActionRecorded = "cls.qpv.actionRecorded"
    case arsQpvActionOutsideTerritory = "ars.qpv.actionOutsideTerritory"
    // clsm.activity.reported (contract v1.1; rule names are the project's)
    case arsActivityReported = "ars.activity.reported"
    case clsmGovernanceInactive = "clsm.governance.inactive"
    case arsCoordinatorVacant = "ars.coordinator.vacant"
    case clsmQuatreQuartsNotInvolved = "clsm.quatreQuarts.notInvolved"

    /// `info`: for the record; `warning`: something to look at; `action`: someone should act.
    public var severity: Severity {
        switch self {
        case .clsmRegistered, .clsmUpdated, .ptsmClsmOnTerritory, .clsClsmOverlap, .asvClsmCoversQpv,
            .sismProposalAccepted, .sismProgrammeUpdated, .asvSismInQpv, .arsPtsmPublished,
            .asvQpvActionRecorded, .clsQpvActionRecorded, .arsActivityReported:
            .info
        case .clsmChildPsychiatryAbsent, .arsQpvWithoutAsv, .clsmTerritoryOverlap, .sismScheduleClash,
            .arsPtsmPriorityUncovered, .arsQpvActionOutsideTerritory, .clsmQuatreQuartsNotInvolved:
            .warning
        case .clsmGovernanceIncomplete, .sismProposalRejected, .ptsmDiagnosticAvailable, .clsmGovernanceInactive,
            .arsCoordinatorVacant:
            .action
        }
    }

    /// The inbound topic whose events trigger this rule.
    public var causeTopic: InboundTopic {
        switch self {
        case .clsmRegistered, .clsmUpdated, .clsmGovernanceIncomplete, .clsmChildPsychiatryAbsent, .ptsmClsmOnTerritory,
            .clsClsmOverlap, .asvClsmCoversQpv, .arsQpvWithoutAsv, .clsmTerritoryOverlap:
            .clsmDeclared
        case .sismProposalAccepted, .sismProposalRejected, .sismProgrammeUpdated, .sismScheduleClash, .asvSismInQpv:
            .sismEventProposed
        case .arsPtsmPublished, .ptsmDiagnosticAvailable, .arsPtsmPriorityUncovered:
            .ptsmDiagnosticPublished
        case .asvQpvActionRecorded, .clsQpvActionRecorded, .arsQpvActionOutsideTerritory:
            .qpvActionRecorded
        case .arsActivityReported, .clsmGovernanceInactive, .arsCoordinatorVacant, .clsmQuatreQuartsNotInvolved:
            .clsmActivityReported
        }
    }

    /// Position in the contract's table.
    public var order: Int { Self.allCases.firstIndex(of: self)! }
}

public enum Severity: String, Sendable, Hashable, Codable, CaseIterable {
    case info, warning, action
}
