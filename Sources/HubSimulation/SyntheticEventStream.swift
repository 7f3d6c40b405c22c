import HubDomain


/// Knobs of a synthetic stream.
public struct SyntheticStreamOptions: Sendable, Hashable {
    /// Share of activity records replaced by an invalid one (malformed JSON, unknown field,
    /// personal data, unknown commune or QPV, malformed envelope, unsupported type), to
    /// exercise dead letters. Invalid records never change what later records refer to.
    public var invalidFraction: Double
    /// Share of activity records that are the exact re-send of a recent valid record (same
    /// `ce_source`/`ce_id`, same bytes).
    public var duplicateFraction: Double
    /// Shares of the valid activity records (normalised): SISM proposals, QPV actions,
    /// CLSM re-declarations, new PTSM diagnostic versions.
    public var sismShare: Double
    public var qpvActionShare: Double
    public var clsmUpdateShare: Double
    public var ptsmShare: Double
    /// Most distinct SISM proposals one CLSM makes for one edition (each CLSM draws its own
    /// limit in 3...this). Beyond it, its SISM records update or cancel earlier proposals:
    /// the regional programme of an (edition, region), which the rules read on every
    /// proposal, stays bounded (a few hundred proposals).
    public var maxProposalsPerClsmAndEdition: Int

    public init(
        invalidFraction: Double = 0, duplicateFraction: Double = 0, sismShare: Double = 0.40,
        qpvActionShare: Double = 0.54, clsmUpdateShare: Double = 0.04, ptsmShare: Double = 0.02,
        maxProposalsPerClsmAndEdition: Int = 12
    ) {
        precondition((0...1).contains(invalidFraction) && (0...1).contains(duplicateFraction) && invalidFraction + duplicateFraction <= 1)
        precondition(maxProposalsPerClsmAndEdition >= 3)
        self.invalidFraction = invalidFraction
        self.duplicateFraction = duplicateFraction
        self.sismShare = sismShare
        self.qpvActionShare = qpvActionShare
        self.clsmUpdateShare = clsmUpdateShare
        self.ptsmShare = ptsmShare
        self.maxProposalsPerClsmAndEdition = maxProposalsPerClsmAndEdition
    }
}

/// A deterministic stream of `count` synthetic records over a `SyntheticTerritory`:
///
/// 1. **set-up**: every CLSM declaration, then one PTSM diagnostic per département (some
///    followed at once by a version 2);
/// 2. **activity**, in chronological epochs, one per SISM edition: SISM proposals for that
///    edition (mostly accepted; some outside the window, in a commune outside the CLSM's
///    territory, from a CLSM not active, clashing with another CLSM's event; updates and
///    cancellations of earlier ones), QPV actions recorded by CLSMs, ASVs and CLS (some by a
///    CLSM outside its territory), CLSM re-declarations, new PTSM versions (and a few stale
///    re-sends), plus the invalid records and duplicates the options ask for.
///
/// `ce_id` is `synthetic-<seed>-<sequence>`; `ce_time` is derived from the position in the
/// stream (Europe/Paris wall clock). The same territory, seed, count and options give the
/// same records byte for byte. Iterating is lazy: a million records need no more memory
/// than the generator's bounded state.
///
/// Processed in order on `HubState(reference: territory.reference)`, every record marked
/// `.applied`/`.stale` decodes and is decided without `unknown_reference`.
public struct SyntheticEventStream: Sequence, Sendable {
    public var territory: SyntheticTerritory
    public var seed: UInt64
    public var count: Int
    public var options: SyntheticStreamOptions

    public init(territory: SyntheticTerritory, seed: UInt64, count: Int, options: SyntheticStreamOptions = SyntheticStreamOptions()) {
        precondition(count >= 0)
        self.territory = territory
        self.seed = seed
        self.count = count
        self.options = options
    }

    /// Number of set-up records (CLSM declarations and initial PTSM diagnostics) at the head
    /// of the stream (capped by `count`).
    public var setupCount: Int { Swift.min(count, EventGenerator.setupPlan(territory: territory, seed: seed).count) }

    public func makeIterator() -> Iterator {
        Iterator(generator: EventGenerator(territory: territory, seed: seed, count: count, options: options))
    }

