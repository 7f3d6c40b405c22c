/// The reference data held in `HubState`, keyed for lookup.
public struct ReferenceData: Sendable, Hashable, Codable {
    public var regions: [String: Region] = [:]
    public var departements: [String: Departement] = [:]
    public var communes: [String: Commune] = [:]
    // Changing a table the lookups below read gives this value an index of its own (copies
    // made before keep theirs, which still matches their rows).
    public var qpvs: [String: Qpv] = [:] { didSet { index = ReferenceIndex() } }
    public var cls: [String: Cls] = [:] { didSet { index = ReferenceIndex() } }
    public var asvs: [String: Asv] = [:] { didSet { index = ReferenceIndex() } }
    public var sismEditions: [Int: SismEdition] = [:]
    /// CLSPD, CPTS, DAC, PRE and contrats de ville, by kind and id.
    public var dispositifs: [LocalDispositif.Key: LocalDispositif] = [:]
    /// EPCIs by SIREN.
    public var epcis: [String: Epci] = [:]
    /// Adult and child psychiatric sectors by id.
    public var psychiatricSectors: [String: PsychiatricSector] = [:]
    /// PTSM territories by id.
    public var ptsmTerritories: [String: PtsmTerritory] = [:]
    /// The registered producers by `ce_source`. In a slice only those asked for are here:
    /// `someSourceRegistered` says whether the hub holds any at all.
    public var sources: [String: RegisteredSource] = [:] {
        didSet { if !sources.isEmpty { someSourceRegistered = true } }
    }
    /// Whether any source is registered (in a slice: in the whole state). While none is, the
    /// hub runs open: every source may speak for everything. Sources are never deleted by an
    /// import, so once true it stays true.
    public var someSourceRegistered = false
    /// QPVs and CLS by commune, ASVs by QPV: built on first use. The rules ask these
    /// questions for every event, of slices holding hundreds of CLS and ASVs, so the answer
    /// is indexed once rather than found by filtering every row each time.
    private var index = ReferenceIndex()

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case regions, departements, communes, qpvs, cls, asvs, sismEditions, dispositifs, epcis, psychiatricSectors, ptsmTerritories
        case sources, someSourceRegistered
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.regions == rhs.regions && lhs.departements == rhs.departements && lhs.communes == rhs.communes
            && lhs.qpvs == rhs.qpvs && lhs.cls == rhs.cls && lhs.asvs == rhs.asvs && lhs.sismEditions == rhs.sismEditions
            && lhs.dispositifs == rhs.dispositifs && lhs.epcis == rhs.epcis && lhs.psychiatricSectors == rhs.psychiatricSectors
            && lhs.ptsmTerritories == rhs.ptsmTerritories && lhs.sources == rhs.sources
            && lhs.someSourceRegistered == rhs.someSourceRegistered
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(regions)
        hasher.combine(departements)
        hasher.combine(communes)
        hasher.combine(qpvs)
        hasher.combine(cls)
        hasher.combine(asvs)
        hasher.combine(sismEditions)
        hasher.combine(dispositifs)
        hasher.combine(epcis)
        hasher.combine(psychiatricSectors)
        hasher.combine(ptsmTerritories)
        hasher.combine(sources)
        hasher.combine(someSourceRegistered)
    }

    /// Upserts everything in `document` (rows not mentioned are kept): the semantics of
    /// `hub-admin reference import`.
    public mutating func importing(_ document: ReferenceDataDocument) {
        for row in document.regions { regions[row.code] = row }
        for row in document.departements { departements[row.code] = row }
        for row in document.communes { communes[row.code] = row }
        for row in document.qpvs { qpvs[row.code] = row }
        for row in document.cls { cls[row.id] = row }
        for row in document.asvs { asvs[row.id] = row }
        for row in document.sismEditions { sismEditions[row.year] = row }
        for row in document.dispositifs { dispositifs[row.key] = row }
        for row in document.epcis { epcis[row.siren] = row }
        for row in document.psychiatricSectors { psychiatricSectors[row.id] = row }
        for row in document.ptsmTerritories { ptsmTerritories[row.id] = row }
        for row in document.sources { sources[row.source] = row }
    }

    /// The region of a commune, through its département.
    public func region(ofCommune code: String) -> String? {
        communes[code].flatMap { departements[$0.departement]?.region }
    }

    /// QPVs lying (at least partly) in one of `communes`, sorted by code. Here and below a
    /// commune meets its arrondissements and the reverse (`MunicipalArrondissements`).
    public func qpvs(inCommunes communes: Set<String>) -> [Qpv] {
        let keys = index.tables(of: self).qpvsByCommune
        return Self.rows(MunicipalArrondissements.related(communes), keys, qpvs).sorted { $0.code < $1.code }
    }

    /// ASVs serving `qpv`, sorted by id.
    public func asvs(servingQpv qpv: String) -> [Asv] {
        let keys = index.tables(of: self).asvsByQpv
        return Self.rows([qpv], keys, asvs).sorted { $0.id < $1.id }
    }

    /// CLS covering at least one of `communes`, sorted by id.
    public func cls(coveringAny communes: Set<String>) -> [Cls] {
        let keys = index.tables(of: self).clsByCommune
        return Self.rows(MunicipalArrondissements.related(communes), keys, cls).sorted { $0.id < $1.id }
    }

    // The lookups below serve the articulation report (no rule reads these tables), once per
    // CLSM: filtering the rows is enough.

    /// CLSPD, CPTS, DAC, PRE and contrats de ville covering at least one of `communes`, by
    /// kind then id.
    public func dispositifs(coveringAny communes: Set<String>) -> [LocalDispositif] {
        let related = MunicipalArrondissements.related(communes)
        return dispositifs.values.filter { !related.isDisjoint(with: $0.communes) }.sorted { $0.key < $1.key }
    }

    /// EPCIs holding at least one of `communes`, by SIREN.
    public func epcis(coveringAny communes: Set<String>) -> [Epci] {
        let related = MunicipalArrondissements.related(communes)
        return epcis.values.filter { !related.isDisjoint(with: $0.communes) }.sorted { $0.siren < $1.siren }
    }

    /// Psychiatric sectors serving at least one of `communes`, by id.
    public func psychiatricSectors(coveringAny communes: Set<String>) -> [PsychiatricSector] {
        let related = MunicipalArrondissements.related(communes)
        return psychiatricSectors.values.filter { !related.isDisjoint(with: $0.communes) }.sorted { $0.id < $1.id }
    }

    /// PTSM territories holding at least one of `departements`, by id.
    public func ptsmTerritories(inDepartements departements: Set<String>) -> [PtsmTerritory] {
        ptsmTerritories.values.filter { !departements.isDisjoint(with: $0.departements) }.sorted { $0.id < $1.id }
    }

    /// The rows of `table` whose keys `index` lists under any of `lookedUp`, each once.
    private static func rows<Row, Keys: Sequence<String>>(
        _ lookedUp: Keys, _ index: [String: [String]], _ table: [String: Row]
    ) -> [Row] {
        var seen = Set<String>()
        var rows: [Row] = []
        for key in lookedUp {
            for rowKey in index[key] ?? [] where seen.insert(rowKey).inserted {
                rows.append(table[rowKey]!)
            }
        }
        return rows
    }
}

