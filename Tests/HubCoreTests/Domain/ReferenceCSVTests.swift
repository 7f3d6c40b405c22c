import Testing

@testable import HubCore

@Suite("Reference data from the official CSV layouts")
struct ReferenceCSVTests {
    static func document(_ text: String) throws -> ReferenceDataDocument {
        try ReferenceCSVImport.document(fromCSV: Array(text.utf8))
    }

    @Test("INSEE regions and départements")
    func regionsAndDepartements() throws {
        let regions = try Self.document("\u{FEFF}REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\r\n11,75056,1,ILE DE FRANCE,Île-de-France,Île-de-France\r\n84,69123,1,AUVERGNE RHONE ALPES,Auvergne-Rhône-Alpes,Auvergne-Rhône-Alpes\r\n")
        #expect(regions.regions == [Region(code: "11", name: "Île-de-France"), Region(code: "84", name: "Auvergne-Rhône-Alpes")])
        let departements = try Self.document("DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n93,11,93008,3,SEINE SAINT DENIS,Seine-Saint-Denis,Seine-Saint-Denis\n2A,94,2A004,3,CORSE DU SUD,Corse-du-Sud,Corse-du-Sud\n")
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
        #expect(document.communes == [
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
        #expect(document.qpvs == [
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

    @Test("a CSV import is validated against the hub like a JSON one")
    func validated() throws {
        let document = try Self.document("code_qp;lib_qp;insee_com\nQN13001M;Quartier;13201\n")
        #expect(rejection { try document.validate(existing: try Fixture.demoState().reference) }?.code == .unknownReference)
    }
}
