import HubTestSupport
import Testing

@testable import HubDomain

/// Issue 19: CLSPD, CPTS, DAC, PRE, contrats de ville, EPCIs, psychiatric sectors and PTSM
/// territories in the reference data, JSON and CSV, and in the articulation report.
@Suite("Reference data: the other dispositifs and levels")
struct ReferenceDispositifsTests {
    @Test("the demo file holds a few of each kind, labelled as demo data")
    func demo() throws {
        let document = try Fixture.demoReference()
        #expect(document.description?.contains("issue 19") == true)
        #expect(Set(document.dispositifs.map(\.kind)) == Set(LocalDispositif.Kind.allCases))
        #expect(document.epcis.map(\.siren) == ["900000001", "900000002"])
        #expect(Set(document.psychiatricSectors.map(\.population)) == [.adult, .child])
        #expect(document.ptsmTerritories.filter { $0.departements == ["92"] }.count == 2)  // several in one département
        let reference = HubState(reference: document).reference
        #expect(
            reference.dispositifs(coveringAny: ["93001"]).map(\.id) == [
                "cpts-plaine-commune", "dac-93", "pre-aubervilliers", "cdv-plaine-commune",
            ])
        #expect(reference.epcis(coveringAny: ["93048"]).map(\.name) == ["Est Ensemble (démo)"])
        #expect(reference.psychiatricSectors(coveringAny: ["93066"]).map(\.id) == ["93G01", "93I01"])
        #expect(reference.ptsmTerritories(inDepartements: ["92"]).map(\.id) == ["ptsm-territoire-92-nord", "ptsm-territoire-92-sud"])
    }

    @Test("the JSON sections decode strictly: bad kinds, SIRENs, populations, QPVs outside a contrat de ville are refused with their paths")
    func strict() throws {
        let text = """
            {"dispositifs":[{"kind":"clspdx","id":"a","name":"A","communes":["93066"]},
                            {"kind":"cpts","id":"b","name":"B","communes":["93066"],"qpvs":["QN09301M"]},
                            {"kind":"dac","id":"c d","name":"C","communes":[]}],
             "epcis":[{"siren":"12345678","name":"E","communes":["93066"]},
                      {"siren":"123456789","name":"E","nature":"syndicat","communes":["93066"]}],
             "psychiatricSectors":[{"id":"93G01","name":"S","population":"elderly","establishment":"H","communes":["93066"]},
                                   {"id":"93G02","name":"S","population":"adult","communes":["93066"]}],
             "ptsmTerritories":[{"id":"t","name":"T","departements":["931"]},{"id":"u","name":"U","communes":["93066"],"departements":["93"]}]}
            """
        let error = try #require(rejection { try ReferenceDataDocument.decode(Array(text.utf8)) })
        #expect(error.code == .schemaViolation)
        #expect(
            error.violations.map(\.path) == [
                "dispositifs[0].kind", "dispositifs[1].qpvs", "dispositifs[2].communes", "dispositifs[2].id", "epcis[0].siren",
                "epcis[1].nature", "psychiatricSectors[0].population", "psychiatricSectors[1].establishment",
                "ptsmTerritories[0].departements[0]", "ptsmTerritories[1].communes",
            ])
    }

    @Test("their communes, QPVs and départements must exist; keys twice are refused (a kind and an id together)")
    func references() throws {
        let text = """
            {"dispositifs":[{"kind":"contratDeVille","id":"cdv","name":"C","communes":["93066","99999"],"qpvs":["QN09399M"]},
                            {"kind":"clspd","id":"cdv","name":"Same id, another kind","communes":["93066"]}],
             "epcis":[{"siren":"123456789","name":"E","communes":["99998"]}],
             "psychiatricSectors":[{"id":"93G01","name":"S","population":"adult","establishment":"H","communes":["99997"]}],
             "ptsmTerritories":[{"id":"t","name":"T","departements":["94"]}]}
            """
        let existing = try Fixture.demoState().reference
        let error = try #require(rejection { try ReferenceDataDocument.decode(Array(text.utf8), existing: existing) })
        #expect(error.code == .unknownReference)
        #expect(
            error.violations.map(\.path) == [
                "dispositifs[0].communes[1]", "dispositifs[0].qpvs[0]", "epcis[0].communes[0]", "psychiatricSectors[0].communes[0]",
                "ptsmTerritories[0].departements[0]",
            ])
        let twice =
            #"{"epcis":[{"siren":"123456789","name":"A","communes":["93066"]},{"siren":"123456789","name":"B","communes":["93001"]}]}"#
        let duplicate = try #require(rejection { try ReferenceDataDocument.decode(Array(twice.utf8), existing: existing) })
        #expect(duplicate.violations == [Violation(path: "epcis[1]", reason: "duplicates key 123456789")])
    }

    @Test("an import upserts by key, and importing the same file twice changes nothing the second time")
    func changes() throws {
        let demo = try Fixture.demoReference()
        let reference = HubState(reference: demo).reference
        let same = ReferenceImportChanges(importing: demo, into: reference)
        #expect(same.isEmpty)
        var renamed = ReferenceDataDocument(dispositifs: [demo.dispositifs[0]], epcis: [demo.epcis[0]])
        renamed.dispositifs[0].name = "Renamed"
        renamed.dispositifs.append(LocalDispositif(kind: .cpts, id: "cpts-new", name: "N", communes: ["93048"]))
        let changes = ReferenceImportChanges(importing: renamed, into: reference)
        #expect(changes[.dispositifs].updated == ["clspd clspd-saint-denis"])
        #expect(changes[.dispositifs].inserted == ["cpts cpts-new"])
        #expect(changes[.epcis].unchanged == 1)
        #expect(changes.rowsToWrite.dispositifs.map(\.id) == ["clspd-saint-denis", "cpts-new"])
        var updated = reference
        updated.importing(renamed)
        #expect(updated.dispositifs[LocalDispositif.Key(.clspd, "clspd-saint-denis")]?.name == "Renamed")
        #expect(updated.dispositifs.count == demo.dispositifs.count + 1)
    }

    @Test("the hub's dispositifs CSV layout: every kind, code lists, optional columns")
    func hubCSV() throws {
        let text = """
            kind;id;name;communes;qpvs;departements;nature;establishment;ptsm
            clspd;clspd-sd;CLSPD de Saint-Denis;93066;;;;;
            contratDeVille;cdv;Contrat de ville;93066, 93001;QN09301M/QN09302M;;;;
            epci;900000001;Plaine Commune;93066 93001;;;etablissementPublicTerritorial;;
            adultSector;93G01;Secteur 1;93066;;;;EPS (démo);
            childSector;93I01;Intersecteur;93066,93001;;;;EPS (démo);
            ptsmTerritory;t-93;Territoire 93;;;93;;;ptsm-93
            """
        let document = try ReferenceCSVImport.document(fromCSV: Array(text.utf8))
        #expect(
            document.dispositifs == [
                LocalDispositif(kind: .clspd, id: "clspd-sd", name: "CLSPD de Saint-Denis", communes: ["93066"]),
                LocalDispositif(
                    kind: .contratDeVille, id: "cdv", name: "Contrat de ville", communes: ["93066", "93001"],
                    qpvs: ["QN09301M", "QN09302M"]),
            ])
        #expect(
            document.epcis == [
                Epci(siren: "900000001", name: "Plaine Commune", nature: .etablissementPublicTerritorial, communes: ["93066", "93001"])
            ])
        #expect(document.psychiatricSectors.map(\.population) == [.adult, .child])
        #expect(document.psychiatricSectors[1].communes == ["93066", "93001"])
        #expect(document.ptsmTerritories == [PtsmTerritory(id: "t-93", name: "Territoire 93", departements: ["93"], ptsm: "ptsm-93")])
        try document.validate(existing: try Fixture.demoState().reference)
    }

    @Test("the INSEE EPCI composition: one row per commune, merged by SIREN, communes in no EPCI skipped")
    func inseeEpcis() throws {
        let text = """
            CODGEO,LIBGEO,EPCI,LIBEPCI,DEP,REG
            93066,Saint-Denis,200057867,Plaine Commune,93,11
            93001,Aubervilliers,200057867,Plaine Commune,93,11
            93008,Bobigny,200057875,Est Ensemble,93,11
            97501,Miquelon-Langlade,ZZZZZZZZZ,Sans objet,975,
            """
        let document = try ReferenceCSVImport.document(fromCSV: Array(text.utf8))
        #expect(
            document.epcis == [
                Epci(siren: "200057867", name: "Plaine Commune", communes: ["93066", "93001"]),
                Epci(siren: "200057875", name: "Est Ensemble", communes: ["93008"]),
            ])
    }

    @Test("bad CSV rows are refused naming the line and column; nothing is imported")
    func badCSV() throws {
        let text = """
            kind,id,name,communes,qpvs,departements,nature,establishment,ptsm
            clspdx,a,A,93066,,,,,
            cpts,b,B,93066,QN09301M,,,,
            epci,12345,E,93066,,,,,
            epci,123456789,E,93066,,,syndicat,,
            adultSector,93G01,S,93066,,,,,
            ptsmTerritory,t,T,,,,,,
            dac,d,D,9306,,,,,
            pre,"p q",P,93066,,,,,
            """
        let error = try #require(rejection { try ReferenceCSVImport.document(fromCSV: Array(text.utf8)) })
        #expect(error.code == .schemaViolation)
        #expect(
            error.violations.map(\.path) == [
                "line 2 kind", "line 3 qpvs", "line 4 id", "line 5 nature", "line 6 establishment", "line 7 departements",
                "line 8 communes", "line 9 id",
            ])
        let epci =
            "CODGEO,LIBGEO,EPCI,LIBEPCI,DEP,REG\n9306,X,200057867,Plaine Commune,93,11\n93066,Saint-Denis,2000578,Plaine Commune,93,11\n"
        let epciError = try #require(rejection { try ReferenceCSVImport.document(fromCSV: Array(epci.utf8)) })
        #expect(epciError.violations.map(\.path) == ["line 2 CODGEO", "line 3 EPCI"])
    }

    // MARK: The articulation report

    @Test("the articulation report lists, per CLSM, the dispositifs and levels on its territory, counted and one per row")
    func articulationReport() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("clsm-aubervilliers", communes: ["93001"])))
        try hub.send(.clsmDeclared(Fixture.clsm("clsm-nanterre", communes: ["92050"])))
        let report = try ArticulationReport(state: hub.state, region: "11")
        #expect(report.document.sections.map(\.name) == ["clsms", "territoryCounts", "territory", "declared", "rates"])
        #expect(
            report.territoryCountsListing.columns == [
                "clsm", "clspd", "cpts", "dac", "pre", "contratDeVille", "epci", "adultSector", "childSector", "ptsmTerritory",
            ])
        #expect(
            ReportFixture.cells(report.territoryCountsListing) == [
                ["clsm-aubervilliers", "0", "1", "1", "1", "1", "1", "1", "1", "1"],
                ["clsm-nanterre", "0", "0", "0", "0", "0", "0", "0", "0", "2"],
            ])
        #expect(report.territoryListing.columns == ["clsm", "kind", "id", "name", "detail", "shared"])
        #expect(
            ReportFixture.cells(report.territoryListing).filter { $0[0] == "clsm-aubervilliers" }.map { Array($0[1...]) } == [
                ["cpts", "cpts-plaine-commune", "CPTS Plaine Commune (démo)", "", "93001"],
                ["dac", "dac-93", "DAC de Seine-Saint-Denis (démo)", "", "93001"],
                ["pre", "pre-aubervilliers", "Programme de réussite éducative d'Aubervilliers (démo)", "", "93001"],
                ["contratDeVille", "cdv-plaine-commune", "Contrat de ville de Plaine Commune (démo)", "QPVs: QN09302M", "93001"],
                ["epci", "900000001", "Plaine Commune (démo)", "etablissementPublicTerritorial", "93001"],
                ["adultSector", "93G02", "Secteur d'Aubervilliers (démo)", "Établissement public de santé (démo)", "93001"],
                [
                    "childSector", "93I01", "Intersecteur infanto-juvénile de Plaine Commune (démo)",
                    "Établissement public de santé (démo)", "93001",
                ],
                ["ptsmTerritory", "ptsm-territoire-93", "Territoire du PTSM de Seine-Saint-Denis (démo)", "PTSM ptsm-93", "93"],
            ])
        // The existing sections keep their columns.
        #expect(report.clsmListing.columns.count == 14)
    }

    @Test(
        "in the report too, a CLSM on 75056 meets what is coded by arrondissement, and a CLSM on an arrondissement what is coded on 75056")
    func articulationReportArrondissements() throws {
        var hub = try ArrondissementMatchingTests.harness()
        try hub.send(.clsmDeclared(Fixture.clsm("paris", communes: ["75056"])))
        try hub.send(.clsmDeclared(Fixture.clsm("paris-4", communes: ["75104"])))
        let report = try ArticulationReport(state: hub.state, region: "11")
        let rows = ReportFixture.cells(report.territoryListing)
        #expect(
            rows.filter { $0[0] == "paris" }.map { [$0[1], $0[2], $0[5]] } == [
                ["clspd", "clspd-paris-18", "75056; 75118"],
                ["contratDeVille", "cdv-paris", "75056"],
                ["epci", "200054781", "75056"],
                ["adultSector", "75G18", "75056; 75118"],
                ["childSector", "75I04", "75056; 75104"],
                ["ptsmTerritory", "territoire-paris", "75"],
            ])
        #expect(
            rows.filter { $0[0] == "paris-4" }.map { [$0[1], $0[2], $0[5]] } == [
                ["contratDeVille", "cdv-paris", "75056; 75104"],
                ["epci", "200054781", "75056; 75104"],
                ["childSector", "75I04", "75104"],
                ["ptsmTerritory", "territoire-paris", "75"],
            ])
        // The contrat de ville's QPVs: those on the CLSM's ground.
        #expect(rows.first { $0[0] == "paris-4" && $0[1] == "contratDeVille" }?[4] == "QPVs: QN07556M")
        #expect(rows.first { $0[0] == "paris" && $0[1] == "contratDeVille" }?[4] == "QPVs: QN07518M, QN07556M")
    }

    // MARK: Declared articulation

    /// An activity report of `clsmId` for `year` with these answers (the other fields minimal).
    static func activityReport(_ clsmId: String, year: Int, _ answers: [String: String]) throws -> ActivityReportRecord {
        let articulation = ["ptsm", "cls", "clspd", "asv", "cpts", "pre", "dac", "contratDeVille"]
            .map { "\"\($0)\": \"\(answers[$0] ?? "no")\"" }.joined(separator: ", ")
        let text = """
            {"clsmId": "\(clsmId)", "year": \(year), "version": 1, "reportedOn": "\(year + 1)-01-15",
             "meetings": {"copil": 1, "plenaryAssembly": 1, "technicalCommittee": 1, "workingGroups": 1},
             "involvement": {"elected": "involved", "adultPsychiatry": "involved", "childPsychiatry": "involved",
                             "users": "involved", "carers": "involved"},
             "userParticipation": "operational", "coordinator": {"fte": 0.5, "vacant": false, "clsmsCoordinated": 1, "funders": []},
             "ownBudget": false, "needsDiagnostic": "done", "articulation": {\(articulation)}, "actions": [],
             "sismParticipation": true}
            """
        let report = try ClsmActivityReported.strictDecode(try JSONParser.parse(Array(text.utf8)), typeName: "clsm.activity.reported")
        return ActivityReportRecord(report: report, region: "11", lastEvent: EventIdentity(source: "urn:test", id: "\(clsmId)-\(year)"))
    }

    @Test("the declared articulation of the latest activity report, beside what lies on the territory, with the contradictions flagged")
    func declaredArticulation() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("clsm-aubervilliers", communes: ["93001"])))
        try hub.send(.clsmDeclared(Fixture.clsm("clsm-montreuil", communes: ["93048"])))
        for record in [
            try Self.activityReport("clsm-aubervilliers", year: 2025, ["clspd": "notOnTerritory"]),
            try Self.activityReport(
                "clsm-aubervilliers", year: 2026,
                ["ptsm": "yes", "cls": "yes", "clspd": "yes", "asv": "no", "cpts": "notOnTerritory", "pre": "yes", "contratDeVille": "yes"]),
        ] {
            hub.state.activityReports[record.id] = record
        }
        let report = try ArticulationReport(state: hub.state, region: "11")
        #expect(report.declaredListing.columns == ["clsm", "year", "dispositif", "declared", "onTerritory", "check"])
        #expect(
            ReportFixture.cells(report.declaredListing) == [
                ["clsm-aubervilliers", "2026", "ptsm", "yes", "ptsm-territoire-93", ""],
                ["clsm-aubervilliers", "2026", "cls", "yes", "cls-plaine-commune", ""],
                ["clsm-aubervilliers", "2026", "clspd", "yes", "", "noneOnTerritory"],
                ["clsm-aubervilliers", "2026", "asv", "no", "", ""],
                ["clsm-aubervilliers", "2026", "cpts", "notOnTerritory", "cpts-plaine-commune", "presentOnTerritory"],
                ["clsm-aubervilliers", "2026", "pre", "yes", "pre-aubervilliers", ""],
                ["clsm-aubervilliers", "2026", "dac", "no", "dac-93", ""],
                ["clsm-aubervilliers", "2026", "contratDeVille", "yes", "cdv-plaine-commune", ""],
            ])  // clsm-montreuil sent no report: no rows
        #expect(report.document.sections.map(\.name) == ["clsms", "territoryCounts", "territory", "declared", "rates"])
    }
}
