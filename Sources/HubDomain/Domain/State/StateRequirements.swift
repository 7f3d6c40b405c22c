/// What the rules engine reads to decide on one event: the slice of state a worker must
/// load from storage. `RulesEngine.requirements(for:)` computes it from the event alone.
///
/// **Contract.** `RulesEngine.decide(event, in: state)` gives the same decision for every
/// `state` that contains at least `slice(requirements)` of the full state (extra rows do no
/// harm; missing rows do). Each field says exactly which rows it asks for, so storage can
/// mirror `HubState.slice(_:)` with SQL; several fields are *neighbourhoods* resolved by a
/// join because the event does not name every row the rules read (e.g. a QPV action names
/// the QPV, the rules also need the CLS of its commune).
public struct StateRequirements: Sendable, Hashable {
    /// Whether these events were already processed (`processedEvents` membership).
    public var events: Set<EventIdentity> = []

    // Reference rows by key.
    /// Region rows.
    public var regions: Set<String> = []
    /// Département rows.
    public var departements: Set<String> = []
    /// Commune rows, each with its département row.
    public var communes: Set<String> = []
    /// SISM edition rows by year.
    public var sismEditions: Set<Int> = []
    /// CLS rows by id.
    public var cls: Set<String> = []
    /// ASV rows by id.
    public var asvs: Set<String> = []
    /// Registered source rows by `ce_source`, with whether any source is registered at all.
    public var sources: Set<String> = []

    // Hub records by key.
    /// CLSM records by id.
    public var clsms: Set<String> = []
    /// PTSM records by id.
    public var ptsms: Set<String> = []
    /// SISM proposal records by id, each with the tally of the programme it counts in.
    public var sismProposals: Set<String> = []
    /// QPV action records by id.
    public var qpvActions: Set<String> = []
    /// Activity report records by CLSM and year.
    public var activityReports: Set<ActivityReportKey> = []

    // Neighbourhoods.
    /// For each commune code: the commune row with its département row; the QPV rows lying
    /// in the commune and the ASV rows serving any of them; the CLS rows covering it; the
    /// CLSM records covering it; the PTSM records whose départements include the commune's
    /// département.
    public var communeSurroundings: Set<String> = []
    /// For each QPV code: the QPV row; its commune rows with their département rows; the ASV
    /// rows serving it; the CLS rows covering one of its communes or a code that meets one
    /// (`MunicipalArrondissements.related`: a commune's arrondissements, an arrondissement's
    /// commune). The rules widen `communeSurroundings` with the same codes themselves.
    public var qpvSurroundings: Set<String> = []
    /// CLSM records whose `departements` intersect these codes.
    public var clsmsInDepartements: Set<String> = []
    /// SISM proposal records of that edition in that commune (clash detection).
    public var sismSchedules: Set<SismScheduleKey> = []
    /// The tally of the SISM programme of that edition in the region of that CLSM (read
    /// from the CLSM record): the regional programme the proposal counts in.
    public var sismProgrammes: Set<SismProgrammeKey> = []

    public init() {}

    /// Field-wise union (a batch of events can be loaded in one go).
    public func union(_ other: StateRequirements) -> StateRequirements {
        var result = self
        result.formUnion(other)
        return result
    }

    /// Field-wise union in place: gathering a batch's requirements this way does not copy
    /// the growing sets once per event.
    public mutating func formUnion(_ other: StateRequirements) {
        events.formUnion(other.events)
        regions.formUnion(other.regions)
        departements.formUnion(other.departements)
        communes.formUnion(other.communes)
        sismEditions.formUnion(other.sismEditions)
        cls.formUnion(other.cls)
        asvs.formUnion(other.asvs)
        sources.formUnion(other.sources)
        clsms.formUnion(other.clsms)
        ptsms.formUnion(other.ptsms)
        sismProposals.formUnion(other.sismProposals)
        qpvActions.formUnion(other.qpvActions)
        activityReports.formUnion(other.activityReports)
        communeSurroundings.formUnion(other.communeSurroundings)
        qpvSurroundings.formUnion(other.qpvSurroundings)
        clsmsInDepartements.formUnion(other.clsmsInDepartements)
        sismSchedules.formUnion(other.sismSchedules)
        sismProgrammes.formUnion(other.sismProgrammes)
    }
}

public struct SismScheduleKey: Sendable, Hashable, Codable {
    public var edition: Int
    public var commune: String

    public init(edition: Int, commune: String) {
        self.edition = edition
        self.commune = commune
    }
}

