import Foundation
import HubCore
import HubDomain
import HubPostgres
import HubSimulation
import Logging
import Testing

/// `hub-admin report ...` run as an administrator would, on a schema holding the demo region
/// (docs/examples: reference data, then every example event through the real batch processor).
@Suite("hub-admin report", .enabled(if: TestServers.hasDatabase))
struct ReportCommandTests {
    let processor = BatchProcessor(logger: Logger(label: "tests.reports"))

    /// A schema with the demo region processed, then `body` with its name.
    private func withDemoRegion(_ body: (PostgresConnection, String) async throws -> Void) async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            try await StateStore().importReference(try ExampleEvents.referenceDocument(), on: connection)
            let outcome = try await processor.process(try ExampleEvents.consumedMessages(), on: connection)
            try #require(outcome.applied == 11)
            try await body(connection, schema)
        }
    }

    private func report(_ arguments: [String], _ schema: String) async throws -> AdminProcess.Result {
        let result = try await AdminProcess.run(["report"] + arguments, schema: schema)
        #expect(result.status == 0, "\(result)")
        return result
    }

    private func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    @Test("articulation: the CLSMs and the rates, as a table, JSON and CSV")
    func articulation() async throws {
        try await withDemoRegion { _, schema in
            let table = try await report(["articulation", "--region", "11"], schema).standardOutput
            let lines = table.components(separatedBy: "\n")
            #expect(lines[0] == "Articulation of the CLSMs of region 11 (Île-de-France): 2 declared, 2 active")
            #expect(lines.contains("CLSMs (every status)"))
            #expect(lines.contains("Rates over the 2 active CLSMs, beside the national survey of 2022"))
            #expect(lines.contains { $0.hasPrefix("clsm-saint-denis") && $0.contains("ptsm-93 v2 (2026-09-10)") && $0.contains("carers") })
            #expect(lines.contains { $0.hasPrefix("qpvTerritoryWithoutAsv") && $0.contains("> 40%") })

            let json = try jsonObject(try await report(["articulation", "--region", "11", "--format", "json"], schema).standardOutput)
            #expect(json["report"] as? String == "articulation")
            #expect(json["regionName"] as? String == "Île-de-France")
            let clsms = try #require(json["clsms"] as? [[String: Any]])
            #expect(clsms.map { $0["clsm"] as? String } == ["clsm-aubervilliers", "clsm-saint-denis"])
            #expect(clsms[1]["asv"] as? String == "asv-saint-denis")
            #expect(clsms[1]["qpvs"] as? Int == 2)
            #expect(clsms[1]["childPsychiatry"] as? Bool == false)
            let rates = try #require(json["rates"] as? [[String: Any]])
            let withPtsm = try #require(rates.first { $0["indicator"] as? String == "withPtsm" })
            #expect(withPtsm["count"] as? Int == 2)
            #expect(withPtsm["regionPercent"] as? Int == 100)
            #expect(withPtsm["nationalPercent2022"] as? Int == 91)

            let csv = try await report(["articulation", "--region", "11", "--format", "csv"], schema).standardOutput
            let rows = csv.components(separatedBy: "\r\n")
            #expect(
                rows[0]
                    == "clsm,name,status,communes,ptsm,cls,asv,qpvs,qpvsWithoutAsv,copil,plenaryAssembly,missingQuatreQuarts,childPsychiatry,qpvActions"
            )
            #expect(
                rows[1]
                    == "clsm-aubervilliers,CLSM d'Aubervilliers (démo),active,1,ptsm-93 v2 (2026-09-10),cls-plaine-commune,,1,QN09302M,yes,no,,yes,0"
            )
            #expect(rows.count == 4 && rows[3] == "")
            let ratesCsv = try await report(["articulation", "--region", "11", "--format", "csv", "--section", "rates"], schema)
                .standardOutput
            #expect(ratesCsv.hasPrefix("indicator,description,count,of,regionPercent,nationalPercent2022,national2022,source\r\n"))
            #expect(
                ratesCsv.contains(
                    "\r\nmember.childPsychiatry,governance counts childPsychiatry,1,2,50,64,64%,\"CCOMS 2022, psychiatrie infanto-juvénile au COPIL\"\r\n"
                ))
        }
    }

    @Test("sism: the regional programme by start, as a table, JSON and CSV")
    func sismProgramme() async throws {
        try await withDemoRegion { _, schema in
            let table = try await report(["sism", "--region", "11", "--edition", "2026"], schema).standardOutput
            let lines = table.components(separatedBy: "\n")
            #expect(lines[0] == "SISM 2026 « Édition de démonstration », region 11 (Île-de-France): 3 events from 2026-10-05 to 2026-10-18")
            let events = lines.filter { $0.hasPrefix("2026-") }
            #expect(events.count == 3)
            #expect(
                events.map { String($0.prefix(25)) } == [
                    "2026-10-07T14:00:00+02:00", "2026-10-09T18:00:00+02:00", "2026-10-09T18:30:00+02:00",
                ])
            #expect(!table.contains("sism-2026-au-002"))

            let json = try jsonObject(
                try await report(["sism", "--region", "11", "--edition", "2026", "--format", "json"], schema).standardOutput)
            #expect(json["edition"] as? String == "2026")
            let rows = try #require(json["events"] as? [[String: Any]])
            #expect(rows.map { $0["proposal"] as? String } == ["sism-2026-sd-001", "sism-2026-au-001", "sism-2026-sd-002"])
            #expect(rows[0]["qpv"] as? String == "QN09301M")
            #expect(rows[1]["qpv"] is NSNull)
            #expect(rows[1]["clashesWith"] as? String == "sism-2026-sd-002")

            let csv = try await report(["sism", "--region", "11", "--edition", "2026", "--format", "csv"], schema).standardOutput
            #expect(
                csv.components(separatedBy: "\r\n")[1]
                    == "2026-10-07T14:00:00+02:00,2026-10-07T17:00:00+02:00,93066,Saint-Denis,Maison de quartier du Franc-Moisin,La santé mentale dans mon quartier,workshop,clsm-saint-denis,QN09301M,sism-2026-sd-001,"
            )
        }
    }

    @Test("sism --format ics: an iCalendar file, on standard output or in --output FILE")
    func sismCalendar() async throws {
        try await withDemoRegion { _, schema in
            let ics = try await report(["sism", "--region", "11", "--edition", "2026", "--format", "ics"], schema).standardOutput
            let bytes = Array(ics.utf8)
            // CRLF only, no physical line over 75 octets.
            #expect(
                ics.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CLSM hub//hub-admin report sism//FR\r\nCALSCALE:GREGORIAN\r\n"))
            #expect(ics.hasSuffix("END:VEVENT\r\nEND:VCALENDAR\r\n"))
            #expect(!ics.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
            let physical = ics.components(separatedBy: "\r\n").dropLast()
            #expect(physical.allSatisfy { $0.utf8.count <= 75 })
            #expect(bytes.count == ics.utf8.count)
            let unfolded = ics.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n")
            #expect(
                unfolded.filter { $0.hasPrefix("UID:") } == [
                    "UID:sism-2026-sd-001@clsm-hub", "UID:sism-2026-au-001@clsm-hub", "UID:sism-2026-sd-002@clsm-hub",
                ])
            #expect(
                unfolded.filter { $0.hasPrefix("DTSTART:") } == [
                    "DTSTART:20261007T120000Z", "DTSTART:20261009T160000Z", "DTSTART:20261009T163000Z",
                ])
            #expect(unfolded.contains("SUMMARY:Conférence : logement et santé mentale"))
            #expect(unfolded.contains("LOCATION:Salle des fêtes\\, Aubervilliers (93001)"))
            #expect(
                unfolded.filter { $0.hasPrefix("DTSTAMP:") }.allSatisfy {
                    $0.range(of: #"^DTSTAMP:\d{8}T\d{6}Z$"#, options: .regularExpression) != nil
                })

            let file = FileManager.default.temporaryDirectory.appendingPathComponent("sism-\(UUID().uuidString).ics")
            defer { try? FileManager.default.removeItem(at: file) }
            let written = try await report(
                ["sism", "--region", "11", "--edition", "2026", "--format", "ics", "--output", file.path], schema)
            #expect(written.standardOutput == "")
            let saved = try String(contentsOf: file, encoding: .utf8)
            // The same calendar but for the export time.
            func withoutStamps(_ text: String) -> String {
                text.components(separatedBy: "\r\n").filter { !$0.hasPrefix("DTSTAMP:") }.joined(separator: "\r\n")
            }
            #expect(withoutStamps(saved) == withoutStamps(ics))
        }
    }

    @Test("coverage: the QPVs, those covered without ASV, the summary")
    func coverage() async throws {
        try await withDemoRegion { _, schema in
            let table = try await report(["coverage", "--region", "11"], schema).standardOutput
            #expect(table.hasPrefix("QPVs of region 11 (Île-de-France): 4, of which 1 covered by a CLSM without ASV\n"))
            #expect(
                table.contains(
                    "\nCovered by an active CLSM, served by no ASV\n===========================================\nqpv       name                   communes             clsms"
                ))

            let json = try jsonObject(try await report(["coverage", "--region", "11", "--format", "json"], schema).standardOutput)
            let qpvs = try #require(json["qpvs"] as? [[String: Any]])
            #expect(qpvs.map { $0["qpv"] as? String } == ["QN09201M", "QN09301M", "QN09302M", "QN09303M"])
            #expect(qpvs[1]["actions"] as? Int == 1)
            #expect(qpvs[1]["lastAction"] as? String == "2026-10-20")
            #expect(qpvs[2]["coveredWithoutAsv"] as? Bool == true)
            #expect((json["withoutAsv"] as? [[String: Any]])?.map { $0["qpv"] as? String } == ["QN09302M"])

            let csv = try await report(["coverage", "--region", "11", "--format", "csv", "--section", "withoutAsv"], schema).standardOutput
            #expect(
                csv
                    == "qpv,name,communes,clsms,actions,lastAction\r\nQN09302M,Quatre-Chemins (démo),93001 Aubervilliers,clsm-aubervilliers; clsm-saint-denis,0,\r\n"
            )
        }
    }

    @Test("an unknown region or edition is refused with exit 65; an unknown section is a usage error")
    func refusals() async throws {
        try await withDemoRegion { _, schema in
            for command in [["articulation"], ["coverage"], ["sism", "--edition", "2026"]] {
                let result = try await AdminProcess.run(["report"] + command + ["--region", "99"], schema: schema)
                #expect(result.status == 65, "\(result)")
                #expect(result.standardError.contains("unknown region 99"), "\(result)")
                #expect(result.standardOutput.isEmpty)
            }
            let edition = try await AdminProcess.run(["report", "sism", "--region", "11", "--edition", "2031"], schema: schema)
            #expect(edition.status == 65, "\(edition)")
            #expect(edition.standardError.contains("unknown SISM edition 2031 (editions: 2022, 2026)"), "\(edition)")
            let section = try await AdminProcess.run(["report", "coverage", "--region", "11", "--section", "nope"], schema: schema)
            #expect(section.status == 64, "\(section)")
            #expect(section.standardError.contains("no section nope"), "\(section)")
            let icsSection = try await AdminProcess.run(
                ["report", "sism", "--region", "11", "--edition", "2026", "--format", "ics", "--section", "events"], schema: schema)
            #expect(icsSection.status == 64, "\(icsSection)")
        }
    }

    @Test("the region's slice gives every region the same reports as the whole stored state")
    func regionSliceMatchesEverything() async throws {
        let territory = SyntheticTerritory.make(seed: 7, clsmCount: 80, qpvCount: 400)
        let stream = SyntheticEventStream(territory: territory, seed: 7, count: 1500)
        let messages = stream.enumerated().map { index, event in event.consumed(at: Int64(index)) }
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            let store = StateStore()
            try await store.importReference(territory.reference, on: connection)
            try await store.importReference(Self.dispositifs(on: territory.reference), on: connection)
            for start in stride(from: 0, to: messages.count, by: 300) {
                _ = try await processor.process(Array(messages[start..<min(start + 300, messages.count)]), on: connection)
            }
            let everything = try await store.loadEverything(on: connection)
            #expect(!everything.sismProposals.isEmpty && !everything.qpvActions.isEmpty)
            let editions = Set(everything.sismProposals.values.map(\.proposal.edition))
            var reportsWithContent = 0
            var withTerritory = 0
            for region in territory.reference.regions.map(\.code) {
                for edition in editions {
                    let scope = RegionReportScope(region: region, sismEdition: edition, qpvActions: true)
                    let slice = try #require(try await store.loadRegion(scope, on: connection))
                    #expect(
                        try SismProgrammeReport(state: slice, region: region, edition: edition)
                            == SismProgrammeReport(state: everything, region: region, edition: edition),
                        "region \(region) edition \(edition)")
                }
                let slice = try #require(
                    try await store.loadRegion(RegionReportScope(region: region, qpvActions: true, activityReports: true), on: connection))
                let articulation = try ArticulationReport(state: slice, region: region)
                #expect(articulation == (try ArticulationReport(state: everything, region: region)), "region \(region)")
                #expect(try QpvCoverageReport(state: slice, region: region) == QpvCoverageReport(state: everything, region: region))
                if !articulation.entries.isEmpty { reportsWithContent += 1 }
                if articulation.entries.contains(where: { !$0.territory.isEmpty }) { withTerritory += 1 }
            }
            #expect(reportsWithContent >= 10)
            #expect(withTerritory >= 5, "the region slices hold the dispositifs and levels of issue 19")
            #expect(try await store.loadRegion(RegionReportScope(region: "99"), on: connection) == nil)
        }
    }

    /// Issue 19's dispositifs and levels over a synthetic territory: one local dispositif of
    /// each kind in turn on every fifth commune, an EPCI over each run of four communes, an
    /// adult and a child sector over each run of three, a PTSM territory per département.
    static func dispositifs(on reference: ReferenceDataDocument) -> ReferenceDataDocument {
        let communes = reference.communes.map(\.code).sorted()
        var document = ReferenceDataDocument()
        for (index, commune) in communes.enumerated() where index % 5 == 0 {
            let kind = LocalDispositif.Kind.allCases[(index / 5) % LocalDispositif.Kind.allCases.count]
            document.dispositifs.append(LocalDispositif(kind: kind, id: "d-\(commune)", name: "Dispositif \(commune)", communes: [commune]))
        }
        for start in stride(from: 0, to: communes.count, by: 4) {
            let siren = String(900_000_000 + start)
            document.epcis.append(
                Epci(siren: siren, name: "EPCI \(start)", communes: Array(communes[start..<min(start + 4, communes.count)])))
        }
        for start in stride(from: 0, to: communes.count, by: 3) {
            let served = Array(communes[start..<min(start + 3, communes.count)])
            document.psychiatricSectors.append(
                PsychiatricSector(id: "G\(start)", name: "Secteur \(start)", population: .adult, establishment: "EPS", communes: served))
            document.psychiatricSectors.append(
                PsychiatricSector(
                    id: "I\(start)", name: "Intersecteur \(start)", population: .child, establishment: "EPS", communes: served))
        }
        for departement in reference.departements {
            document.ptsmTerritories.append(
                PtsmTerritory(id: "t-\(departement.code)", name: "Territoire \(departement.code)", departements: [departement.code]))
        }
        return document
    }
}
