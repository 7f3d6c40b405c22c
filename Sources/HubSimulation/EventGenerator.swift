import HubDomain

/// The generator behind `SyntheticEventStream.Iterator`: the territory's indices, what it
/// already emitted (current declarations, proposals, recent actions, PTSM versions), and
/// one seeded random stream.
struct EventGenerator: Sendable {
    // Fixed.
    let seed: UInt64
    let count: Int
    let options: SyntheticStreamOptions
    let reference: ReferenceDataDocument
    let editions: [SismEdition]
    let clsmIds: [String]
    let communesByDepartement: [String: [String]]
    let qpvsByCommune: [String: [String]]
    let qpvCodes: [String]
    let asvs: [Asv]
    /// CLS with at least one QPV in their communes, and those QPVs.
    let clsWithQpvs: [(id: String, qpvs: [String])]
    let departementNames: [String: String]
    /// For each CLSM, its communes that another CLSM also covers (where clashes happen).
    let sharedCommunes: [String: [String]]
    let departementRegions: [String: String]
    let setup: [SetupItem]
    let activityCount: Int

    // State.
    var random: SeededRandom
    var sequence = 0
    var declarations: [String: ClsmDeclared]
    var proposals: [String: SismEventProposed] = [:]
    /// Proposal ids by edition and CLSM, in creation order.
    var proposalIds: [Int: [String: [String]]] = [:]
    /// Proposal ids by (edition, commune): clash candidates.
    var schedule: [SismScheduleKey: [String]] = [:]
    var proposalLimits: [String: Int] = [:]
    var ptsmVersions: [String: Int] = [:]
    /// The last version of each CLSM's report for a year.
    var reportVersions: [ActivityReportKey: Int] = [:]
    /// The last valid activity records (duplicates are re-sends of these).
    var recent: [SyntheticEvent] = []
    /// Recent QPV actions (updates take one of these).
    var recentActions: [QpvActionRecorded] = []
    var recentActionSources: [String] = []

    enum SetupItem: Sendable {
        case clsm(Int)
        case ptsm(departement: String, version: Int)
    }

    static func setupPlan(territory: SyntheticTerritory, seed: UInt64) -> [SetupItem] {
        var random = SeededRandom(seed: seed, stream: "setup")
        var items = territory.clsms.indices.map(SetupItem.clsm)
        for departement in territory.reference.departements {
            items.append(.ptsm(departement: departement.code, version: 1))
            if random.chance(0.15) { items.append(.ptsm(departement: departement.code, version: 2)) }
        }
        return items
    }

    init(territory: SyntheticTerritory, seed: UInt64, count: Int, options: SyntheticStreamOptions) {
        self.seed = seed
        self.count = count
        self.options = options
        let reference = territory.reference
        self.reference = reference
        editions = reference.sismEditions.sorted { $0.year < $1.year }
        precondition(!editions.isEmpty, "the territory has no SISM edition")
        clsmIds = territory.clsms.map(\.clsmId)
        declarations = Dictionary(uniqueKeysWithValues: territory.clsms.map { ($0.clsmId, $0) })
        var byDepartement: [String: [String]] = [:]
        for commune in reference.communes { byDepartement[commune.departement, default: []].append(commune.code) }
        communesByDepartement = byDepartement
        var byCommune: [String: [String]] = [:]
        for qpv in reference.qpvs {
            for commune in qpv.communes { byCommune[commune, default: []].append(qpv.code) }
        }
        qpvsByCommune = byCommune
        qpvCodes = reference.qpvs.map(\.code)
        asvs = reference.asvs
        clsWithQpvs = reference.cls.compactMap { cls in
            let qpvs = cls.communes.flatMap { byCommune[$0] ?? [] }
            return qpvs.isEmpty ? nil : (cls.id, qpvs)
        }
        var coveredBy: [String: Set<String>] = [:]
        for clsm in territory.clsms {
            for commune in clsm.communes { coveredBy[commune, default: []].insert(clsm.clsmId) }
        }
        var shared: [String: [String]] = [:]
        for (commune, ids) in coveredBy.sorted(by: { $0.key < $1.key }) where ids.count > 1 {
            for id in ids { shared[id, default: []].append(commune) }
        }
        sharedCommunes = shared
        departementNames = Dictionary(uniqueKeysWithValues: reference.departements.map { ($0.code, $0.name) })
        departementRegions = Dictionary(uniqueKeysWithValues: reference.departements.map { ($0.code, $0.region) })
        setup = Self.setupPlan(territory: territory, seed: seed)
        activityCount = max(0, count - setup.count)
        random = SeededRandom(seed: seed, stream: "events")
    }