/// The inverted tables behind `ReferenceData`'s lookups, built once from the value that owns
/// it. A class so that a lookup (non-mutating) can build it; a value that changes the tables
/// it inverts replaces it rather than changing it, since copies may share it.
final class ReferenceIndex: Sendable {
    struct Tables: Sendable {
        /// Commune code -> keys of the QPVs lying (at least partly) in it.
        var qpvsByCommune: [String: [String]] = [:]
        /// Commune code -> keys of the CLS covering it.
        var clsByCommune: [String: [String]] = [:]
        /// QPV code -> keys of the ASVs serving it.
        var asvsByQpv: [String: [String]] = [:]
    }

    private let built = Locked<Tables?>(nil)

    func tables(of reference: ReferenceData) -> Tables {
        built.withLock { built in
            if let built { return built }
            let tables = Self.make(reference)
            built = tables
            return tables
        }
    }

    private static func make(_ reference: ReferenceData) -> Tables {
        var tables = Tables()
        func add(_ key: String, under codes: [String], to table: inout [String: [String]]) {
            for code in Set(codes) { table[code, default: []].append(key) }
        }
        for (key, qpv) in reference.qpvs { add(key, under: qpv.communes, to: &tables.qpvsByCommune) }
        for (key, cls) in reference.cls { add(key, under: cls.communes, to: &tables.clsByCommune) }
        for (key, asv) in reference.asvs { add(key, under: asv.qpvs, to: &tables.asvsByQpv) }
        return tables
    }
}

