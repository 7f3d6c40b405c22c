import HubTestSupport
import Testing

@testable import HubDomain

@Suite("Reports: articulation")
struct ArticulationReportTests {
    @Test("the demo region: each CLSM against PTSM, CLS, ASV, QPVs and governance")
    func demoClsms() throws {
        let report = try ArticulationReport(state: try ReportFixture.demoHub().state, region: "11")
        #expect(report.region.name == "Île-de-France")
        #expect(
            report.clsmListing.columns == [
                "clsm", "name", "status", "communes", "ptsm", "cls", "asv", "qpvs", "qpvsWithoutAsv", "copil", "plenaryAssembly",
                "missingQuatreQuarts", "childPsychiatry", "qpvActions",
            ])
        #expect(
            ReportFixture.cells(report.clsmListing) == [
                [
                    "clsm-aubervilliers", "CLSM d'Aubervilliers (démo)", "active", "1", "ptsm-93 v2 (2026-09-10)", "cls-plaine-commune", "",
                    "1", "QN09302M", "yes", "no", "", "yes", "0",
                ],
                [
                    "clsm-saint-denis", "CLSM de Saint-Denis et Aubervilliers (démo)", "active", "2", "ptsm-93 v2 (2026-09-10)",
                    "cls-plaine-commune", "asv-saint-denis", "2", "QN09302M", "yes", "yes", "carers", "no", "1",
                ],
            ])
    }

    @Test("the demo region's rates beside the national 2022 ones")
    func demoRates() throws {
        let report = try ArticulationReport(state: try ReportFixture.demoHub().state, region: "11")
        let rates = report.ratesListing
        func rate(_ name: String) throws -> [String] {
            let row = try ReportFixture.row(rates, name)
            return [row["count"]!, row["of"]!, row["regionPercent"]!, row["national2022"]!]
        }
        #expect(try rate("withPtsm") == ["2", "2", "100", "91%"])
        #expect(try rate("withCls") == ["2", "2", "100", "77%"])
        #expect(try rate("coversQpv") == ["2", "2", "100", "83%"])
        // Aubervilliers' only QPV (Quatre-Chemins) has no ASV; Saint-Denis has Franc-Moisin's.
        #expect(try rate("qpvTerritoryWithoutAsv") == ["1", "2", "50", "> 40%"])
        #expect(try rate("someQpvWithoutAsv") == ["2", "2", "100", ""])
        // Aubervilliers' action was in Bobigny's Abreuvoir, outside its territory: it does not count.
        #expect(try rate("actionsInQpv") == ["1", "2", "50", "60%"])
        #expect(try rate("copil") == ["2", "2", "100", "85%"])
        #expect(try rate("plenaryAssembly") == ["1", "2", "50", "74%"])
        #expect(try rate("member.elected") == ["2", "2", "100", "96%"])
        #expect(try rate("member.adultPsychiatry") == ["2", "2", "100", "96%"])
        #expect(try rate("member.childPsychiatry") == ["1", "2", "50", "64%"])
        #expect(try rate("member.users") == ["2", "2", "100", "72%"])
        #expect(try rate("member.carers") == ["1", "2", "50", "78%"])
        #expect(try rate("quatreQuartsComplete") == ["1", "2", "50", ""])
        #expect(try rate("workingGroup.sism") == ["1", "2", "50", "76%"])
        #expect(try rate("workingGroup.housing") == ["2", "2", "100", "65%"])
        #expect(try rate("workingGroup.complexCases") == ["1", "2", "50", "64%"])
        #expect(try rate("workingGroup.adolescents") == ["1", "2", "50", "55%"])
        let national = try ReportFixture.row(rates, "qpvTerritoryWithoutAsv")
        #expect(national["nationalPercent2022"] == "40")
        #expect(national["source"]?.hasPrefix("CCOMS 2022") == true)
    }

    @Test("a PTSM published after the CLSM's declaration counts; one on another département does not")
    func ptsmFromCurrentState() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("sd", communes: ["93066"])))
        try hub.send(.clsmDeclared(Fixture.clsm("ge", communes: ["92036"])))
        try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", departements: ["93"], version: 1, priorities: [.housing])))
        try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", departements: ["93"], version: 3, priorities: [.housing])))
        let report = try ArticulationReport(state: hub.state, region: "11")
        #expect(report.entries.map(\.clsmId) == ["ge", "sd"])
        #expect(report.entries[0].ptsms.isEmpty)
        #expect(report.entries[1].ptsms.map(\.text) == ["ptsm-93 v3 (2026-09-10)"])
        #expect(try ReportFixture.row(report.ratesListing, "withPtsm")["count"] == "1")
    }

    @Test("an ASV imported after the declaration is seen; a CLSM of another region is left out")
    func referenceImportedLater() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("au", communes: ["93001"])))
        hub.state.apply([
            .importReference(
                ReferenceDataDocument(
                    regions: [Region(code: "84", name: "Auvergne-Rhône-Alpes")],
                    departements: [Departement(code: "69", name: "Rhône", region: "84")],
                    communes: [Commune(code: "69123", name: "Lyon", departement: "69")],
                    asvs: [Asv(id: "asv-aubervilliers", name: "ASV d'Aubervilliers", qpvs: ["QN09302M"])]))
        ])
        try hub.send(.clsmDeclared(Fixture.clsm("ly", communes: ["69123"], region: "84")))
        let report = try ArticulationReport(state: hub.state, region: "11")
        #expect(report.entries.map(\.clsmId) == ["au"])
        #expect(report.entries[0].asvs == ["asv-aubervilliers"])
        #expect(report.entries[0].qpvsWithoutAsv.isEmpty)
        let lyon = try ArticulationReport(state: hub.state, region: "84")
        #expect(lyon.entries.map(\.clsmId) == ["ly"])
        #expect(try ReportFixture.row(lyon.ratesListing, "coversQpv")["count"] == "0")
        // No CLSM covers a QPV there: the ASV shares have nothing to divide by.
        #expect(try ReportFixture.row(lyon.ratesListing, "qpvTerritoryWithoutAsv")["of"] == "0")
        #expect(try ReportFixture.row(lyon.ratesListing, "qpvTerritoryWithoutAsv")["regionPercent"] == "")
    }

    @Test("CLSMs that are not active are listed, but the rates count active ones only")
    func ratesOverActiveClsms() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"])))
        try hub.send(.clsmDeclared(Fixture.clsm("p", communes: ["93008"], status: .project, members: [.elected])))
        try hub.send(.clsmDeclared(Fixture.clsm("s", communes: ["93048"], status: .stopped, members: [])))
        let report = try ArticulationReport(state: hub.state, region: "11")
        #expect(report.entries.map { "\($0.clsmId):\($0.status.rawValue)" } == ["a:active", "p:project", "s:stopped"])
        #expect(try ReportFixture.row(report.clsmListing, "p")["missingQuatreQuarts"] == "adultPsychiatry; carers; users")
        let complete = try ReportFixture.row(report.ratesListing, "quatreQuartsComplete")
        #expect([complete["count"], complete["of"], complete["regionPercent"]] == ["1", "1", "100"])
        #expect(report.document.title?.hasSuffix("3 declared, 1 active") == true)
    }

    @Test("an unknown region is refused")
    func unknownRegion() throws {
        #expect(throws: RegionReportRefusal.unknownRegion("99")) {
            try ArticulationReport(state: try ReportFixture.demoHub().state, region: "99")
        }
    }
}
