/// What the hub keeps about each subject between events. Besides the last payload, records
/// remember what articulation has already been notified, so that an update notifies only
/// what changed (the contract's rule) without re-reading the history.

/// A declared CLSM.
public struct ClsmRecord: Sendable, Hashable, Codable {
    public var declaration: ClsmDeclared
    /// The event that last changed the declaration.
    public var lastEvent: EventIdentity
    /// Départements of its communes, resolved from reference data at declaration time and
    /// kept so that a PTSM diagnostic finds the CLSMs of its territory without commune rows.
    public var departements: Set<String>
    /// Articulation already notified (see `ClsmArticulation`).
    public var articulation: ClsmArticulation

    public init(declaration: ClsmDeclared, lastEvent: EventIdentity, departements: Set<String>, articulation: ClsmArticulation) {
        self.declaration = declaration
        self.lastEvent = lastEvent
        self.departements = departements
        self.articulation = articulation
    }

    public var id: String { declaration.clsmId }
    public var isActive: Bool { declaration.status == .active }
    public var communes: Set<String> { Set(declaration.communes) }
    public var workingGroups: Set<ThemeCode> { Set(declaration.workingGroups ?? []) }
}

/// The articulation of a CLSM as last notified. Each rule compares the current picture
/// with this and notifies only the difference.
public struct ClsmArticulation: Sendable, Hashable, Codable {
    /// PTSMs told about this CLSM (`ptsm.clsm.onTerritory`).
    public var ptsms: Set<String> = []
    /// CLS id -> shared communes told (`cls.clsm.overlap`).
    public var cls: [String: Set<String>] = [:]
    /// ASV id -> covered QPVs told (`asv.clsm.coversQpv`).
    public var asvs: [String: Set<String>] = [:]
    /// Covered QPVs without ASV reported to the ARS (`ars.qpv.withoutAsv`).
    public var qpvsWithoutAsv: Set<String> = []
    /// Other CLSM id -> communes in common, already reported (`clsm.territory.overlap`).
    /// Written on both sides when reported; a CLSM's own declaration resets its side to the
    /// current overlaps. An overlap counts as reported only when *both* sides hold it, so an
    /// overlap that ended and came back is reported again.
    public var overlaps: [String: Set<String>] = [:]
    /// Missing "quatre quarts" members last reported (`clsm.governance.incomplete`).
    public var missingMembers: Set<GovernanceMember> = []
    /// Whether `clsm.childPsychiatry.absent` was sent for the current declaration.
    public var childPsychiatryAbsent: Bool = false

    public init() {}
}

/// The latest diagnostic of a PTSM.
public struct PtsmRecord: Sendable, Hashable, Codable {
    public var diagnostic: PtsmDiagnosticPublished
    public var lastEvent: EventIdentity
    /// Priority -> active CLSMs without a working group on it, as last reported
    /// (`ars.ptsm.priorityUncovered`).
    public var uncoveredPriorities: [ThemeCode: Set<String>]

    public init(diagnostic: PtsmDiagnosticPublished, lastEvent: EventIdentity, uncoveredPriorities: [ThemeCode: Set<String>]) {
        self.diagnostic = diagnostic
        self.lastEvent = lastEvent
        self.uncoveredPriorities = uncoveredPriorities
    }

    public var id: String { diagnostic.ptsmId }
    public var departements: Set<String> { Set(diagnostic.departements) }
}

/// Why a SISM proposal was refused (a business answer, not a dead letter).
public enum SismRejectionReason: String, Sendable, Hashable, Codable, DeclarationOrdered {
    case clsmNotActive
    case outsideEditionWindow
    case communeOutsideTerritory
}

/// A SISM proposal and the hub's answer to it.
public struct SismProposalRecord: Sendable, Hashable, Codable {
    public var proposal: SismEventProposed
    public var lastEvent: EventIdentity
    /// Region of the proposing CLSM (the regional programme it counts in).
    public var region: String
    /// Empty when accepted.
    public var rejectionReasons: [SismRejectionReason]
    /// Proposal ids this one clashes with, as of its last evaluation, written on both sides
    /// when reported (`sism.schedule.clash`). A clash counts as reported only when both
    /// sides hold it, so a clash that was resolved and came back is reported again.
    public var notifiedClashes: Set<String>

    public init(
        proposal: SismEventProposed, lastEvent: EventIdentity, region: String, rejectionReasons: [SismRejectionReason],
        notifiedClashes: Set<String>
    ) {
        self.proposal = proposal
        self.lastEvent = lastEvent
        self.region = region
        self.rejectionReasons = rejectionReasons
        self.notifiedClashes = notifiedClashes
    }

    public var id: String { proposal.proposalId }
    public var isAccepted: Bool { rejectionReasons.isEmpty }
    /// In the programme: accepted and not cancelled. Only these count and clash.
    public var isScheduled: Bool { isAccepted && !proposal.isCancelled }
}

/// A recorded QPV action.
public struct QpvActionRecord: Sendable, Hashable, Codable {
    public var action: QpvActionRecorded
    public var lastEvent: EventIdentity

    public init(action: QpvActionRecorded, lastEvent: EventIdentity) {
        self.action = action
        self.lastEvent = lastEvent
    }

    public var id: String { action.actionId }
}

/// The latest activity report of a CLSM for one year (`clsm.activity.reported`): a report
/// replaces the stored one only with a newer `version`.
public struct ActivityReportRecord: Sendable, Hashable, Codable {
    public var report: ClsmActivityReported
    /// The CLSM's region when the report was recorded (which ARS it belongs to).
    public var region: String
    /// The event that recorded this version.
    public var lastEvent: EventIdentity

    public init(report: ClsmActivityReported, region: String, lastEvent: EventIdentity) {
        self.report = report
        self.region = region
        self.lastEvent = lastEvent
    }

    public var id: ActivityReportKey { report.key }
}
