import HubDomain


/// A deterministic synthetic national territory: the real 18 regions and 101 départements,
/// then synthetic communes, QPVs, CLS, ASV, SISM editions and CLSM declarations drawn from a
/// seed with the proportions the seeds report (domain.md). Everything below the département
/// is labelled synthetic ("Commune synthétique 93017", "CLSM synthétique 0042").
///
/// The same seed (and sizes) gives the same values, hence the same bytes once encoded.
public struct SyntheticTerritory: Sendable, Hashable {
    public var seed: UInt64
    /// Reference data, as `hub-admin reference import` reads it.
    public var reference: ReferenceDataDocument
    /// One declaration per CLSM, in id order (`clsm-synth-0001`...).
    public var clsms: [ClsmDeclared]
    /// Communes drawn as urban (QPVs are concentrated there).
    public var urbanCommunes: Set<String>

    public init(seed: UInt64, reference: ReferenceDataDocument, clsms: [ClsmDeclared], urbanCommunes: Set<String>) {
        self.seed = seed
        self.reference = reference
        self.clsms = clsms
        self.urbanCommunes = urbanCommunes
    }

    /// Rates the generator draws with. Those marked (2022) come from the national survey
    /// quoted in domain.md; the others are the simulation's own choices.
    public enum Rates {
        /// Scale (2022): 52% communal, 34% intercommunal, the rest other.
        public static let communal = 0.52
        public static let intercommunal = 0.34
        /// 83% of CLSMs cover at least one QPV (2022).
        public static let coversQpv = 0.83
        /// 77% of CLSMs articulate with a CLS (2022); here: share a commune with one.
        public static let withCls = 0.77
        /// "On more than 40% of those territories no ASV exists" (2022): 45% here.
        public static let qpvTerritoryWithoutAsv = 0.45
        /// COPIL 85%, plenary assembly 74% (2022).
        public static let copil = 0.85
        public static let plenaryAssembly = 0.74
        /// COPIL members (2022) for the first five; the others are the simulation's.
        public static let members: [(GovernanceMember, Double)] = [
            (.elected, 0.96), (.adultPsychiatry, 0.96), (.childPsychiatry, 0.64), (.users, 0.72), (.carers, 0.78),
            (.socialServices, 0.60), (.housing, 0.50), (.education, 0.40), (.police, 0.35), (.justice, 0.20),
            (.primaryCare, 0.40), (.associations, 0.70), (.other, 0.15),
        ]
        /// Working groups: sism 76%, housing 65%, complex cases 64%, adolescents 55% (2022);
        /// the others are the simulation's.
        public static let workingGroups: [(ThemeCode, Double)] = [
            (.sism, 0.76), (.housing, 0.65), (.complexCases, 0.64), (.adolescents, 0.55),
            (.professionalAwareness, 0.35), (.publicAwareness, 0.40), (.children, 0.25), (.parenting, 0.20),
            (.perinatal, 0.10), (.elderly, 0.20), (.accessToCare, 0.30), (.precarity, 0.30),
            (.suicidePrevention, 0.35), (.addictions, 0.20), (.leisureCulture, 0.15), (.coercion, 0.10),
            (.observation, 0.20), (.crossTraining, 0.15), (.primaryCare, 0.15), (.participation, 0.25),
            (.earlyPrevention, 0.10), (.work, 0.10), (.rights, 0.15), (.justice, 0.10), (.inequalities, 0.10),
            (.environment, 0.10), (.employment, 0.15), (.other, 0.05),
        ]
        /// Status: mostly active (the simulation's split).
        public static let status: [(ClsmStatus, Double)] = [(.active, 0.88), (.starting, 0.05), (.project, 0.05), (.stopped, 0.02)]
        /// Share of CLSMs drawn on a commune another CLSM already covers ("a few overlaps").
        public static let overlap = 0.03
        /// Île-de-France's share of CLSMs (76 of 192 in 2018 counting projects; ~28% here).
        public static let ileDeFranceShare = 0.28
    }

    public static func make(seed: UInt64, clsmCount: Int = 270, qpvCount: Int = 1600) -> SyntheticTerritory {
        precondition(clsmCount >= 1 && clsmCount <= 9999, "clsmCount must be in 1...9999")
        precondition(qpvCount >= 0 && qpvCount <= 100_000, "qpvCount must be in 0...100000")
        var builder = TerritoryBuilder(seed: seed)
        return builder.build(clsmCount: clsmCount, qpvCount: qpvCount)
    }
}

/// The generation steps, in a fixed order (each one draws from its own stream).
struct TerritoryBuilder {
    let seed: UInt64
    var regions: [Region] = []
    var departements: [Departement] = []
    var communes: [Commune] = []
    var communesByDepartement: [String: [String]] = [:]
    var urban: Set<String> = []
    var qpvs: [Qpv] = []
    var qpvsByCommune: [String: [String]] = [:]