/// The project's JSON import format for reference data (`hub-admin reference import FILE`),
/// documented in docs/contract.md, example in docs/examples/reference-demo.json.
///
/// Every section is optional (an import may carry only SISM editions). Decoding is strict
/// (unknown fields refused) and checks the document's own consistency: a département's
/// region, a commune's département, a QPV's communes, a CLS's region and communes, an ASV's
/// QPVs must exist either in the document or in the reference data it is imported into.
public struct ReferenceDataDocument: Sendable, Hashable, Codable, StrictlyDecodable {
    /// Free text, e.g. "Demo data, not real".
    public var description: String?
    public var regions: [Region]
    public var departements: [Departement]
    public var communes: [Commune]
    public var qpvs: [Qpv]
    public var cls: [Cls]
    public var asvs: [Asv]
    public var sismEditions: [SismEdition]
    /// CLSPD, CPTS, DAC, PRE and contrats de ville (one section, each row names its kind).
    public var dispositifs: [LocalDispositif]
    public var epcis: [Epci]
    public var psychiatricSectors: [PsychiatricSector]
    public var ptsmTerritories: [PtsmTerritory]
    /// The registered producers (see `RegisteredSource`).
    public var sources: [RegisteredSource]

    public init(
        description: String? = nil, regions: [Region] = [], departements: [Departement] = [], communes: [Commune] = [],
        qpvs: [Qpv] = [], cls: [Cls] = [], asvs: [Asv] = [], sismEditions: [SismEdition] = [],
        dispositifs: [LocalDispositif] = [], epcis: [Epci] = [], psychiatricSectors: [PsychiatricSector] = [],
        ptsmTerritories: [PtsmTerritory] = [], sources: [RegisteredSource] = []
    ) {
        self.description = description
        self.regions = regions
        self.departements = departements
        self.communes = communes
        self.qpvs = qpvs
        self.cls = cls
        self.asvs = asvs
        self.sismEditions = sismEditions
        self.dispositifs = dispositifs
        self.epcis = epcis
        self.psychiatricSectors = psychiatricSectors
        self.ptsmTerritories = ptsmTerritories
        self.sources = sources
    }