    // MARK: - Iteration

    mutating func next() -> SyntheticEvent? {
        guard sequence < count else { return nil }
        defer { sequence += 1 }
        if sequence < setup.count {
            return setupEvent(setup[sequence])
        }
        let draw = random.unit()
        if draw < options.duplicateFraction, !recent.isEmpty {
            var copy = random.pick(recent)
            copy.sequence = sequence
            copy.expectation = .duplicate
            return copy
        }
        if draw < options.duplicateFraction + options.invalidFraction {
            return invalidEvent()
        }
        let event = activityEvent()
        remember(event)
        return event
    }

    mutating func remember(_ event: SyntheticEvent) {
        if recent.count < 64 {
            recent.append(event)
        } else {
            recent[sequence % 64] = event
        }
    }

    // MARK: - Time

    /// The instant of record `sequence`: set-up records ten minutes apart from 2 June
    /// 2014; activity records spread evenly over each edition's epoch (from 200 days before
    /// its window, when CLSMs start planning, to 10 days after it).
    func time(of sequence: Int) -> Int64 {
        let setupStart = SyntheticTime.epochSeconds(parisDate: CalendarDate(year: 2014, month: 6, day: 2)!, hour: 9, minute: 0)
        if sequence < setup.count { return setupStart + Int64(sequence) * 600 }
        let (edition, position, length) = epoch(of: sequence)
        let start = SyntheticTime.epochSeconds(
            parisDate: CalendarDate(daysSinceEpoch: edition.startsOn.daysSinceEpoch - 200), hour: 8, minute: 0)
        let end = SyntheticTime.epochSeconds(
            parisDate: CalendarDate(daysSinceEpoch: edition.endsOn.daysSinceEpoch + 10), hour: 20, minute: 0)
        let span = end - start
        return start + span * Int64(position) / Int64(max(1, length))
    }

    /// The edition of an activity record, its position within the epoch and the epoch's length.
    func epoch(of sequence: Int) -> (SismEdition, Int, Int) {
        let index = sequence - setup.count
        let epochs = editions.count
        let e = min(epochs - 1, index * epochs / max(1, activityCount))
        let start = (e * activityCount + epochs - 1) / epochs
        let end = ((e + 1) * activityCount + epochs - 1) / epochs
        return (editions[e], index - start, max(1, end - start))
    }

    func envelope(source: String, type: InboundTopic, payload: InboundEvent) -> CloudEvent {
        CloudEvent(
            id: "synthetic-\(seed)-\(sequence)", source: source, type: type.eventType,
            time: SyntheticTime.timestamp(epochSeconds: time(of: sequence)), data: payload.json())
    }

    func event(
        _ payload: InboundEvent, source: String, phase: SyntheticEvent.Phase, expectation: SyntheticEvent.Expectation = .applied
    ) -> SyntheticEvent {
        SyntheticEvent(
            sequence: sequence, phase: phase, topic: payload.topic.rawValue, key: payload.partitionKey,
            cloudEvent: envelope(source: source, type: payload.topic, payload: payload), expectation: expectation)
    }

    static func clsmSource(_ clsmId: String) -> String { "urn:synthetic:clsm-tool:\(clsmId)" }
}
