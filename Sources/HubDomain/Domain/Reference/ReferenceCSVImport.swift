/// Reads the official CSV layouts into a `ReferenceDataDocument`, for
/// `hub-admin reference import FILE` (the document then goes through
/// `ReferenceDataDocument.validate(existing:)` like a JSON import).
///
/// Recognised by their headers:
/// - INSEE COG regions (`REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE`);
/// - INSEE COG départements (`DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE`);
/// - INSEE COG communes (`TYPECOM,COM,REG,DEP,...,LIBELLE,...,COMPARENT`): `COM` rows and
///   municipal arrondissements (`ARM`, département taken from the parent commune);
///   associated and delegated communes (`COMA`, `COMD`) are skipped;
/// - the QPV list: a code column (`code_qp`, `code_qpv`, `Code du quartier`...), a name
///   column (`lib_qp`, `nom_qp`, `Nom du quartier`...) and a commune column (`insee_com`,
///   `code_insee`, `depcom`, `Code commune`...) that may hold several codes separated by
///   `,`, `;`, `/` or spaces; several rows for one QPV are merged;
/// - the INSEE EPCI composition (`CODGEO,LIBGEO,EPCI,LIBEPCI,DEP,REG`, one row per commune):
///   EPCIs by SIREN with their communes (`ZZZZZZZZZ`, a commune in no EPCI, is skipped);
/// - the hub's dispositifs layout (`kind,id,name,communes`, optional `qpvs`, `departements`,
///   `nature`, `establishment`, `ptsm`): one row per CLSPD, CPTS, DAC, PRE, contrat de ville
///   (`kind` as in the JSON's `dispositifs`), EPCI (`epci`, `id` its SIREN), psychiatric sector
///   (`adultSector`, `childSector`, with `establishment`) or PTSM territory (`ptsmTerritory`,
///   with `departements` instead of `communes`). Lists of codes are separated like the QPV
///   list's.
public enum ReferenceCSVImport {
    public enum Layout: String, Sendable, Hashable {
        case inseeRegions, inseeDepartements, inseeCommunes, qpvList, inseeEpcis, hubDispositifs
    }

    static let qpvCode = ["code_qp", "code_qpv", "codeqp", "code du quartier", "code quartier", "code_quartier"]
    static let qpvName = ["lib_qp", "nom_qp", "nom_qpv", "nom du quartier", "nom quartier", "libelle_qp", "lib_qpv"]
    static let qpvCommunes = [
        "insee_com", "code_insee", "codes_insee", "depcom", "code commune", "code_commune", "codes communes", "insee_com_list", "com",
    ]

    /// Which layout a table has, if any.
    public static func layout(of table: CSVTable) -> Layout? {
        let has = { (name: String) in table.column([name]) != nil }
        if has("kind"), has("id"), has("name"), has("communes") || has("departements") { return .hubDispositifs }
        if has("CODGEO"), has("EPCI"), has("LIBEPCI") { return .inseeEpcis }
        if has("TYPECOM"), has("COM"), has("LIBELLE") { return .inseeCommunes }
        if has("DEP"), has("REG"), has("LIBELLE"), !has("COM") { return .inseeDepartements }
        if has("REG"), has("LIBELLE"), !has("DEP") { return .inseeRegions }
        if table.column(qpvCode) != nil, table.column(qpvName) != nil, table.column(qpvCommunes) != nil { return .qpvList }
        return nil
    }

