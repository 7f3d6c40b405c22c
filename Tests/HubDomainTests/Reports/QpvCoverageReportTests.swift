import HubTestSupport
import Testing

@testable import HubDomain

@Suite("Reports: QPV coverage")
struct QpvCoverageReportTests {
    @Test("the demo region's QPVs: communes, ASV, covering CLSMs, actions")
    func demoQpvs() throws {
        let report = try QpvCoverageReport(state: try ReportFixture.demoHub().state, region: "11")
        #expect(
            report.qpvListing.columns == [
                "qpv", "name", "communes", "asv", "clsms", "coveredWithoutAsv", "actions", "participants", "lastAction",
            ])
        #expect(
            ReportFixture.cells(report.qpvListing) == [
                ["QN09201M", "Le Luth (démo)", "92036 Gennevilliers", "", "", "no", "0", "0", ""],
                [
                    "QN09301M", "Franc-Moisin (démo)", "93066 Saint-Denis", "asv-saint-denis", "clsm-saint-denis", "no", "1", "12",
                    "2026-10-20",
                ],
                [
                    "QN09302M", "Quatre-Chemins (démo)", "93001 Aubervilliers", "", "clsm-aubervilliers; clsm-saint-denis", "yes", "0", "0",
                    "",
                ],
                // Recorded by Aubervilliers' CLSM outside its territory: still an action in the QPV.
                ["QN09303M", "Abreuvoir (démo)", "93008 Bobigny", "asv-bobigny", "", "no", "1", "30", "2026-10-21"],
            ])
        #expect(
            ReportFixture.cells(report.withoutAsvListing) == [
                ["QN09302M", "Quatre-Chemins (démo)", "93001 Aubervilliers", "clsm-aubervilliers; clsm-saint-denis", "0", ""]
            ])
        #expect(
            ReportFixture.cells(report.summaryListing) == [
                ["servedByAsv", "QPVs an ASV serves", "2", "4", "50"],
                ["coveredByClsm", "QPVs in the communes of an active CLSM", "2", "4", "50"],
                ["coveredWithoutAsv", "of those covered, no ASV serves it", "1", "2", "50"],
                ["withActions", "QPVs with at least one recorded action", "2", "4", "50"],
            ])
    }

    @Test("only active CLSMs cover; the last action is the latest date, not the last recorded")
    func coverageRules() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("p", communes: ["93008"], status: .project)))
        var late = Fixture.action("a1", qpv: "QN09303M", by: .asv, "asv-bobigny", participants: 5)
        late.date = CalendarDate("2026-11-02")!
        try hub.send(.qpvActionRecorded(late))
        try hub.send(.qpvActionRecorded(Fixture.action("a2", qpv: "QN09303M", by: .asv, "asv-bobigny", participants: 7)))
        let report = try QpvCoverageReport(state: hub.state, region: "11")
        let row = try ReportFixture.row(report.qpvListing, "QN09303M")
        #expect(row["clsms"] == "")
        #expect([row["actions"], row["participants"], row["lastAction"]] == ["2", "12", "2026-11-02"])
        #expect(report.withoutAsvListing.rows.isEmpty)
    }

    @Test("a region without QPVs gives empty sections and null shares")
    func noQpv() throws {
        var state = try Fixture.demoState()
        state.apply([.importReference(ReferenceDataDocument(regions: [Region(code: "84", name: "Auvergne-Rhône-Alpes")]))])
        let report = try QpvCoverageReport(state: state, region: "84")
        #expect(report.entries.isEmpty)
        #expect(ReportFixture.cells(report.summaryListing).map { $0[4] } == ["", "", "", ""])
    }
}
