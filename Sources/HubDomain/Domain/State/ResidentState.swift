/// The state a worker keeps in memory from one batch to the next: every reference row and
/// every record except QPV actions and processed events (those grow with the stream and are
/// read by key, so they stay in PostgreSQL), with indexes that answer `slice(_:)` without
/// scanning whole tables, and optionally a `ProcessedEventFilter` that tells which events
/// are certainly new, so that only the others are looked up in the inbox.
///
/// On a national stream a batch's neighbourhood is most of the CLSMs and a good part of
/// the reference rows: reading and decoding them again for every batch would repeat the
/// same work each time. Whether the copy is still the stored state is the
/// storage's business (see `StateVersion`); this type only has to slice like `HubState`.
///
/// **Contract.** For every `requirements`, `slice(requirements)` equals
/// `state.slice(requirements)` without its QPV actions and processed events, where `state`
/// is the state this was built from with the same changes applied.
public struct ResidentState: Sendable {
    /// The resident part of the state (no QPV actions, no processed events).
    public private(set) var state: HubState

    // Indexes: key -> ids (or codes) of the rows that the slice's neighbourhoods look up.
    private var qpvsByCommune: [String: Set<String>] = [:]
    private var asvsByQpv: [String: Set<String>] = [:]
    private var clsByCommune: [String: Set<String>] = [:]
    private var clsmsByCommune: [String: Set<String>] = [:]
    private var clsmsByDepartement: [String: Set<String>] = [:]
    private var ptsmsByDepartement: [String: Set<String>] = [:]
    private var proposalsBySchedule: [SismScheduleKey: Set<String>] = [:]
    /// Every processed event's identity (and rarely others), when known: see
    /// `processedEventsToLookUp`.
    public private(set) var processedEvents: ProcessedEventFilter?

    /// Keeps `state`'s resident part (its QPV actions and processed events are left out).
    public init(_ state: HubState) {
        self.state = state
        self.state.qpvActions = [:]
        self.state.processedEvents = []
        indexReference()
        for record in state.clsms.values { index(record, adding: true) }
        for record in state.ptsms.values { index(record, adding: true) }
        for record in state.sismProposals.values { index(record, adding: true) }
    }

    /// Whether `change` is to the resident part (not to QPV actions or processed events).
    public static func holds(_ change: StateChange) -> Bool {
        switch change {
        case .markProcessed, .putQpvAction: false
        default: true
        }
    }

    /// From now on, `filter` answers for processed events: it must hold every identity
    /// processed in the state this was built from (the inbox and the event log it was read
    /// with: the inbox may have been purged of old identities the log still has), and
    /// `apply` adds those processed after.
    public mutating func knowProcessedEvents(_ filter: ProcessedEventFilter) {
        processedEvents = filter
    }

    /// Of `events`, those that may have been processed and must be looked up in the inbox:
    /// all of them without a filter, only the filter's "maybe"s with one.
    public func processedEventsToLookUp(_ events: Set<EventIdentity>) -> Set<EventIdentity> {
        guard let processedEvents else { return events }
        return events.filter(processedEvents.mightContain)
    }

    /// Applies changes as `HubState.apply` does, keeping the indexes; those it does not
    /// hold (QPV actions, processed events) are ignored, except that processed events go
    /// to the filter, if any.
    public mutating func apply(_ changes: [StateChange]) {
        if processedEvents != nil {
            for case .markProcessed(let identity) in changes { processedEvents?.insert(identity) }
        }
        for change in changes where Self.holds(change) {
            switch change {
            case .putClsm(let record):
                if let old = state.clsms[record.id] { index(old, adding: false) }
                index(record, adding: true)
            case .putPtsm(let record):
                if let old = state.ptsms[record.id] { index(old, adding: false) }
                index(record, adding: true)
            case .putSismProposal(let record):
                if let old = state.sismProposals[record.id] { index(old, adding: false) }
                index(record, adding: true)
            case .recordOverlap, .recordClash, .putSismProgramme, .putActivityReport, .importReference, .markProcessed, .putQpvAction:
                break  // no indexed field changes (reference: re-indexed below; the last two are not held)
            }
            state.apply([change])
            if case .importReference = change { indexReference() }
        }
    }