    /// Parses a CSV file in one of the layouts. Throws `schema_violation` naming the line
    /// and column of every bad row (and nothing is imported). Names are held to the rules of
    /// a JSON import (at most `ReferenceDataDocument.maximumNameLength` characters) and may
    /// not hold control characters: they are stored as PostgreSQL text, which refuses NUL.
    public static func document(fromCSV bytes: [UInt8]) throws(EventRejection) -> ReferenceDataDocument {
        let table: CSVTable
        do {
            table = try CSVTable(parsing: bytes)
        } catch {
            throw EventRejection(
                code: .schemaViolation, message: "reference CSV is unreadable",
                violations: [Violation(path: "line \(error.line)", reason: error.reason)])
        }
        guard let layout = layout(of: table) else {
            throw EventRejection(
                code: .schemaViolation,
                message:
                    "reference CSV header not recognised (expected the INSEE region, département, commune or EPCI layout, the QPV list, or the hub's dispositifs layout kind,id,name,communes): \(table.header.prefix(20).joined(separator: ","))"
            )
        }
        var rows = Rows(table: table)
        var document = ReferenceDataDocument(description: "imported from CSV (\(layout.rawValue))")
        switch layout {
        case .inseeRegions: document.regions = rows.regions()
        case .inseeDepartements: document.departements = rows.departements()
        case .inseeCommunes: document.communes = rows.communes()
        case .qpvList: document.qpvs = rows.qpvs()
        case .inseeEpcis: document.epcis = rows.inseeEpcis()
        case .hubDispositifs: rows.dispositifs(into: &document)
        }
        guard rows.violations.isEmpty else {
            throw EventRejection(
                code: .schemaViolation, message: "reference CSV (\(layout.rawValue)) has \(rows.violations.count) bad row(s)",
                violations: rows.violations)
        }
        return document
    }

    /// Why `name` cannot be a reference name, or nil when it can.
    static func nameProblem(_ name: String) -> String? {
        let maximum = ReferenceDataDocument.maximumNameLength
        if name.isEmpty { return "empty name" }
        if name.utf8.count > maximum, name.count > maximum { return "name longer than \(maximum) characters (\(name.count))" }
        if !StorableText.isStorable(name) { return "name holds a control character (NUL, line break...)" }
        return nil
    }

    /// A value quoted in a violation, cut short: a hostile cell may be megabytes long.
    static func quoted(_ value: String) -> String {
        value.count > 40 ? "\"\(value.prefix(40))…\" (\(value.count) characters)" : "\"\(value)\""
    }

    /// The rows of a table in a known layout, read into entities; every bad cell is a
    /// violation naming its line and column.
    struct Rows {
        let table: CSVTable
        var violations: [Violation] = []

        init(table: CSVTable) {
            self.table = table
        }

        /// The trimmed cell of `row` in `column`; empty when the row is shorter.
        func cell(_ row: [String], _ column: Int?) -> String { Self.cellText(row, column) }

        static func cellText(_ row: [String], _ column: Int?) -> String {
            guard let column, column < row.count else { return "" }
            return String(row[column].trimmingWhitespace())
        }

        /// The header of `column` as written, for violations.
        func name(of column: Int?, _ fallback: String) -> String {
            guard let column, column < table.header.count else { return fallback }
            return table.header[column]
        }

        mutating func check(_ ok: Bool, _ line: Int, _ column: String, _ reason: @autoclosure () -> String) -> Bool {
            if !ok { violations.append(Violation(path: "line \(line) \(column)", reason: reason())) }
            return ok
        }

        mutating func checkName(_ name: String, _ line: Int, _ column: String) -> Bool {
            let problem = ReferenceCSVImport.nameProblem(name)
            return check(problem == nil, line, column, problem ?? "")
        }

        mutating func regions() -> [Region] {
            let reg = table.column(["REG"]), name = table.column(["LIBELLE"])
            var regions: [Region] = []
            for (line, row) in table.rows {
                let code = cell(row, reg), label = cell(row, name)
                guard check(CodeFormat.isRegion(code), line, "REG", "not a region code: \(quoted(code))"),
                    checkName(label, line, "LIBELLE")
                else { continue }
                regions.append(Region(code: code, name: label))
            }
            return regions
        }

        mutating func departements() -> [Departement] {
            let dep = table.column(["DEP"]), reg = table.column(["REG"]), name = table.column(["LIBELLE"])
            var departements: [Departement] = []
            for (line, row) in table.rows {
                let code = cell(row, dep), region = cell(row, reg), label = cell(row, name)
                guard check(CodeFormat.isDepartement(code), line, "DEP", "not a département code: \(quoted(code))"),
                    check(CodeFormat.isRegion(region), line, "REG", "not a region code: \(quoted(region))"),
                    checkName(label, line, "LIBELLE")
                else { continue }
                departements.append(Departement(code: code, name: label, region: region))
            }
            return departements
        }