    /// Synthesised decoding would need every section: like the strict import, a missing one
    /// is empty (documents encoded before a section existed decode).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func rows<Row: Decodable>(_ key: CodingKeys) throws -> [Row] { try container.decodeIfPresent([Row].self, forKey: key) ?? [] }
        self.init(
            description: try container.decodeIfPresent(String.self, forKey: .description), regions: try rows(.regions),
            departements: try rows(.departements), communes: try rows(.communes), qpvs: try rows(.qpvs), cls: try rows(.cls),
            asvs: try rows(.asvs), sismEditions: try rows(.sismEditions), dispositifs: try rows(.dispositifs),
            epcis: try rows(.epcis), psychiatricSectors: try rows(.psychiatricSectors), ptsmTerritories: try rows(.ptsmTerritories),
            sources: try rows(.sources))
    }

    /// The longest name of a region, département, commune, QPV, CLS or ASV, in characters
    /// (JSON and CSV imports alike).
    public static let maximumNameLength = 200

    public static let fields: Set<String> = [
        "description", "regions", "departements", "communes", "qpvs", "cls", "asvs", "sismEditions", "dispositifs", "epcis",
        "psychiatricSectors", "ptsmTerritories", "sources",
    ]

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
        let max = 100_000
        let description = object.optional("description", Strict.string(maxLength: 2000), &violations)
        let regions = object.optional("regions", Strict.array(maxCount: max, Strict.object(Region.self)), &violations)
        let departements = object.optional("departements", Strict.array(maxCount: max, Strict.object(Departement.self)), &violations)
        let communes = object.optional("communes", Strict.array(maxCount: max, Strict.object(Commune.self)), &violations)
        let qpvs = object.optional("qpvs", Strict.array(maxCount: max, Strict.object(Qpv.self)), &violations)
        let cls = object.optional("cls", Strict.array(maxCount: max, Strict.object(Cls.self)), &violations)
        let asvs = object.optional("asvs", Strict.array(maxCount: max, Strict.object(Asv.self)), &violations)
        let editions = object.optional("sismEditions", Strict.array(maxCount: 1000, Strict.object(SismEdition.self)), &violations)
        let dispositifs = object.optional("dispositifs", Strict.array(maxCount: max, Strict.object(LocalDispositif.self)), &violations)
        let epcis = object.optional("epcis", Strict.array(maxCount: max, Strict.object(Epci.self)), &violations)
        let sectors = object.optional(
            "psychiatricSectors", Strict.array(maxCount: max, Strict.object(PsychiatricSector.self)), &violations)
        let territories = object.optional("ptsmTerritories", Strict.array(maxCount: max, Strict.object(PtsmTerritory.self)), &violations)
        let sources = object.optional("sources", Strict.array(maxCount: max, Strict.object(RegisteredSource.self)), &violations)
        return Self(
            description: description, regions: regions ?? [], departements: departements ?? [], communes: communes ?? [],
            qpvs: qpvs ?? [], cls: cls ?? [], asvs: asvs ?? [], sismEditions: editions ?? [], dispositifs: dispositifs ?? [],
            epcis: epcis ?? [], psychiatricSectors: sectors ?? [], ptsmTerritories: territories ?? [], sources: sources ?? [])
    }

    /// Strict decoding of an import file, then consistency against `existing` reference
    /// data. Throws `schema_violation` (shape, duplicates) or `unknown_reference` (dangling
    /// codes), each with every violation.
    public static func decode(_ bytes: [UInt8], existing: ReferenceData = ReferenceData()) throws(EventRejection) -> ReferenceDataDocument {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw EventRejection(
                code: .schemaViolation, message: "reference data is not valid JSON",
                violations: [Violation(path: "$", reason: error.description)])
        }
        let document = try strictDecode(json, typeName: "reference data")
        try document.validate(existing: existing)
        return document
    }

    /// The document's consistency, whatever its source (JSON or CSV): no key twice
    /// (`schema_violation`), and every code referred to exists in the document or in
    /// `existing` (`unknown_reference`).
    public func validate(existing: ReferenceData = ReferenceData()) throws(EventRejection) {
        let duplicates = duplicateKeys()
        if !duplicates.isEmpty {
            throw EventRejection(code: .schemaViolation, message: "reference data lists some keys twice", violations: duplicates)
        }
        let dangling = danglingReferences(existing: existing)
        if !dangling.isEmpty {
            throw EventRejection(
                code: .unknownReference,
                message: "reference data refers to codes that exist neither in the file nor in the hub (\(dangling.count))",
                violations: dangling)
        }
    }

    func duplicateKeys() -> [Violation] {
        var violations: [Violation] = []
        func check<T>(_ rows: [T], _ section: String, _ key: (T) -> String) {
            var seen: Set<String> = []
            for (position, row) in rows.enumerated() where !seen.insert(key(row)).inserted {
                violations.append(Violation(path: "\(section)[\(position)]", reason: "duplicates key \(key(row))"))
            }
        }
        check(regions, "regions", \.code)
        check(departements, "departements", \.code)
        check(communes, "communes", \.code)
        check(qpvs, "qpvs", \.code)
        check(cls, "cls", \.id)
        check(asvs, "asvs", \.id)
        check(sismEditions, "sismEditions") { String($0.year) }
        check(dispositifs, "dispositifs") { "\($0.kind.rawValue) \($0.id)" }
        check(epcis, "epcis", \.siren)
        check(psychiatricSectors, "psychiatricSectors", \.id)
        check(ptsmTerritories, "ptsmTerritories", \.id)
        check(sources, "sources", \.source)
        return violations
    }

    func danglingReferences(existing: ReferenceData) -> [Violation] {
        var merged = existing
        merged.importing(self)
        var violations: [Violation] = []
        for (i, row) in departements.enumerated() where merged.regions[row.region] == nil {
            violations.append(Violation(path: "departements[\(i)].region", reason: "unknown region \(row.region)"))
        }
        for (i, row) in communes.enumerated() where merged.departements[row.departement] == nil {
            violations.append(Violation(path: "communes[\(i)].departement", reason: "unknown département \(row.departement)"))
        }
        for (i, row) in qpvs.enumerated() {
            for (j, commune) in row.communes.enumerated() where merged.communes[commune] == nil {
                violations.append(Violation(path: "qpvs[\(i)].communes[\(j)]", reason: "unknown commune \(commune)"))
            }
        }
        for (i, row) in cls.enumerated() {
            if merged.regions[row.region] == nil {
                violations.append(Violation(path: "cls[\(i)].region", reason: "unknown region \(row.region)"))
            }
            for (j, commune) in row.communes.enumerated() where merged.communes[commune] == nil {
                violations.append(Violation(path: "cls[\(i)].communes[\(j)]", reason: "unknown commune \(commune)"))
            }
        }
        for (i, row) in asvs.enumerated() {
            for (j, qpv) in row.qpvs.enumerated() where merged.qpvs[qpv] == nil {
                violations.append(Violation(path: "asvs[\(i)].qpvs[\(j)]", reason: "unknown QPV \(qpv)"))
            }
        }
        violations += danglingDispositifReferences(merged)
        violations += danglingSourceReferences(merged)
        return violations
    }

    /// The communes of the dispositifs, EPCIs and sectors, a contrat de ville's QPVs and a
    /// PTSM territory's départements must exist.
    private func danglingDispositifReferences(_ merged: ReferenceData) -> [Violation] {
        var violations: [Violation] = []
        func communes(_ section: String, _ i: Int, _ codes: [String]) {
            for (j, commune) in codes.enumerated() where merged.communes[commune] == nil {
                violations.append(Violation(path: "\(section)[\(i)].communes[\(j)]", reason: "unknown commune \(commune)"))
            }
        }
        for (i, row) in dispositifs.enumerated() {
            communes("dispositifs", i, row.communes)
            for (j, qpv) in row.qpvs.enumerated() where merged.qpvs[qpv] == nil {
                violations.append(Violation(path: "dispositifs[\(i)].qpvs[\(j)]", reason: "unknown QPV \(qpv)"))
            }
        }
        for (i, row) in epcis.enumerated() { communes("epcis", i, row.communes) }
        for (i, row) in psychiatricSectors.enumerated() { communes("psychiatricSectors", i, row.communes) }
        for (i, row) in ptsmTerritories.enumerated() {
            for (j, code) in row.departements.enumerated() where merged.departements[code] == nil {
                violations.append(Violation(path: "ptsmTerritories[\(i)].departements[\(j)]", reason: "unknown département \(code)"))
            }
        }
        return violations
    }

    /// An ARS's regions, and the CLS or ASV a source speaks for, must exist (CLSM and PTSM
    /// ids come with their events, so a source may be registered before them).
    private func danglingSourceReferences(_ merged: ReferenceData) -> [Violation] {
        var violations: [Violation] = []
        for (i, row) in sources.enumerated() {
            for (j, region) in row.regions.enumerated() where merged.regions[region] == nil {
                violations.append(Violation(path: "sources[\(i)].regions[\(j)]", reason: "unknown region \(region)"))
            }
            for (j, id) in row.entities.enumerated() {
                let known: Bool
                switch row.kind {
                case .cls: known = merged.cls[id] != nil
                case .asv: known = merged.asvs[id] != nil
                case .clsm, .ptsm, .ars: known = true
                }
                if !known {
                    violations.append(
                        Violation(path: "sources[\(i)].entities[\(j)]", reason: "unknown \(row.kind.rawValue.uppercased()) \(id)"))
                }
            }
        }
        return violations
    }
}