    init(seed: UInt64) {
        self.seed = seed
    }

    mutating func build(clsmCount: Int, qpvCount: Int) -> SyntheticTerritory {
        frame()
        makeCommunes()
        makeQpvs(qpvCount)
        let clsms = makeClsms(clsmCount)
        let cls = makeCls(clsms)
        let asvs = makeAsvs(clsms)
        let editions = FrenchTerritory.sismEditions.map {
            SismEdition(year: $0.year, theme: $0.theme, startsOn: CalendarDate($0.startsOn)!, endsOn: CalendarDate($0.endsOn)!)
        }
        let document = ReferenceDataDocument(
            description: "SYNTHETIC DATA generated by HubSimulation (seed \(seed), \(clsmCount) CLSMs, \(qpvCount) QPVs): real region and département codes; communes, QPVs, CLS, ASV and CLSMs are synthetic, drawn with the proportions of the 2022 national survey. Not real data.",
            regions: regions, departements: departements, communes: communes, qpvs: qpvs, cls: cls, asvs: asvs,
            sismEditions: editions)
        return SyntheticTerritory(seed: seed, reference: document, clsms: clsms, urbanCommunes: urban)
    }

    // MARK: regions and départements (real)

    mutating func frame() {
        for region in FrenchTerritory.regions {
            regions.append(Region(code: region.code, name: region.name))
            for departement in region.departements {
                departements.append(Departement(code: departement.code, name: departement.name, region: region.code))
            }
        }
    }

    func region(ofDepartement code: String) -> String {
        departements.first { $0.code == code }!.region
    }

    static func isOverseas(_ departement: String) -> Bool { departement.utf8.count == 3 }

    /// The three-character département part of a QPV code (`093`, `02A`, `971`).
    static func departementPart(_ departement: String) -> String {
        departement.utf8.count == 3 ? departement : "0" + departement
    }

    // MARK: communes (synthetic codes in valid INSEE format)