        mutating func communes() -> [Commune] {
            let type = table.column(["TYPECOM"]), com = table.column(["COM"]), dep = table.column(["DEP"])
            let name = table.column(["LIBELLE"]), parent = table.column(["COMPARENT"])
            var departementOf: [String: String] = [:]
            for (_, row) in table.rows where cell(row, type) == "COM" { departementOf[cell(row, com)] = cell(row, dep) }
            var communes: [Commune] = []
            for (line, row) in table.rows {
                let kind = cell(row, type)
                guard kind == "COM" || kind == "ARM" else { continue }
                let code = cell(row, com), label = cell(row, name)
                // An arrondissement's département is its parent commune's.
                let departement = kind == "COM" ? cell(row, dep) : (departementOf[cell(row, parent)] ?? cell(row, dep))
                guard check(CodeFormat.isCommune(code), line, "COM", "not an INSEE commune code: \(quoted(code))"),
                    check(CodeFormat.isDepartement(departement), line, "DEP", "no département for commune \(code)"),
                    checkName(label, line, "LIBELLE")
                else { continue }
                communes.append(Commune(code: code, name: label, departement: departement))
            }
            return communes
        }

        /// One EPCI per SIREN, its communes in the order of the rows.
        mutating func inseeEpcis() -> [Epci] {
            let com = table.column(["CODGEO"]), siren = table.column(["EPCI"]), name = table.column(["LIBEPCI"])
            var epcis: [Epci] = []
            var positions: [String: Int] = [:]
            for (line, row) in table.rows {
                let code = cell(row, com), id = cell(row, siren), label = cell(row, name)
                if id == "ZZZZZZZZZ" { continue }  // the commune belongs to no EPCI
                guard check(CodeFormat.isCommune(code), line, "CODGEO", "not an INSEE commune code: \(quoted(code))"),
                    check(CodeFormat.isSiren(id), line, "EPCI", "not a SIREN (9 digits): \(quoted(id))"),
                    checkName(label, line, "LIBEPCI")
                else { continue }
                if let position = positions[id] {
                    if !epcis[position].communes.contains(code) { epcis[position].communes.append(code) }
                } else {
                    positions[id] = epcis.count
                    epcis.append(Epci(siren: id, name: label, communes: [code]))
                }
            }
            return epcis
        }

