import HubTestSupport
import Testing

@testable import HubDomain

@Suite("Reports: SISM programme")
struct SismProgrammeReportTests {
    @Test("the demo programme: accepted proposals by start, Europe/Paris times, clashes named")
    func demoProgramme() throws {
        let report = try SismProgrammeReport(state: try ReportFixture.demoHub().state, region: "11", edition: 2026)
        #expect(
            report.listing.columns == [
                "startsAt", "endsAt", "commune", "communeName", "venue", "title", "format", "clsm", "qpv", "proposal", "clashesWith",
            ])
        // sism-2026-au-002 was refused (it ends after the edition's last day): not in the programme.
        #expect(
            ReportFixture.cells(report.listing) == [
                [
                    "2026-10-07T14:00:00+02:00", "2026-10-07T17:00:00+02:00", "93066", "Saint-Denis", "Maison de quartier du Franc-Moisin",
                    "La santé mentale dans mon quartier", "workshop", "clsm-saint-denis", "QN09301M", "sism-2026-sd-001", "",
                ],
                [
                    "2026-10-09T18:00:00+02:00", "2026-10-09T20:00:00+02:00", "93001", "Aubervilliers", "Salle des fêtes",
                    "Conférence : logement et santé mentale", "conference", "clsm-aubervilliers", "", "sism-2026-au-001",
                    "sism-2026-sd-002",
                ],
                [
                    "2026-10-09T18:30:00+02:00", "2026-10-09T21:00:00+02:00", "93001", "Aubervilliers", "Cinéma Le Studio",
                    "Ciné-débat : grandir dans la ville", "screening", "clsm-saint-denis", "", "sism-2026-sd-002", "sism-2026-au-001",
                ],
            ])
        #expect(report.title == "SISM 2026 « Édition de démonstration », region 11 (Île-de-France): 3 events from 2026-10-05 to 2026-10-18")
    }

    @Test("cancelled and refused proposals, other editions and other regions stay out; order is by instant, whatever the offset")
    func selection() throws {
        var hub = try Harness.demo()
        hub.state.apply([
            .importReference(
                ReferenceDataDocument(
                    regions: [Region(code: "84", name: "Auvergne-Rhône-Alpes")],
                    departements: [Departement(code: "69", name: "Rhône", region: "84")],
                    communes: [Commune(code: "69123", name: "Lyon", departement: "69")]))
        ])
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"])))
        try hub.send(.clsmDeclared(Fixture.clsm("l", communes: ["69123"], region: "84")))
        try hub.send(
            .sismEventProposed(
                Fixture.proposal(
                    "late", clsm: "a", commune: "93066",
                    startsAt: "2026-10-08T10:00:00+02:00", endsAt: "2026-10-08T11:00:00+02:00")))
        // 07:30 UTC is 09:30 in Paris: before "late", though written with another offset.
        try hub.send(
            .sismEventProposed(
                Fixture.proposal(
                    "early", clsm: "a", commune: "93066",
                    startsAt: "2026-10-08T07:30:00Z", endsAt: "2026-10-08T08:00:00Z")))
        try hub.send(.sismEventProposed(Fixture.proposal("gone", clsm: "a", commune: "93066")))
        try hub.send(.sismEventProposed(Fixture.proposal("gone", clsm: "a", commune: "93066", cancelled: true)))
        try hub.send(.sismEventProposed(Fixture.proposal("outside", clsm: "a", commune: "93001")))
        try hub.send(.sismEventProposed(Fixture.proposal("lyon", clsm: "l", commune: "69123")))
        let report = try SismProgrammeReport(state: hub.state, region: "11", edition: 2026)
        #expect(report.entries.map(\.id) == ["early", "late"])
        #expect(report.listing.rows[0][0] == "2026-10-08T09:30:00+02:00")
        #expect(try SismProgrammeReport(state: hub.state, region: "84", edition: 2026).entries.map(\.id) == ["lyon"])
        #expect(try SismProgrammeReport(state: hub.state, region: "11", edition: 2022).entries.isEmpty)
    }

    @Test(
        "Europe/Paris times on both sides of the summer-time switches (March editions exist)",
        arguments: [
            ("2026-03-28T10:00:00Z", "2026-03-28T11:00:00+01:00"),
            ("2026-03-29T00:59:59Z", "2026-03-29T01:59:59+01:00"),
            ("2026-03-29T01:00:00Z", "2026-03-29T03:00:00+02:00"),
            ("2026-10-25T00:59:59Z", "2026-10-25T02:59:59+02:00"),
            ("2026-10-25T01:00:00Z", "2026-10-25T02:00:00+01:00"),
            ("2026-12-31T23:30:00-05:00", "2027-01-01T05:30:00+01:00"),
        ])
    func parisTimes(instant: String, paris: String) {
        #expect(ReportTime.paris(Timestamp(instant)!) == paris)
    }

    @Test("an unknown edition or region is refused, naming the known editions")
    func refusals() throws {
        let state = try ReportFixture.demoHub().state
        #expect(throws: RegionReportRefusal.unknownSismEdition(2031, known: [2022, 2026])) {
            try SismProgrammeReport(state: state, region: "11", edition: 2031)
        }
        #expect(throws: RegionReportRefusal.unknownRegion("94")) {
            try SismProgrammeReport(state: state, region: "94", edition: 2026)
        }
        #expect(
            RegionReportRefusal.unknownSismEdition(2031, known: [2022, 2026]).description
                == "unknown SISM edition 2031 (editions: 2022, 2026)")
    }

    @Test("as a calendar: one VEVENT per event, stable UIDs, UTC times, escaped French text")
    func calendar() throws {
        let report = try SismProgrammeReport(state: try ReportFixture.demoHub().state, region: "11", edition: 2026)
        let calendar = report.calendar
        #expect(calendar.name == "SISM 2026 – Île-de-France")
        #expect(calendar.events.map(\.uid) == ["sism-2026-sd-001@clsm-hub", "sism-2026-au-001@clsm-hub", "sism-2026-sd-002@clsm-hub"])
        let first = calendar.events[0]
        #expect(first.location == "Maison de quartier du Franc-Moisin, Saint-Denis (93066)")
        #expect(
            first.description == """
                Proposé par : CLSM de Saint-Denis et Aubervilliers (démo) (clsm-saint-denis)
                Format : workshop
                Public : habitants et acteurs du quartier
                Quartier prioritaire : Franc-Moisin (démo) (QN09301M)
                Thèmes : publicAwareness
                """)
        #expect(first.categories == ["SISM 2026", "workshop"])
        let text = calendar.serialized(stamp: 0)
        #expect(text.contains("\r\nDTSTART:20261007T120000Z\r\nDTEND:20261007T150000Z\r\n"))
        #expect(text.contains("\r\nLOCATION:Maison de quartier du Franc-Moisin\\, Saint-Denis (93066)\r\n"))
        #expect(text.components(separatedBy: "BEGIN:VEVENT").count == 4)
        // Every line ends with CRLF: no bare LF.
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }
}