    public struct Iterator: IteratorProtocol, Sendable {
        var generator: EventGenerator

        public mutating func next() -> SyntheticEvent? { generator.next() }
    }
}

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
        let start = SyntheticTime.epochSeconds(parisDate: CalendarDate(daysSinceEpoch: edition.startsOn.daysSinceEpoch - 200), hour: 8, minute: 0)
        let end = SyntheticTime.epochSeconds(parisDate: CalendarDate(daysSinceEpoch: edition.endsOn.daysSinceEpoch + 10), hour: 20, minute: 0)
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

    func event(_ payload: InboundEvent, source: String, phase: SyntheticEvent.Phase, expectation: SyntheticEvent.Expectation = .applied) -> SyntheticEvent {
        SyntheticEvent(
            sequence: sequence, phase: phase, topic: payload.topic.rawValue, key: payload.partitionKey,
            cloudEvent: envelope(source: source, type: payload.topic, payload: payload), expectation: expectation)
    }

    static func clsmSource(_ clsmId: String) -> String { "urn:synthetic:clsm-tool:\(clsmId)" }

    // MARK: - Set-up

    mutating func setupEvent(_ item: SetupItem) -> SyntheticEvent {
        switch item {
        case .clsm(let index):
            let declaration = declarations[clsmIds[index]]!
            return event(.clsmDeclared(declaration), source: Self.clsmSource(declaration.clsmId), phase: .setup)
        case .ptsm(let departement, let version):
            return ptsmEvent(departement: departement, version: version, phase: .setup)
        }
    }

    mutating func ptsmEvent(departement: String, version: Int, phase: SyntheticEvent.Phase) -> SyntheticEvent {
        let current = ptsmVersions[departement] ?? 0
        let expectation: SyntheticEvent.Expectation = version > current ? .applied : .stale
        ptsmVersions[departement] = max(current, version)
        let priorities = random.sample(SyntheticTerritory.Rates.workingGroups.filter { $0.0 != .other }.map(\.0), count: random.int(3...6))
        let publishedOn = SyntheticTime.parisDate(epochSeconds: time(of: sequence))
        let id = "ptsm-synth-\(departement)"
        let payload = PtsmDiagnosticPublished(
            ptsmId: id, name: "PTSM synthétique \(departement) (\(departementNames[departement]!))",
            region: departementRegions[departement]!, departements: [departement], version: version,
            publishedOn: publishedOn, priorities: priorities,
            documentUrl: "https://example.org/synthetic/\(id)/diagnostic-v\(version).pdf")
        return event(.ptsmDiagnosticPublished(payload), source: "urn:synthetic:ptsm:\(departement)", phase: phase, expectation: expectation)
    }

    // MARK: - Activity

    mutating func activityEvent() -> SyntheticEvent {
        let shares = [options.sismShare, options.qpvActionShare, options.clsmUpdateShare, options.ptsmShare]
        switch random.weightedIndex(shares) {
        case 0: return sismEvent()
        case 1: return qpvActionEvent() ?? sismEvent()
        case 2: return clsmUpdateEvent()
        default:
            let departement = random.pick(reference.departements).code
            let current = ptsmVersions[departement] ?? 0
            // One in ten is a re-send of an older version (stale: changes nothing).
            let version = current >= 2 && random.chance(0.1) ? random.int(1...(current - 1)) : current + 1
            return ptsmEvent(departement: departement, version: version, phase: .activity)
        }
    }

    // MARK: SISM

    static let sismTitles = [
        "Ciné-débat : grandir dans la ville", "Conférence : logement et santé mentale", "Exposition « Regards croisés »",
        "Atelier d'écriture", "Stand d'information au marché", "Course solidaire pour la santé mentale",
        "La santé mentale dans mon quartier", "Théâtre-forum : parlons-en", "Café-rencontre des aidants",
        "Table ronde : droits des usagers", "Portes ouvertes du GEM", "Balade urbaine et bien-être",
    ]
    static let venues = [
        "Médiathèque", "Maison de quartier", "Salle des fêtes", "Centre social", "Cinéma municipal", "Gymnase",
        "Hôtel de ville", "Place du marché", "Maison des associations", "Centre culturel",
    ]
    static let audiences = [
        "grand public", "professionnels", "habitants du quartier", "jeunes et familles", "élus et partenaires",
        "aidants", "professionnels du logement", "scolaires",
    ]

    mutating func sismEvent() -> SyntheticEvent {
        let (edition, _, _) = epoch(of: sequence)
        // Most proposals come from active CLSMs with a SISM working group (one in fifty from
        // any CLSM, which a CLSM not active gets refused).
        var clsmId = random.pick(clsmIds)
        if !random.chance(0.02) {
            for _ in 0..<20 {
                let declaration = declarations[clsmId]!
                if declaration.status == .active, (declaration.workingGroups ?? []).contains(.sism) || random.chance(0.2) { break }
                clsmId = random.pick(clsmIds)
            }
        }
        let year = edition.year
        let existing = proposalIds[year]?[clsmId] ?? []
        let limit = proposalLimit(clsmId: clsmId, year: year)
        let draw = random.unit()
        let proposal: SismEventProposed
        if existing.isEmpty || (draw < 0.62 && existing.count < limit) {
            proposal = newProposal(clsmId: clsmId, edition: edition, number: existing.count + 1)
            proposalIds[year, default: [:]][clsmId, default: []].append(proposal.proposalId)
            schedule[SismScheduleKey(edition: year, commune: proposal.commune), default: []].append(proposal.proposalId)
        } else if draw < 0.93 {
            proposal = updatedProposal(proposals[random.pick(existing)]!)
        } else {
            var cancelled = proposals[random.pick(existing)]!
            if cancelled.isCancelled {
                proposal = updatedProposal(cancelled)
            } else {
                cancelled.cancelled = true
                proposal = cancelled
            }
        }
        proposals[proposal.proposalId] = proposal
        return event(.sismEventProposed(proposal), source: Self.clsmSource(clsmId), phase: .activity)
    }

    mutating func proposalLimit(clsmId: String, year: Int) -> Int {
        let key = "\(year)|\(clsmId)"
        if let limit = proposalLimits[key] { return limit }
        let limit = random.int(3...options.maxProposalsPerClsmAndEdition)
        proposalLimits[key] = limit
        return limit
    }

    mutating func newProposal(clsmId: String, edition: SismEdition, number: Int) -> SismEventProposed {
        let clsm = declarations[clsmId]!
        let year = edition.year
        let proposalId = "sism-\(year)-\(clsmId)-\(number)"
        // Commune: one of its own, often one it shares with another CLSM (3%: a neighbouring
        // commune outside its territory).
        var commune = random.pick(clsm.communes)
        if let shared = sharedCommunes[clsmId], random.chance(0.5) {
            commune = random.pick(shared)
        } else if random.chance(0.03) {
            let departement = String(commune.prefix(commune.hasPrefix("97") ? 3 : 2))
            let outside = (communesByDepartement[departement] ?? []).filter { !clsm.communes.contains($0) }
            if !outside.isEmpty { commune = random.pick(outside) }
        }
        // Time: in the window (4%: outside, half of those crossing midnight on the last day).
        let span = edition.endsOn.daysSinceEpoch - edition.startsOn.daysSinceEpoch
        var startsAt: Timestamp
        var endsAt: Timestamp
        let timing = random.unit()
        if timing < 0.96 {
            let day = CalendarDate(daysSinceEpoch: edition.startsOn.daysSinceEpoch + random.int(0...span))
            let hour = random.int(9...19)
            let minutes = random.pick([0, 0, 15, 30, 30, 45])
            let start = SyntheticTime.epochSeconds(parisDate: day, hour: hour, minute: minutes)
            startsAt = SyntheticTime.timestamp(epochSeconds: start)
            endsAt = SyntheticTime.timestamp(epochSeconds: start + Int64(random.int(2...8)) * 1800)
        } else if timing < 0.98 {
            let start = SyntheticTime.epochSeconds(parisDate: edition.endsOn, hour: 22, minute: 0)
            startsAt = SyntheticTime.timestamp(epochSeconds: start)
            endsAt = SyntheticTime.timestamp(epochSeconds: start + 9000)  // 00:30 the next day
        } else {
            let offset = random.chance(0.5) ? -random.int(1...20) : span + random.int(1...20)
            let day = CalendarDate(daysSinceEpoch: edition.startsOn.daysSinceEpoch + offset)
            let start = SyntheticTime.epochSeconds(parisDate: day, hour: random.int(9...18), minute: 0)
            startsAt = SyntheticTime.timestamp(epochSeconds: start)
            endsAt = SyntheticTime.timestamp(epochSeconds: start + 7200)
        }
        // A clash: the same time as another CLSM's event in the same commune.
        if random.chance(0.3) {
            let others = (schedule[SismScheduleKey(edition: year, commune: commune)] ?? [])
                .compactMap { proposals[$0] }.filter { $0.clsmId != clsmId && !$0.isCancelled }
            if !others.isEmpty {
                let other = random.pick(others)
                startsAt = other.startsAt
                endsAt = other.endsAt
            }
        }
        let qpvs = qpvsByCommune[commune] ?? []
        let qpv = !qpvs.isEmpty && random.chance(0.35) ? random.pick(qpvs) : nil
        let format = random.pick(SismFormat.allCases)
        let themes: [ThemeCode]? = random.chance(0.5) ? random.sample(ThemeCode.allCases.filter { $0 != .other }, count: random.int(1...2)) : nil
        return SismEventProposed(
            proposalId: proposalId, clsmId: clsmId, edition: year, title: random.pick(Self.sismTitles), format: format,
            startsAt: startsAt, endsAt: endsAt, commune: commune,
            venue: "\(random.pick(Self.venues)) (lieu synthétique, \(commune))", audience: random.pick(Self.audiences),
            themes: themes, qpv: qpv, cancelled: nil)
    }

    /// A changed version of `proposal`: new times (another slot in the edition window, as
    /// CLSMs do when the first dates are refused or a room is not free), another venue,
    /// title, audience or format. A cancelled proposal is reinstated. Changes never
    /// accumulate (no drift over many updates).
    mutating func updatedProposal(_ proposal: SismEventProposed) -> SismEventProposed {
        var updated = proposal
        updated.cancelled = nil
        switch random.below(4) {
        case 0:
            guard let edition = editions.first(where: { $0.year == proposal.edition }) else { break }
            let span = edition.endsOn.daysSinceEpoch - edition.startsOn.daysSinceEpoch
            let day = CalendarDate(daysSinceEpoch: edition.startsOn.daysSinceEpoch + random.int(0...span))
            let start = SyntheticTime.epochSeconds(parisDate: day, hour: random.int(9...19), minute: random.pick([0, 15, 30, 45]))
            updated.startsAt = SyntheticTime.timestamp(epochSeconds: start)
            updated.endsAt = SyntheticTime.timestamp(epochSeconds: start + Int64(random.int(2...8)) * 1800)
        case 1:
            updated.venue = "\(random.pick(Self.venues)) (lieu synthétique, \(proposal.commune), salle \(random.int(1...9)))"
        case 2:
            updated.title = random.pick(Self.sismTitles) + " (modifié)"
            updated.audience = random.pick(Self.audiences)
        default:
            updated.format = random.pick(SismFormat.allCases)
            updated.audience = random.pick(Self.audiences)
        }
        return updated
    }

    // MARK: QPV actions

    static let actionTitles: [QpvActionType: [String]] = [
        .awareness: ["La santé mentale dans mon quartier", "Sensibilisation des gardiens d'immeuble", "Ciné-débat au centre social"],
        .firstAidTraining: ["Formation PSSM (premiers secours en santé mentale)", "Module PSSM jeunes"],
        .listeningPoint: ["Point d'écoute au centre social", "Permanence d'écoute"],
        .outreach: ["Aller-vers : permanence au pied des immeubles", "Maraude santé mentale"],
        .training: ["Formation des acteurs de proximité", "Formation croisée bailleurs et psychiatrie"],
        .other: ["Rencontre des partenaires du quartier"],
    ]
    static let partners = [
        "Centre social synthétique", "Bailleur social synthétique", "CMP synthétique", "Mission locale synthétique",
        "Association de quartier synthétique", "Maison de santé synthétique", "PRE synthétique",
    ]

    mutating func qpvActionEvent() -> SyntheticEvent? {
        guard !qpvCodes.isEmpty else { return nil }
        if !recentActions.isEmpty, random.chance(0.15) {
            // An update of a recent action: more participants, partners added.
            let index = random.below(recentActions.count)
            var action = recentActions[index]
            action.participants += random.int(1...30)
            action.partners = random.sample(Self.partners, count: random.int(1...3))
            recentActions[index] = action
            return event(.qpvActionRecorded(action), source: recentActionSources[index], phase: .activity)
        }
        let kind = random.unit()
        let recorder: QpvActionRecorded.Recorder
        let qpv: String
        let source: String
        if kind < 0.5 {
            // A CLSM covering QPVs (7%: a QPV outside its territory).
            var clsmId = random.pick(clsmIds)
            var own = declarations[clsmId]!.communes.flatMap { qpvsByCommune[$0] ?? [] }
            for _ in 0..<8 where own.isEmpty {
                clsmId = random.pick(clsmIds)
                own = declarations[clsmId]!.communes.flatMap { qpvsByCommune[$0] ?? [] }
            }
            recorder = QpvActionRecorded.Recorder(kind: .clsm, id: clsmId)
            qpv = own.isEmpty || random.chance(0.07) ? random.pick(qpvCodes) : random.pick(own)
            source = Self.clsmSource(clsmId)
        } else if kind < 0.8, !asvs.isEmpty {
            let asv = random.pick(asvs)
            recorder = QpvActionRecorded.Recorder(kind: .asv, id: asv.id)
            qpv = random.pick(asv.qpvs)
            source = "urn:synthetic:asv:\(asv.id)"
        } else if !clsWithQpvs.isEmpty {
            let cls = random.pick(clsWithQpvs)
            recorder = QpvActionRecorded.Recorder(kind: .cls, id: cls.id)
            qpv = random.pick(cls.qpvs)
            source = "urn:synthetic:cls:\(cls.id)"
        } else {
            return nil
        }
        let type = SyntheticEventStreamTables.actionTypes[random.weightedIndex(SyntheticEventStreamTables.actionTypes.map(\.1))].0
        let date = SyntheticTime.parisDate(epochSeconds: time(of: sequence) - Int64(random.int(0...20)) * 86_400)
        let action = QpvActionRecorded(
            actionId: "qpv-action-\(seed)-\(sequence)", qpv: qpv, recordedBy: recorder, type: type,
            title: random.pick(Self.actionTitles[type]!), date: date, participants: random.int(4...120),
            partners: random.chance(0.6) ? random.sample(Self.partners, count: random.int(1...3)) : nil)
        if recentActions.count < 512 {
            recentActions.append(action)
            recentActionSources.append(source)
        } else {
            let slot = random.below(512)
            recentActions[slot] = action
            recentActionSources[slot] = source
        }
        return event(.qpvActionRecorded(action), source: source, phase: .activity)
    }

    // MARK: CLSM re-declarations

    mutating func clsmUpdateEvent() -> SyntheticEvent {
        let clsmId = random.pick(clsmIds)
        var declaration = declarations[clsmId]!
        let draw = random.unit()
        if draw < 0.45 {
            // A working group started or ended.
            var groups = declaration.workingGroups ?? []
            let theme = random.pick(ThemeCode.allCases.filter { $0 != .other })
            if let index = groups.firstIndex(of: theme) { groups.remove(at: index) } else { groups.append(theme) }
            declaration.workingGroups = groups.sorted()
        } else if draw < 0.65 {
            // A governance member joined or left.
            var members = declaration.governance.members
            let member = random.pick([GovernanceMember.childPsychiatry, .users, .carers, .socialServices, .housing, .police, .education])
            if let index = members.firstIndex(of: member) { members.remove(at: index) } else { members.append(member) }
            declaration.governance.members = members.sorted()
        } else if draw < 0.72, declaration.status != .active {
            declaration.status = .active  // a project CLSM starts, a stopped one resumes
        } else if draw < 0.72, random.chance(0.05) {
            declaration.status = .stopped  // rare: about 7% of the CLSMs stopped at any time
        } else {
            declaration.population = (declaration.population ?? 50_000) + random.int(-20...20) * 500
            declaration.population = max(3000, declaration.population!)
            if let coordinator = declaration.coordinator {
                let fte = coordinator.fte >= 1 ? 0.8 : (min(1, coordinator.fte + 0.1) * 10).rounded() / 10
                declaration.coordinator = ClsmDeclared.Coordinator(fte: fte, employer: coordinator.employer)
            }
        }
        declarations[clsmId] = declaration
        return event(.clsmDeclared(declaration), source: Self.clsmSource(clsmId), phase: .activity)
    }

    // MARK: - Invalid records

    enum Invalidity: CaseIterable {
        case malformedJSON, unknownField, personalData, unknownReference, malformedEnvelope, unsupportedType

        var code: DeadLetterCode {
            switch self {
            case .malformedJSON, .unknownField: .schemaViolation
            case .personalData: .personalData
            case .unknownReference: .unknownReference
            case .malformedEnvelope: .malformedEnvelope
            case .unsupportedType: .unsupportedType
            }
        }
    }

    /// A record that must be dead-lettered. It is built from a valid record drawn on a copy
    /// of the generator state, so the real state does not see it.
    mutating func invalidEvent() -> SyntheticEvent {
        let kind = random.pick(Invalidity.allCases)
        var scratch = self
        var base: SyntheticEvent
        switch kind {
        case .unknownReference:
            // An unknown commune in a SISM proposal, or an unknown QPV in an action.
            base = scratch.sismEvent()
            if random.chance(0.5), var action = scratch.qpvActionEvent().flatMap(Self.decodeAction) {
                action.qpv = "QP999999"  // the generator only makes QN codes
                base = scratch.event(.qpvActionRecorded(action), source: "urn:synthetic:asv:unknown-reference", phase: .activity)
            } else if var proposal = Self.decodeProposal(base) {
                let departement = String(proposal.commune.prefix(proposal.commune.hasPrefix("97") ? 3 : 2))
                proposal.commune = departement + (departement.count == 3 ? "99" : "999")
                proposal.proposalId += "-unknown-commune"
                base = scratch.event(.sismEventProposed(proposal), source: Self.clsmSource(proposal.clsmId), phase: .activity)
            }
        default:
            base = scratch.activityEvent()
        }
        random = scratch.random  // keep drawing from where the scratch generator left off
        var event = base
        event.expectation = .deadLetter(kind.code)
        switch kind {
        case .malformedJSON:
            event.cloudEvent.data = Array(event.cloudEvent.data.dropLast(7))
        case .unknownField:
            if case .object(var object)? = try? JSONParser.parse(event.cloudEvent.data) {
                object["remarques"] = "champ inconnu du contrat (synthétique)"
                event.cloudEvent.data = JSONValue.object(object).canonicalBytes()
            }
        case .personalData:
            if case .object(var object)? = try? JSONParser.parse(event.cloudEvent.data) {
                let field = object["title"] != nil ? "title" : "name"
                object[field] = .string("Contact : coordination.synthetique@example.org")
                event.cloudEvent.data = JSONValue.object(object).canonicalBytes()
            }
        case .unknownReference:
            break
        case .malformedEnvelope:
            event.cloudEvent.specversion = "0.3"
        case .unsupportedType:
            event.cloudEvent.type = event.topic + ".v2"
        }
        return event
    }

    static func decodeProposal(_ event: SyntheticEvent) -> SismEventProposed? {
        guard let json = try? JSONParser.parse(event.cloudEvent.data),
            case .sismEventProposed(let proposal)? = try? InboundEvent.strictDecode(json, topic: .sismEventProposed)
        else { return nil }
        return proposal
    }

    static func decodeAction(_ event: SyntheticEvent) -> QpvActionRecorded? {
        guard let json = try? JSONParser.parse(event.cloudEvent.data),
            case .qpvActionRecorded(let action)? = try? InboundEvent.strictDecode(json, topic: .qpvActionRecorded)
        else { return nil }
        return action
    }
}

enum SyntheticEventStreamTables {
    static let actionTypes: [(QpvActionType, Double)] = [
        (.awareness, 0.30), (.firstAidTraining, 0.20), (.listeningPoint, 0.15), (.outreach, 0.20), (.training, 0.10),
        (.other, 0.05),
    ]
}