    /// The whole slice `requirements` asks for: the resident part from here, the processed
    /// events and QPV actions it names from `nonResident` (the rest of the state, or just
    /// those rows as `StateStore.loadNonResident` reads them).
    public func slice(_ requirements: StateRequirements, completedWith nonResident: HubState) -> HubState {
        var slice = slice(requirements)
        slice.processedEvents = nonResident.processedEvents.intersection(requirements.events)
        for id in requirements.qpvActions { slice.qpvActions[id] = nonResident.qpvActions[id] }
        return slice
    }

    /// The slice `requirements` asks for, as `HubState.slice(_:)` gives it (see the contract).
    public func slice(_ requirements: StateRequirements) -> HubState {
        var slice = HubState()
        let reference = state.reference

        func takeCommune(_ code: String) { state.copyCommune(code, into: &slice) }
        func takeQpv(_ code: String) {
            guard let qpv = reference.qpvs[code] else { return }
            slice.reference.qpvs[code] = qpv
            for id in asvsByQpv[code, default: []] { slice.reference.asvs[id] = reference.asvs[id] }
        }
        func takeCls(coveringCommune code: String) {
            for id in clsByCommune[code, default: []] { slice.reference.cls[id] = reference.cls[id] }
        }
        func takeClsm(_ id: String) {
            if let record = state.clsms[id] { slice.clsms[id] = record }
        }

        state.copyNamedRows(requirements, into: &slice)
        for code in requirements.communeSurroundings {
            takeCommune(code)
            for qpv in qpvsByCommune[code, default: []] { takeQpv(qpv) }
            takeCls(coveringCommune: code)
            for id in clsmsByCommune[code, default: []] { takeClsm(id) }
            if let departement = reference.communes[code]?.departement {
                for id in ptsmsByDepartement[departement, default: []] { slice.ptsms[id] = state.ptsms[id] }
            }
        }
        for code in requirements.qpvSurroundings {
            guard let qpv = reference.qpvs[code] else { continue }
            takeQpv(code)
            qpv.communes.forEach(takeCommune)
            MunicipalArrondissements.related(qpv.communes).forEach(takeCls(coveringCommune:))
        }
        for departement in requirements.clsmsInDepartements {
            for id in clsmsByDepartement[departement, default: []] { takeClsm(id) }
        }
        for key in requirements.sismSchedules {
            for id in proposalsBySchedule[key, default: []] { slice.sismProposals[id] = state.sismProposals[id] }
        }
        for key in requirements.sismProgrammes {
            guard let region = state.clsms[key.clsmId]?.declaration.region else { continue }
            let programme = SismProgrammeId(edition: key.edition, region: region)
            slice.sismProgrammes[programme] = state.sismProgrammes[programme]
        }
        return slice
    }

    // MARK: Indexes

    private mutating func indexReference() {
        qpvsByCommune = [:]
        asvsByQpv = [:]
        clsByCommune = [:]
        for qpv in state.reference.qpvs.values {
            for commune in qpv.communes { qpvsByCommune[commune, default: []].insert(qpv.code) }
        }
        for asv in state.reference.asvs.values {
            for qpv in asv.qpvs { asvsByQpv[qpv, default: []].insert(asv.id) }
        }
        for cls in state.reference.cls.values {
            for commune in cls.communes { clsByCommune[commune, default: []].insert(cls.id) }
        }
    }

    private mutating func index(_ record: ClsmRecord, adding: Bool) {
        for commune in record.declaration.communes { Self.update(&clsmsByCommune, commune, record.id, adding) }
        for departement in record.departements { Self.update(&clsmsByDepartement, departement, record.id, adding) }
    }

    private mutating func index(_ record: PtsmRecord, adding: Bool) {
        for departement in record.diagnostic.departements { Self.update(&ptsmsByDepartement, departement, record.id, adding) }
    }

    private mutating func index(_ record: SismProposalRecord, adding: Bool) {
        let key = SismScheduleKey(edition: record.proposal.edition, commune: record.proposal.commune)
        Self.update(&proposalsBySchedule, key, record.id, adding)
    }

    private static func update<Key: Hashable>(_ index: inout [Key: Set<String>], _ key: Key, _ id: String, _ adding: Bool) {
        if adding {
            index[key, default: []].insert(id)
        } else {
            index[key]?.remove(id)
            if index[key]?.isEmpty == true { index[key] = nil }
        }
    }
}