    /// Commune numbers stay below 900, so `<dep>999` (or `<dep>99` overseas) never exists:
    /// the invalid records use it as an unknown commune.
    mutating func makeCommunes() {
        var random = SeededRandom(seed: seed, stream: "communes")
        for departement in departements {
            let code = departement.code
            var numbers: [Int]
            var urbanShare: Double
            if code == "75" {
                numbers = Array(101...120)  // the twenty arrondissements
                urbanShare = 1
            } else if Self.isOverseas(code) {
                numbers = random.sample(Array(1...89), count: random.int(15...30)).sorted()
                urbanShare = 0.3
            } else if FrenchTerritory.metropolitan.contains(code) {
                numbers = random.sample(Array(1...899), count: random.int(40...60)).sorted()
                urbanShare = 0.45
            } else {
                numbers = random.sample(Array(1...899), count: random.int(18...35)).sorted()
                urbanShare = 0.15
            }
            let width = Self.isOverseas(code) ? 2 : 3
            let codes = numbers.map { code + Self.padded($0, width) }
            let urbanCount = max(1, Int((Double(codes.count) * urbanShare).rounded()))
            for commune in random.sample(codes, count: urbanCount) { urban.insert(commune) }
            communesByDepartement[code] = codes
            for commune in codes {
                let name = code == "75" ? "Arrondissement synthétique \(commune)" : "Commune synthétique \(commune)"
                communes.append(Commune(code: commune, name: name, departement: code))
            }
        }
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    // MARK: QPVs, concentrated in urban communes

    mutating func makeQpvs(_ count: Int) {
        var random = SeededRandom(seed: seed, stream: "qpvs")
        let maxPerCommune = max(12, count / 100)
        var weights = communes.map { commune -> Double in
            let metropolitan = FrenchTerritory.metropolitan.contains(commune.departement)
            if urban.contains(commune.code) { return metropolitan ? 6 : 3 }
            return 0.1
        }
        var perCommune: [Int] = Array(repeating: 0, count: communes.count)
        var perDepartement: [String: Int] = [:]
        let suffixes = Array("MNPRSTUVWXYZABCDEFGH")
        for _ in 0..<count {
            let index = random.weightedIndex(weights)
            perCommune[index] += 1
            if perCommune[index] >= maxPerCommune { weights[index] = 0 }
            let commune = communes[index]
            let sequence = perDepartement[commune.departement, default: 0] + 1
            perDepartement[commune.departement] = sequence
            precondition(sequence <= 100 * suffixes.count, "too many QPVs in one département")
            let code = "QN" + Self.departementPart(commune.departement) + Self.padded(sequence % 100, 2)
                + String(suffixes[sequence / 100])
            qpvs.append(Qpv(code: code, name: "Quartier prioritaire synthétique \(code)", communes: [commune.code]))
            qpvsByCommune[commune.code, default: []].append(code)
        }
        qpvs.sort { $0.code < $1.code }
    }

    // MARK: CLSMs

    mutating func makeClsms(_ count: Int) -> [ClsmDeclared] {
        var random = SeededRandom(seed: seed, stream: "clsms")
        // Home département: Île-de-France spread by the 2018 counts, elsewhere by QPVs.
        var qpvsPerDepartement: [String: Int] = [:]
        for qpv in qpvs {
            if let commune = qpv.communes.first, let departement = communeDepartement(commune) {
                qpvsPerDepartement[departement, default: 0] += 1
            }
        }
        let codes = departements.map(\.code)
        var weights = codes.map { code -> Double in
            FrenchTerritory.ileDeFranceClsms2018[code] != nil ? 0 : 1 + Double(qpvsPerDepartement[code] ?? 0) / 4
        }
        let others = weights.reduce(0, +)
        let idfTarget = others * SyntheticTerritory.Rates.ileDeFranceShare / (1 - SyntheticTerritory.Rates.ileDeFranceShare)
        let idfTotal = Double(FrenchTerritory.ileDeFranceClsms2018.values.reduce(0, +))
        for (index, code) in codes.enumerated() {
            if let n = FrenchTerritory.ileDeFranceClsms2018[code] { weights[index] = Double(n) / idfTotal * idfTarget }
        }

        var used: Set<String> = []
        var activeByCommune: [String: String] = [:]
        var declarations: [ClsmDeclared] = []
        let rates = SyntheticTerritory.Rates.self
        for number in 1...count {
            let id = "clsm-synth-" + Self.padded(number, 4)
            let departement = codes[random.weightedIndex(weights)]
            let region = region(ofDepartement: departement)
            let local = communesByDepartement[departement]!
            let coversQpv = random.chance(rates.coversQpv)
            let qpvsByCommune = self.qpvsByCommune
            let withQpv = { (code: String) in qpvsByCommune[code] != nil }
            let overlap = random.chance(rates.overlap)
            var status = Self.draw(rates.status, &random)

            // Main commune.
            var main: String
            let overlapCandidates = local.filter { activeByCommune[$0] != nil && withQpv($0) == coversQpv }
            if overlap, !overlapCandidates.isEmpty {
                main = random.pick(overlapCandidates)
                status = .active
            } else {
                let free = local.filter { !used.contains($0) && withQpv($0) == coversQpv }
                let anyLocal = local.filter { withQpv($0) == coversQpv }
                if !free.isEmpty {
                    main = random.pick(free)
                } else if !anyLocal.isEmpty {
                    main = random.pick(anyLocal)
                } else {
                    // No commune of the right kind in the département (e.g. no QPV): any commune of the region.
                    let regional = communes.filter { communeRegion($0.code) == region && withQpv($0.code) == coversQpv }.map(\.code)
                    main = regional.isEmpty ? random.pick(local) : random.pick(regional)
                }
            }
            let homeDepartement = communeDepartement(main)!
            let neighbours = communesByDepartement[homeDepartement]!.filter {
                $0 != main && !used.contains($0) && (coversQpv || !withQpv($0))
            }

            // Scale and the other communes.
            let scaleDraw = random.unit()
            let scale: ClsmScale
            var territory = [main]
            if scaleDraw < rates.communal {
                scale = .communal
            } else if scaleDraw < rates.communal + rates.intercommunal {
                scale = .intercommunal
                territory += random.sample(neighbours, count: random.int(2...8))
            } else {
                scale = .other  // psychiatric sectors, arrondissements
                territory += random.sample(neighbours, count: random.int(1...3))
            }
            territory.sort()
            for commune in territory {
                used.insert(commune)
                if status == .active, activeByCommune[commune] == nil { activeByCommune[commune] = id }
            }

            // Governance, working groups, the rest.
            let members = rates.members.filter { random.chance($0.1) }.map(\.0)
            let governance = ClsmDeclared.Governance(
                copil: random.chance(rates.copil), plenaryAssembly: random.chance(rates.plenaryAssembly), members: members)
            let workingGroups = rates.workingGroups.filter { random.chance($0.1) }.map(\.0)
            let createdYear = status == .active || status == .stopped ? random.int(2005...2021) : random.int(2021...2022)
            let createdOn = CalendarDate(year: createdYear, month: random.int(1...12), day: random.int(1...28))!
            let population: Int
            let band = random.unit()
            if band < 0.5 {
                population = random.int(13...60) * 1000
            } else if band < 0.88 {
                population = random.int(60...200) * 1000
            } else {
                population = random.int(200...525) * 1000
            }
            let adultSectors = min(14, max(1, population / 60_000 + random.int(0...1)))
            let sectors = ClsmDeclared.PsychiatricSectors(adult: adultSectors, child: max(1, adultSectors / 3))
            let coordinator: ClsmDeclared.Coordinator?
            if random.chance(0.9) {
                let fte = random.pick([0.2, 0.3, 0.4, 0.5, 0.5, 0.5, 0.6, 0.8, 1.0, 1.0])
                let employer = random.pick([
                    "Ville synthétique \(main)", "Centre hospitalier synthétique \(homeDepartement)",
                    scale == .intercommunal ? "Intercommunalité synthétique \(main)" : "CCAS synthétique \(main)",
                ])
                coordinator = ClsmDeclared.Coordinator(fte: fte, employer: employer)
            } else {
                coordinator = nil
            }
            declarations.append(ClsmDeclared(
                clsmId: id, name: "CLSM synthétique " + Self.padded(number, 4), region: region, status: status,
                scale: scale, communes: territory, governance: governance, createdOn: createdOn, population: population,
                psychiatricSectors: sectors, coordinator: coordinator, workingGroups: workingGroups))
        }
        return declarations
    }

    static func draw<T>(_ table: [(T, Double)], _ random: inout SeededRandom) -> T {
        table[random.weightedIndex(table.map(\.1))].0
    }

    func communeDepartement(_ code: String) -> String? {
        // Codes start with their département: 3 characters overseas (97x), else 2.
        let prefix3 = String(code.prefix(3))
        if communesByDepartement[prefix3] != nil, prefix3.hasPrefix("97") { return prefix3 }
        let prefix2 = String(code.prefix(2))
        return communesByDepartement[prefix2] != nil ? prefix2 : nil
    }

    func communeRegion(_ code: String) -> String? {
        communeDepartement(code).map { region(ofDepartement: $0) }
    }

    // MARK: CLS

    mutating func makeCls(_ clsms: [ClsmDeclared]) -> [Cls] {
        var random = SeededRandom(seed: seed, stream: "cls")
        let clsmCommunes = Set(clsms.flatMap(\.communes))
        let withCls = random.sample(Array(clsms.indices), count: Int((Double(clsms.count) * SyntheticTerritory.Rates.withCls).rounded()))
        var rows: [Cls] = []
        var number = 0
        func add(_ communes: [String], region: String) {
            number += 1
            let id = "cls-synth-" + Self.padded(number, 4)
            rows.append(Cls(id: id, name: "CLS synthétique " + Self.padded(number, 4), region: region, communes: communes.sorted()))
        }
        for index in withCls.sorted() {
            let clsm = clsms[index]
            let departement = communeDepartement(clsm.communes[0])!
            let extra = communesByDepartement[departement]!.filter { !clsmCommunes.contains($0) }
            add(clsm.communes + random.sample(extra, count: random.int(0...3)), region: clsm.region)
        }
        // CLS on territories without a CLSM.
        let free = communes.map(\.code).filter { !clsmCommunes.contains($0) }
        for _ in 0..<(clsms.count * 2 / 5) where !free.isEmpty {
            let first = random.pick(free)
            let departement = communeDepartement(first)!
            let more = communesByDepartement[departement]!.filter { $0 != first && !clsmCommunes.contains($0) }
            add([first] + random.sample(more, count: random.int(0...3)), region: region(ofDepartement: departement))
        }
        return rows
    }

    // MARK: ASV

    mutating func makeAsvs(_ clsms: [ClsmDeclared]) -> [Asv] {
        var random = SeededRandom(seed: seed, stream: "asvs")
        let covering = clsms.indices.filter { clsms[$0].communes.contains { qpvsByCommune[$0] != nil } }
        let withoutAsv = random.sample(covering, count: Int((Double(covering.count) * SyntheticTerritory.Rates.qpvTerritoryWithoutAsv).rounded()))
        var noAsv: Set<String> = []
        for index in withoutAsv { noAsv.formUnion(clsms[index].communes) }
        let covered = Set(covering.flatMap { clsms[$0].communes })

        var rows: [Asv] = []
        for commune in communes.map(\.code) {
            guard let qpvs = qpvsByCommune[commune], !noAsv.contains(commune) else { continue }
            // Communes in a CLSM with an ASV get one; elsewhere about half do.
            guard covered.contains(commune) || random.chance(0.55) else { continue }
            var served = qpvs.filter { _ in random.chance(0.9) }
            if served.isEmpty { served = [qpvs[0]] }
            let number = Self.padded(rows.count + 1, 4)
            rows.append(Asv(id: "asv-synth-" + number, name: "Atelier santé ville synthétique " + number, qpvs: served.sorted()))
        }
        return rows
    }
}