public struct SismProgrammeKey: Sendable, Hashable, Codable {
    public var edition: Int
    /// The region is the one of this CLSM's record.
    public var clsmId: String

    public init(edition: Int, clsmId: String) {
        self.edition = edition
        self.clsmId = clsmId
    }
}

extension HubState {
    /// The part of this state that `requirements` asks for, and nothing else: the in-memory
    /// reference for storage's loading queries (and the test that the engine reads no more).
    public func slice(_ requirements: StateRequirements) -> HubState {
        var slice = HubState()
        let reference = self.reference
        func takeCommune(_ code: String) { copyCommune(code, into: &slice) }

        copyNamedRows(requirements, into: &slice)
        slice.processedEvents = processedEvents.intersection(requirements.events)
        for id in requirements.qpvActions { slice.qpvActions[id] = qpvActions[id] }

        for code in requirements.communeSurroundings {
            takeCommune(code)
            for qpv in reference.qpvs.values where qpv.communes.contains(code) {
                slice.reference.qpvs[qpv.code] = qpv
                for asv in reference.asvs.values where asv.qpvs.contains(qpv.code) { slice.reference.asvs[asv.id] = asv }
            }
            for cls in reference.cls.values where cls.communes.contains(code) { slice.reference.cls[cls.id] = cls }
            for record in clsms.values where record.declaration.communes.contains(code) { slice.clsms[record.id] = record }
            if let departement = reference.communes[code]?.departement {
                for record in ptsms.values where record.diagnostic.departements.contains(departement) {
                    slice.ptsms[record.id] = record
                }
            }
        }
        for code in requirements.qpvSurroundings {
            guard let qpv = reference.qpvs[code] else { continue }
            slice.reference.qpvs[code] = qpv
            qpv.communes.forEach(takeCommune)
            for asv in reference.asvs.values where asv.qpvs.contains(code) { slice.reference.asvs[asv.id] = asv }
            let around = MunicipalArrondissements.related(qpv.communes)
            for cls in reference.cls.values where !around.isDisjoint(with: cls.communes) {
                slice.reference.cls[cls.id] = cls
            }
        }
        for record in clsms.values where !record.departements.isDisjoint(with: requirements.clsmsInDepartements) {
            slice.clsms[record.id] = record
        }
        for key in requirements.sismSchedules {
            for record in sismProposals.values where record.proposal.edition == key.edition && record.proposal.commune == key.commune {
                slice.sismProposals[record.id] = record
            }
        }
        for key in requirements.sismProgrammes {
            guard let region = clsms[key.clsmId]?.declaration.region else { continue }
            let programme = SismProgrammeId(edition: key.edition, region: region)
            slice.sismProgrammes[programme] = sismProgrammes[programme]
        }
        return slice
    }

    /// Copies the commune row `code`, with its département row, into `slice`.
    func copyCommune(_ code: String, into slice: inout HubState) {
        guard let commune = reference.communes[code] else { return }
        slice.reference.communes[code] = commune
        if let departement = reference.departements[commune.departement] {
            slice.reference.departements[departement.code] = departement
        }
    }

    /// Copies the reference rows and records `requirements` names by key into `slice` (not
    /// the processed events, QPV actions or neighbourhoods): the part of `slice(_:)` that
    /// `ResidentState.slice(_:)` shares.
    func copyNamedRows(_ requirements: StateRequirements, into slice: inout HubState) {
        for code in requirements.regions { slice.reference.regions[code] = reference.regions[code] }
        for code in requirements.departements { slice.reference.departements[code] = reference.departements[code] }
        for code in requirements.communes { copyCommune(code, into: &slice) }
        for year in requirements.sismEditions { slice.reference.sismEditions[year] = reference.sismEditions[year] }
        for id in requirements.cls { slice.reference.cls[id] = reference.cls[id] }
        for id in requirements.asvs { slice.reference.asvs[id] = reference.asvs[id] }
        for source in requirements.sources { slice.reference.sources[source] = reference.sources[source] }
        slice.reference.someSourceRegistered = reference.someSourceRegistered
        for id in requirements.clsms { slice.clsms[id] = clsms[id] }
        for id in requirements.ptsms { slice.ptsms[id] = ptsms[id] }
        for key in requirements.activityReports { slice.activityReports[key] = activityReports[key] }
        for id in requirements.sismProposals {
            guard let record = sismProposals[id] else { continue }
            slice.sismProposals[id] = record
            let programme = SismProgrammeId(of: record)
            slice.sismProgrammes[programme] = sismProgrammes[programme]
        }
    }
}
