import HubTestSupport
import Testing

@testable import HubDomain

@Suite("Reference data from the official CSV layouts")
struct ReferenceCSVTests {
    static func document(_ text: String) throws -> ReferenceDataDocument {
        try ReferenceCSVImport.document(fromCSV: Array(text.utf8))
    }

    @Test("INSEE regions and départements")
    func regionsAndDepartements() throws {
        let regions = try Self.document(
            "\u{FEFF}REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\r\n11,75056,1,ILE DE FRANCE,Île-de-France,Île-de-France\r\n84,69123,1,AUVERGNE RHONE ALPES,Auvergne-Rhône-Alpes,Auvergne-Rhône-Alpes\r\n"
        )
        #expect(regions.regions == [Region(code: "11", name: "Île-de-France"), Region(code: "84", name: "Auvergne-Rhône-Alpes")])
        let departements = try Self.document(
            "DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n93,11,93008,3,SEINE SAINT DENIS,Seine-Saint-Denis,Seine-Saint-Denis\n2A,94,2A004,3,CORSE DU SUD,Corse-du-Sud,Corse-du-Sud\n"
        )
        #expect(departements.departements.map(\.code) == ["93", "2A"])
        #expect(departements.departements[1].region == "94")
    }

    @Test("INSEE communes: communes and arrondissements, associated and delegated communes skipped")
    func communes() throws {
        let text = """
            TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT
            COM,75056,11,75,75C,751,0,PARIS,Paris,Paris,7599,
            ARM,75101,,,,751,0,PARIS 1ER ARRONDISSEMENT,Paris 1er Arrondissement,Paris 1er Arrondissement,,75056
            COM,93066,11,93,93D,932,0,SAINT DENIS,Saint-Denis,Saint-Denis,9399,
            COMD,14001,,,,,0,X,X,"Commune déléguée, avec virgule",,14002

            """
        let document = try Self.document(text)
        #expect(
            document.communes == [
                Commune(code: "75056", name: "Paris", departement: "75"),
                Commune(code: "75101", name: "Paris 1er Arrondissement", departement: "75"),
                Commune(code: "93066", name: "Saint-Denis", departement: "93"),
            ])
    }

    @Test("QPV list: semicolons, several communes in one cell or over several rows")
    func qpvs() throws {
        let text = #"""
            code_qp;lib_qp;insee_com;lib_com
            QN09301M;Franc-Moisin;93066;Saint-Denis
            QN06901M;"Quartier ""à cheval""";69123, 69266;Lyon, Villeurbanne
            QN06901M;"Quartier ""à cheval""";69259;Vénissieux
            """#
        let document = try Self.document(text)
        #expect(
            document.qpvs == [
                Qpv(code: "QN09301M", name: "Franc-Moisin", communes: ["93066"]),
                Qpv(code: "QN06901M", name: "Quartier \"à cheval\"", communes: ["69123", "69266", "69259"]),
            ])
    }

    @Test("bad rows are listed with line and column, nothing is imported")
    func badRows() throws {
        let text = "DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n93,11,93008,3,X,X,Seine-Saint-Denis\n930,11,x,3,X,X,Bad\n94,ZZ,x,3,X,X,\n"
        let error = try #require(rejection { try Self.document(text) })
        #expect(error.code == .schemaViolation)
        #expect(error.violations.map(\.path) == ["line 3 DEP", "line 4 REG"])
    }

    @Test("an unknown header or an unterminated quote is a schema violation")
    func unreadable() throws {
        #expect(rejection { try Self.document("a,b\n1,2\n") }?.code == .schemaViolation)
        #expect(rejection { try Self.document("REG,LIBELLE\n11,\"open\n") }?.code == .schemaViolation)
    }

    /// The violation of a refused CSV text (or bytes), as "path: reason".
    static func refusal(_ bytes: [UInt8]) -> String? {
        rejection { try ReferenceCSVImport.document(fromCSV: bytes) }.map { $0.violations.map(\.description).joined(separator: "; ") }
    }

    static func refusal(_ text: String) -> String? { refusal(Array(text.utf8)) }

    static let regions = "REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n"

    @Test("hostile files are refused with their line: NUL, UTF-16, bad UTF-8, stray quotes, too many columns")
    func hostileSyntax() throws {
        #expect(Self.refusal(Self.regions + "11,75056,1,ILE,Ile,Il\u{0}e\n") == "line 2: holds a NUL byte (a binary or UTF-16 file?)")
        #expect(Self.refusal([0xFF, 0xFE] + Array("R\0E\0G\0".utf8))?.contains("UTF-16") == true)
        #expect(
            Self.refusal(Array((Self.regions + "11,75056,1,ILE,Ile,").utf8) + [0xED, 0xA0, 0x80, 0x0A])
                == "line 2: field 6: not valid UTF-8")
        #expect(Self.refusal(Self.regions + "11,75056,1,IL\"E,Ile,Ile\n")?.hasPrefix("line 2: field 4: a quote inside a field") == true)
        #expect(Self.refusal("REG,LIBELLE\n11,\"Ile\"x\n") == "line 2: field 2: text after the closing quote of a field")
        #expect(Self.refusal("REG,LIBELLE\n11,\"a\nb\nc\n")?.hasPrefix("line 2: unterminated quoted field") == true)
        let wide = (["REG", "LIBELLE"] + (0..<CSVTable.maximumColumns).map { "C\($0)" }).joined(separator: ",") + "\n"
        #expect(
            Self.refusal(wide) == "line 1: the header has more than \(CSVTable.maximumColumns) fields, more than a reference file may have")
        #expect(
            Self.refusal("REG,LIBELLE\n11,Ile" + String(repeating: ",", count: CSVTable.maximumColumns) + "\n")
                == "line 2: has more than \(CSVTable.maximumColumns) fields, more than a reference file may have", "even empty ones")
        #expect(Self.refusal("REG,LIBELLE\n11,Ile,extra\n") == "line 2: has 3 fields, more than the 2 columns of the header")
    }

    @Test("names are held to the JSON rules: no control character, at most 200 characters; long codes are quoted short")
    func hostileValues() throws {
        #expect(
            Self.refusal(Self.regions + "11,75056,1,ILE,Ile,Il\u{1B}e\n")
                == "line 2 LIBELLE: name holds a control character (NUL, line break...)")
        #expect(
            Self.refusal(Self.regions + "11,75056,1,ILE,Ile,\"Il\ne\"\n")
                == "line 2 LIBELLE: name holds a control character (NUL, line break...)")
        let long = String(repeating: "é", count: ReferenceDataDocument.maximumNameLength + 1)
        #expect(Self.refusal(Self.regions + "11,75056,1,ILE,Ile,\(long)\n") == "line 2 LIBELLE: name longer than 200 characters (201)")
        let name = String(repeating: "é", count: ReferenceDataDocument.maximumNameLength)
        #expect(try Self.document(Self.regions + "11,75056,1,ILE,Ile,\(name)\n").regions.first?.name == name)
        let code = String(repeating: "1", count: 5000)
        #expect(
            Self.refusal(Self.regions + "\(code),75056,1,ILE,Ile,Ile\n")
                == "line 2 REG: not a region code: \"\(code.prefix(40))…\" (5000 characters)")
    }

    @Test("what real files do is still read: trailing separators, spaces before a quote, CR line ends, quoted line breaks in other columns")
    func tolerated() throws {
        let document = try Self.document("REG;LIBELLE;NOTE\r11; \"Île-de-France\" ;\"two\nlines\";;\r84;Auvergne-Rhône-Alpes;\r")
        #expect(document.regions == [Region(code: "11", name: "Île-de-France"), Region(code: "84", name: "Auvergne-Rhône-Alpes")])
    }

    @Test("a CSV import is validated against the hub like a JSON one")
    func validated() throws {
        let document = try Self.document("code_qp;lib_qp;insee_com\nQN13001M;Quartier;13201\n")
        #expect(rejection { try document.validate(existing: try Fixture.demoState().reference) }?.code == .unknownReference)
    }
}
