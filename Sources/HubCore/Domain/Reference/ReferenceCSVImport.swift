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
///   `,`, `;`, `/` or spaces; several rows for one QPV are merged.
public enum ReferenceCSVImport {
    public enum Layout: String, Sendable, Hashable {
        case inseeRegions, inseeDepartements, inseeCommunes, qpvList
    }

    static let qpvCode = ["code_qp", "code_qpv", "codeqp", "code du quartier", "code quartier", "code_quartier"]
    static let qpvName = ["lib_qp", "nom_qp", "nom_qpv", "nom du quartier", "nom quartier", "libelle_qp", "lib_qpv"]
    static let qpvCommunes = ["insee_com", "code_insee", "codes_insee", "depcom", "code commune", "code_commune", "codes communes", "insee_com_list", "com"]

    /// Which layout a table has, if any.
    public static func layout(of table: CSVTable) -> Layout? {
        let has = { (name: String) in table.column([name]) != nil }
        if has("TYPECOM"), has("COM"), has("LIBELLE") { return .inseeCommunes }
        if has("DEP"), has("REG"), has("LIBELLE"), !has("COM") { return .inseeDepartements }
        if has("REG"), has("LIBELLE"), !has("DEP") { return .inseeRegions }
        if table.column(qpvCode) != nil, table.column(qpvName) != nil, table.column(qpvCommunes) != nil { return .qpvList }
        return nil
    }

    /// Parses a CSV file in one of the layouts. Throws `schema_violation` naming the line
    /// and column of every bad row (and nothing is imported).
    public static func document(fromCSV bytes: [UInt8]) throws(EventRejection) -> ReferenceDataDocument {
        let table: CSVTable
        do {
            table = try CSVTable(parsing: bytes)
        } catch {
            throw EventRejection(code: .schemaViolation, message: "reference CSV is unreadable", violations: [Violation(path: "line \(error.line)", reason: error.reason)])
        }
        guard let layout = layout(of: table) else {
            throw EventRejection(
                code: .schemaViolation,
                message: "reference CSV header not recognised (expected the INSEE region, département or commune layout, or the QPV list): \(table.header.joined(separator: ","))")
        }
        var violations: [Violation] = []
        var document = ReferenceDataDocument(description: "imported from CSV (\(layout.rawValue))")
        func cell(_ row: [String], _ column: Int?) -> String {
            guard let column, column < row.count else { return "" }
            return String(row[column].trimmingWhitespace())
        }
        func check(_ ok: Bool, _ line: Int, _ column: String, _ reason: String) -> Bool {
            if !ok { violations.append(Violation(path: "line \(line) \(column)", reason: reason)) }
            return ok
        }
        switch layout {
        case .inseeRegions:
            let reg = table.column(["REG"]), name = table.column(["LIBELLE"])
            for (line, row) in table.rows {
                let code = cell(row, reg), label = cell(row, name)
                guard check(CodeFormat.isRegion(code), line, "REG", "not a region code: \"\(code)\""),
                    check(!label.isEmpty, line, "LIBELLE", "empty name")
                else { continue }
                document.regions.append(Region(code: code, name: label))
            }
        case .inseeDepartements:
            let dep = table.column(["DEP"]), reg = table.column(["REG"]), name = table.column(["LIBELLE"])
            for (line, row) in table.rows {
                let code = cell(row, dep), region = cell(row, reg), label = cell(row, name)
                guard check(CodeFormat.isDepartement(code), line, "DEP", "not a département code: \"\(code)\""),
                    check(CodeFormat.isRegion(region), line, "REG", "not a region code: \"\(region)\""),
                    check(!label.isEmpty, line, "LIBELLE", "empty name")
                else { continue }
                document.departements.append(Departement(code: code, name: label, region: region))
            }
        case .inseeCommunes:
            let type = table.column(["TYPECOM"]), com = table.column(["COM"]), dep = table.column(["DEP"])
            let name = table.column(["LIBELLE"]), parent = table.column(["COMPARENT"])
            var departementOf: [String: String] = [:]
            for (_, row) in table.rows where cell(row, type) == "COM" { departementOf[cell(row, com)] = cell(row, dep) }
            for (line, row) in table.rows {
                let kind = cell(row, type)
                guard kind == "COM" || kind == "ARM" else { continue }
                let code = cell(row, com), label = cell(row, name)
                let departement = kind == "COM" ? cell(row, dep) : (departementOf[cell(row, parent)] ?? cell(row, dep))
                guard check(CodeFormat.isCommune(code), line, "COM", "not an INSEE commune code: \"\(code)\""),
                    check(CodeFormat.isDepartement(departement), line, "DEP", "no département for commune \(code)"),
                    check(!label.isEmpty, line, "LIBELLE", "empty name")
                else { continue }
                document.communes.append(Commune(code: code, name: label, departement: departement))
            }
        case .qpvList:
            let codeColumn = table.column(qpvCode), nameColumn = table.column(qpvName), communeColumn = table.column(qpvCommunes)
            var order: [String] = []
            var byCode: [String: Qpv] = [:]
            for (line, row) in table.rows {
                let code = cell(row, codeColumn), label = cell(row, nameColumn)
                let communes = cell(row, communeColumn).split(whereSeparator: { ",;/ ".contains($0) }).map(String.init)
                guard check(CodeFormat.isQpv(code), line, table.header[codeColumn!], "not a QPV code: \"\(code)\""),
                    check(!label.isEmpty, line, table.header[nameColumn!], "empty name"),
                    check(!communes.isEmpty && communes.allSatisfy(CodeFormat.isCommune), line, table.header[communeColumn!], "not INSEE commune code(s): \"\(cell(row, communeColumn))\"")
                else { continue }
                if var existing = byCode[code] {
                    for commune in communes where !existing.communes.contains(commune) { existing.communes.append(commune) }
                    byCode[code] = existing
                } else {
                    order.append(code)
                    byCode[code] = Qpv(code: code, name: label, communes: communes)
                }
            }
            document.qpvs = order.map { byCode[$0]! }
        }
        guard violations.isEmpty else {
            throw EventRejection(code: .schemaViolation, message: "reference CSV (\(layout.rawValue)) has \(violations.count) bad row(s)", violations: violations)
        }
        return document
    }
}