        /// The hub's dispositifs layout: each row goes to the section of its kind.
        mutating func dispositifs(into document: inout ReferenceDataDocument) {
            let table = self.table
            let column = { (name: String) in table.column([name]) }
            let kindColumn = column("kind"), idColumn = column("id"), nameColumn = column("name")
            let communeColumn = column("communes"), qpvColumn = column("qpvs"), departementColumn = column("departements")
            let natureColumn = column("nature"), establishmentColumn = column("establishment"), ptsmColumn = column("ptsm")
            let kinds = LocalDispositif.Kind.allCases.map(\.rawValue) + ["epci", "adultSector", "childSector", "ptsmTerritory"]
            func codes(_ row: [String], _ column: Int?) -> [String] {
                Self.cellText(row, column).split(whereSeparator: { ",;/ ".contains($0) }).map(String.init)
            }
            for (line, row) in table.rows {
                let kind = Self.cellText(row, kindColumn), id = Self.cellText(row, idColumn), label = Self.cellText(row, nameColumn)
                let communeText = Self.cellText(row, communeColumn), departementText = Self.cellText(row, departementColumn)
                let qpvText = Self.cellText(row, qpvColumn)
                let communes = codes(row, communeColumn), departements = codes(row, departementColumn)
                let qpvs = codes(row, qpvColumn), nature = Self.cellText(row, natureColumn)
                let establishment = Self.cellText(row, establishmentColumn), ptsm = Self.cellText(row, ptsmColumn)
                guard check(kinds.contains(kind), line, "kind", "not one of [\(kinds.joined(separator: ", "))]: \(quoted(kind))"),
                    checkName(label, line, "name")
                else { continue }
                let isTerritory = kind == "ptsmTerritory"
                guard
                    check(
                        kind == "epci" ? CodeFormat.isSiren(id) : Self.isIdentifier(id), line, "id",
                        kind == "epci"
                            ? "not a SIREN (9 digits): \(quoted(id))"
                            : "not an identifier (no space or '|', 1 to 100 characters): \(quoted(id))"),
                    isTerritory
                        ? check(
                            !departements.isEmpty && departements.count <= 20 && departements.allSatisfy(CodeFormat.isDepartement), line,
                            "departements", "not département code(s) (1 to 20): \(quoted(departementText))")
                        : check(
                            !communes.isEmpty && communes.count <= 2000 && communes.allSatisfy(CodeFormat.isCommune), line, "communes",
                            "not INSEE commune code(s) (1 to 2000): \(quoted(communeText))"),
                    check(
                        qpvs.isEmpty || kind == LocalDispositif.Kind.contratDeVille.rawValue, line, "qpvs",
                        "only a contrat de ville lists QPVs"),
                    check(qpvs.count <= 200 && qpvs.allSatisfy(CodeFormat.isQpv), line, "qpvs", "not QPV code(s): \(quoted(qpvText))")
                else { continue }
                switch kind {
                case "epci":
                    let parsed = Epci.Nature(rawValue: nature)
                    guard
                        check(
                            nature.isEmpty || parsed != nil, line, "nature",
                            "not one of [\(Epci.Nature.allCases.map(\.rawValue).joined(separator: ", "))]: \(quoted(nature))")
                    else { continue }
                    document.epcis.append(Epci(siren: id, name: label, nature: parsed, communes: communes))
                case "adultSector", "childSector":
                    guard checkName(establishment, line, "establishment") else { continue }
                    document.psychiatricSectors.append(
                        PsychiatricSector(
                            id: id, name: label, population: kind == "adultSector" ? .adult : .child, establishment: establishment,
                            communes: communes))
                case "ptsmTerritory":
                    guard check(ptsm.isEmpty || Self.isIdentifier(ptsm), line, "ptsm", "not an identifier: \(quoted(ptsm))") else {
                        continue
                    }
                    document.ptsmTerritories.append(
                        PtsmTerritory(id: id, name: label, departements: departements, ptsm: ptsm.isEmpty ? nil : ptsm))
                default:
                    // `kinds` was checked above: the other kinds are the dispositifs'.
                    guard let dispositifKind = LocalDispositif.Kind(rawValue: kind) else { continue }
                    document.dispositifs.append(LocalDispositif(kind: dispositifKind, id: id, name: label, communes: communes, qpvs: qpvs))
                }
            }
        }

        /// An identifier as the JSON import takes it (`Strict.identifier`).
        static func isIdentifier(_ text: String) -> Bool {
            var violations: [Violation] = []
            return Strict.identifier(.string(text), .root, &violations) != nil
        }

        /// Several rows for one QPV (one per commune) are merged, in the order first seen.
        mutating func qpvs() -> [Qpv] {
            let codeColumn = table.column(qpvCode), nameColumn = table.column(qpvName), communeColumn = table.column(qpvCommunes)
            let codeHeader = name(of: codeColumn, "code"), nameHeader = name(of: nameColumn, "name")
            let communeHeader = name(of: communeColumn, "communes")
            var qpvs: [Qpv] = []
            var positions: [String: Int] = [:]
            for (line, row) in table.rows {
                let code = cell(row, codeColumn), label = cell(row, nameColumn), cellCommunes = cell(row, communeColumn)
                let communes = cellCommunes.split(whereSeparator: { ",;/ ".contains($0) }).map(String.init)
                guard check(CodeFormat.isQpv(code), line, codeHeader, "not a QPV code: \(quoted(code))"),
                    checkName(label, line, nameHeader),
                    check(
                        !communes.isEmpty && communes.allSatisfy(CodeFormat.isCommune), line, communeHeader,
                        "not INSEE commune code(s): \(quoted(cellCommunes))")
                else { continue }
                guard let position = positions[code] else {
                    positions[code] = qpvs.count
                    qpvs.append(Qpv(code: code, name: label, communes: communes))
                    continue
                }
                for commune in communes where !qpvs[position].communes.contains(commune) { qpvs[position].communes.append(commune) }
            }
            return qpvs
        }
    }
}
