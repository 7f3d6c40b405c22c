import Foundation
import HubDomain
import HubPostgres
import Testing

/// `hub-admin reference import`: the real executable on a schema of its own (no Kafka).
@Suite("hub-admin reference import", .enabled(if: TestServers.hasDatabase))
struct ReferenceImportCommandTests {
    static let demo = ExampleEvents.examples.appendingPathComponent("reference-demo.json")

    /// A fresh migrated schema and a temporary folder for the files given to hub-admin.
    private func withSchema(_ body: (PostgresConnection, String, URL) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestServers.uniqueName("refimport"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            try await body(connection, schema, folder)
        }
    }

    private func importing(_ file: URL, _ options: [String] = [], schema: String) async throws -> AdminProcess.Result {
        try await AdminProcess.run(["reference", "import"] + options + [file.path], schema: schema)
    }

    /// The JSON listing as `kind -> [inserted, updated, unchanged]`.
    private func counts(_ result: AdminProcess.Result) throws -> [String: [Int]] {
        #expect(result.status == 0, "\(result)")
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]],
            "not a JSON array: \(result)")
        var counts: [String: [Int]] = [:]
        for row in rows {
            let kind = try #require(row["kind"] as? String)
            counts[kind] = ["inserted", "updated", "unchanged"].map { row[$0] as? Int ?? -1 }
        }
        return counts
    }

    private func reference(_ connection: PostgresConnection) async throws -> ReferenceData {
        try await StateStore().loadReference(on: connection).reference
    }

    @Test("the demo file inserts everything; imported again, everything is unchanged and nothing is written")
    func importTwice() async throws {
        try await withSchema { connection, schema, _ in
            let document = try ExampleEvents.referenceDocument()
            let first = try counts(try await importing(Self.demo, ["--format", "json"], schema: schema))
            #expect(first["regions"] == [document.regions.count, 0, 0])
            #expect(first["communes"] == [document.communes.count, 0, 0])
            #expect(first["qpvs"] == [document.qpvs.count, 0, 0])
            #expect(first["asvs"] == [document.asvs.count, 0, 0])
            #expect(first["sismEditions"] == [document.sismEditions.count, 0, 0])
            #expect(first["dispositifs"] == [document.dispositifs.count, 0, 0])
            #expect(first["epcis"] == [document.epcis.count, 0, 0])
            #expect(first["psychiatricSectors"] == [document.psychiatricSectors.count, 0, 0])
            #expect(first["ptsmTerritories"] == [document.ptsmTerritories.count, 0, 0])
            #expect(first.count == 12, "every kind listed")
            #expect(first["sources"] == [0, 0, 0])
            var expected = ReferenceData()
            expected.importing(document)
            #expect(try await reference(connection) == expected)

            let before = try await connection.query("SELECT xmin::text FROM ref_communes ORDER BY code").map {
                try $0.decode(String.self, at: 0)
            }
            let second = try await importing(Self.demo, schema: schema)
            #expect(second.status == 0, "\(second)")
            let lines = second.standardOutput.split(separator: "\n")
            #expect(lines.first == "kind                inserted  updated  unchanged", "\(second)")
            #expect(lines.contains { $0.split(separator: " ") == ["communes", "0", "0", "\(document.communes.count)"] }, "\(second)")
            let total =
                document.regions.count + document.departements.count + document.communes.count + document.qpvs.count
                + document.cls.count + document.asvs.count + document.sismEditions.count + document.dispositifs.count
                + document.epcis.count + document.psychiatricSectors.count + document.ptsmTerritories.count
            #expect(lines.last == "imported \(Self.demo.path): 0 inserted, 0 updated, \(total) unchanged", "\(second)")
            let after = try await connection.query("SELECT xmin::text FROM ref_communes ORDER BY code").map {
                try $0.decode(String.self, at: 0)
            }
            #expect(after == before, "no row rewritten")
            #expect(try await reference(connection) == expected)
        }
    }

    @Test("a changed row is reported as 1 updated (a new one as inserted) and written; --dry-run reports the same and writes nothing")
    func changedRowAndDryRun() async throws {
        try await withSchema { connection, schema, folder in
            #expect(try await importing(Self.demo, schema: schema).status == 0)
            let held = try await reference(connection)
            let saintDenis = try #require(held.communes["93066"])
            let file = folder.appendingPathComponent("communes.json")
            try Data(
                """
                {"communes": [
                  {"code": "93066", "name": "Saint-Denis (renommée)", "departement": "\(saintDenis.departement)"},
                  {"code": "93055", "name": "Pantin", "departement": "93"}
                ]}
                """.utf8
            ).write(to: file)

            let dryRun = try await importing(file, ["--dry-run"], schema: schema)
            #expect(dryRun.status == 0, "\(dryRun)")
            #expect(dryRun.standardOutput.contains("communes                   1        1          0"), "\(dryRun)")
            #expect(
                dryRun.standardOutput.hasSuffix("dry run, nothing written: \(file.path) would change 1 inserted, 1 updated, 0 unchanged\n"),
                "\(dryRun)")
            #expect(try await reference(connection) == held, "a dry run writes nothing")

            let csv = try await importing(file, ["--dry-run", "--format", "csv"], schema: schema)
            #expect(csv.standardOutput.components(separatedBy: "\r\n").contains("communes,1,1,0"), "\(csv)")

            let applied = try counts(try await importing(file, ["--format", "json"], schema: schema))
            #expect(applied["communes"] == [1, 1, 0])
            #expect(applied["regions"] == [0, 0, 0])
            let after = try await reference(connection)
            #expect(after.communes["93066"]?.name == "Saint-Denis (renommée)")
            #expect(after.communes["93055"]?.name == "Pantin")
            #expect(after.communes.count == held.communes.count + 1, "the rows the file does not name are kept")
            #expect(after.qpvs == held.qpvs)

            #expect(try counts(try await importing(file, ["--format", "json"], schema: schema))["communes"] == [0, 0, 2])
        }
    }

    @Test("a refused file writes nothing and exits 65, with every problem listed")
    func refused() async throws {
        try await withSchema { connection, schema, folder in
            #expect(try await importing(Self.demo, schema: schema).status == 0)
            let held = try await reference(connection)
            let file = folder.appendingPathComponent("bad.json")
            try Data(
                """
                {"communes": [
                  {"code": "93055", "name": "Pantin", "departement": "93"},
                  {"code": "13055", "name": "Marseille", "departement": "13"}
                ], "asvs": [{"id": "asv-x", "name": "ASV X", "qpvs": ["QN01399Z"]}]}
                """.utf8
            ).write(to: file)
            for options in [[], ["--dry-run"]] {
                let result = try await importing(file, options, schema: schema)
                #expect(result.status == 65, "\(result)")
                #expect(result.standardError.contains("unknown_reference"), "\(result)")
                #expect(result.standardError.contains("communes[1].departement: unknown département 13"), "\(result)")
                #expect(result.standardError.contains("asvs[0].qpvs[0]: unknown QPV QN01399Z"), "\(result)")
                #expect(result.standardOutput.isEmpty, "\(result)")
            }
            #expect(try await reference(connection) == held)

            let notJSON = folder.appendingPathComponent("notjson.json")
            try Data("{\"communes\": [".utf8).write(to: notJSON)
            let syntax = try await importing(notJSON, schema: schema)
            #expect(syntax.status == 65 && syntax.standardError.contains("not valid JSON"), "\(syntax)")
            let missing = try await importing(folder.appendingPathComponent("absent.json"), schema: schema)
            #expect(missing.status == 65 && missing.standardError.contains("cannot read"), "\(missing)")
        }
    }

    /// An INSEE COG commune file of the size of France's (about 35,000 communes), over
    /// invented départements: imported, then imported again unchanged. The durations are
    /// printed (they decided whether the import needs a progress bar), not asserted.
    @Test("a national-size INSEE commune CSV: imported in one go, then reported unchanged")
    func nationalCommuneFile() async throws {
        try await withSchema { connection, schema, folder in
            let departements = (1...95).map { String(format: "%02d", $0) }.filter { $0 != "20" }
            let setup = folder.appendingPathComponent("departements.json")
            let departementRows = departements.map { #"{"code": "\#($0)", "name": "Département \#($0)", "region": "11"}"# }
            try Data(
                #"{"regions": [{"code": "11", "name": "Île-de-France"}], "departements": [\#(departementRows.joined(separator: ","))]}"#
                    .utf8
            )
            .write(to: setup)
            #expect(try await importing(setup, schema: schema).status == 0)

            var csv = "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\r\n"
            var count = 0
            for departement in departements {
                for number in 1...370 {
                    let code = departement + String(format: "%03d", number)
                    csv +=
                        "COM,\(code),11,\(departement),\(departement)D,\(departement)1,0,COMMUNE \(code),Commune \(code),Commune \(code),\(departement)99,\r\n"
                    count += 1
                }
                // Delegated communes are in the file and skipped, as in the real one.
                csv += "COMD,\(departement)999,,,,,0,X,X,\"Déléguée, \(departement)\",,\(departement)001\r\n"
            }
            let file = folder.appendingPathComponent("v_commune_2026.csv")
            try Data(csv.utf8).write(to: file)

            let clock = ContinuousClock()
            let start = clock.now
            let first = try counts(try await importing(file, ["--format", "json"], schema: schema))
            let firstDuration = clock.now - start
            #expect(first["communes"] == [count, 0, 0])
            #expect(try await connection.query("SELECT count(*) FROM ref_communes").scalar(Int.self) == count)
            let again = clock.now
            let second = try counts(try await importing(file, ["--format", "json"], schema: schema))
            let secondDuration = clock.now - again
            #expect(second["communes"] == [0, 0, count])
            print("reference import of \(count) INSEE communes: \(firstDuration) the first time, \(secondDuration) unchanged")
        }
    }
}

/// `hub-admin publish` on the contract's topic names (it publishes only to inbound topics),
/// read back from the topic and processed by the real hub-workers.
extension SharedTopicsTests {
    @Suite("hub-admin publish")
    struct PublishCommandTests {
        /// A bare clsm.declared payload on the demo's communes, as a CLSM tool would write it.
        static func declaration(_ id: String, commune: String, status: String = "active") -> String {
            """
            {"clsmId": "\(id)", "name": "CLSM \(id) (test)", "region": "11", "status": "\(status)", "scale": "communal", \
            "communes": ["\(commune)"], "governance": {"copil": true, "plenaryAssembly": false, "members": ["elected", "users"]}}
            """
        }

        static func file(_ lines: [String], named name: String) throws -> URL {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent(TestServers.uniqueName(name) + ".jsonl")
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
            return url
        }

        static func publish(_ file: URL, _ options: [String] = [], run: HubTestRun) async throws -> AdminProcess.Result {
            try await AdminProcess.run(["publish", "--topic", "clsm.declared"] + options + [file.path], schema: run.schema)
        }

        /// Every record on clsm.declared since the run started.
        static func records(_ run: HubTestRun, count: Int) async throws -> [InboundRecord] {
            let group = TestServers.uniqueName("publishreader")
            try await run.admin.commitOffsets(group: group, run.inboundStart.filter { $0.topic == "clsm.declared" })
            let consumer = try KafkaTestSupport.consumer(group: group, topics: ["clsm.declared"])
            let received = try await KafkaTestSupport.consume(consumer, count: count, within: .seconds(60))
            try await consumer.close()
            return received.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
        }

        static func endCount(_ run: HubTestRun) async throws -> Int64 {
            try await HubTestRun.ends(of: ["clsm.declared"], admin: run.admin).reduce(0) { $0 + $1.offset }
        }

        @Test("bare payloads wrapped in binary mode with derived ids; the same file twice gives the same ids and takes effect once")
        func publishBarePayloads() async throws {
            let run = try await HubTestRun.start(reference: try ExampleEvents.referenceDocument())
            let payloads = [
                Self.declaration("clsm-pub-1", commune: "93066"), Self.declaration("clsm-pub-2", commune: "93001"),
                Self.declaration("clsm-pub-3", commune: "93066", status: "project"),
            ]
            let file = try Self.file(payloads, named: "bare")
            defer { try? FileManager.default.removeItem(at: file) }
            let options = ["--source", "urn:test:publish", "--time", "2026-09-02T10:00:00+02:00"]

            let first = try await Self.publish(file, options + ["--quiet"], run: run)
            #expect(first.status == 0, "\(first)")
            #expect(first.standardOutput.hasPrefix("published 3 events to clsm.declared, partition"), "\(first)")
            #expect(first.standardOutput.hasSuffix("(3 wrapped payloads, 0 structured CloudEvents)\n"), "\(first)")
            #expect(first.standardOutput.split(separator: "\n").count == 1, "only the summary: \(first)")
            let second = try await Self.publish(file, options, run: run)
            #expect(second.status == 0, "\(second)")
            #expect(second.standardOutput.split(separator: "\n").count == 4, "one line per event, then the summary: \(second)")

            let records = try await Self.records(run, count: 6)
            #expect(records.count == 6)
            let expectedIDs = try payloads.map { PayloadWrapping.derivedID(topic: .clsmDeclared, payload: try JSONParser.parse($0)) }
            for record in records {
                let key = try #require(record.keyString)
                let index = try #require(["clsm-pub-1", "clsm-pub-2", "clsm-pub-3"].firstIndex(of: key), "key \(key)")
                #expect(record.headers.map(\.name) == ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"])
                #expect(record.header("ce_specversion")?.stringValue == "1.0")
                #expect(record.header("ce_id")?.stringValue == expectedIDs[index])
                #expect(record.header("ce_source")?.stringValue == "urn:test:publish")
                #expect(record.header("ce_type")?.stringValue == "clsm.declared.v1")
                #expect(record.header("ce_time")?.stringValue == "2026-09-02T10:00:00+02:00")
                #expect(record.header("content-type")?.stringValue == "application/json")
                #expect(record.value == (try JSONParser.parse(payloads[index])).canonicalBytes())
            }
            let idsByKey = Dictionary(grouping: records, by: { $0.keyString ?? "" }).mapValues {
                $0.compactMap { $0.header("ce_id")?.stringValue }
            }
            #expect(idsByKey.values.allSatisfy { $0.count == 2 && $0[0] == $0[1] }, "published twice, the same id: \(idsByKey)")
            for line in second.standardOutput.split(separator: "\n").dropLast() {
                #expect(expectedIDs.contains { line.hasPrefix("published \($0) to clsm.declared[") }, "\(line)")
            }

            let fresh = try await Self.publish(file, ["--new-id"], run: run)
            #expect(fresh.status == 0, "\(fresh)")

            let worker = try run.startWorker()
            do {
                #expect(try await run.waitUntilCaughtUp(within: .seconds(120)))
                // 3 events, delivered twice, then 3 more under fresh ids: 6 identities in the inbox.
                #expect(try await run.processedCount() == 6)
                let inbox = try await run.database.query("SELECT event_id FROM hub_inbox WHERE event_source = 'urn:test:publish'")
                    .map { try $0.decode(String.self, at: 0) }
                #expect(Set(inbox) == Set(expectedIDs))
                let clsms = try await StateStore().loadEverything(on: run.database).clsms
                #expect(Set(clsms.keys).isSuperset(of: ["clsm-pub-1", "clsm-pub-2", "clsm-pub-3"]))
            } catch {
                Issue.record("worker log:\n\(worker.log.suffix(3000))")
                throw error
            }
            #expect(await worker.stop() == 0)
            await run.finish()
        }

        @Test("a file with a payload the workers would refuse sends nothing and exits 65, naming the event, its line and the reason")
        func refusedPayloadSendsNothing() async throws {
            let run = try await HubTestRun.start(reference: try ExampleEvents.referenceDocument())
            let invalid = Self.declaration("clsm-pub-bad", commune: "93066").replacingOccurrences(of: "\"communal\"", with: "\"planetary\"")
            let file = try Self.file([Self.declaration("clsm-pub-ok", commune: "93066"), "", invalid], named: "refused")
            defer { try? FileManager.default.removeItem(at: file) }
            let before = try await Self.endCount(run)

            let result = try await Self.publish(file, run: run)
            #expect(result.status == 65, "\(result)")
            #expect(
                result.standardError.contains(
                    "nothing was sent: event 2 (line 3): (a bare clsm.declared payload) is refused: schema_violation"),
                "\(result)")
            #expect(result.standardError.contains("scale"), "\(result)")
            #expect(result.standardOutput.isEmpty, "\(result)")

            let wrongTopic = try await AdminProcess.run(["publish", "--topic", "hub.notifications", file.path], schema: run.schema)
            #expect(wrongTopic.status == 65 && wrongTopic.standardError.contains("not an inbound topic"), "\(wrongTopic)")
            let valid = try Self.file([Self.declaration("clsm-pub-ok", commune: "93066")], named: "dry")
            defer { try? FileManager.default.removeItem(at: valid) }
            let dryRun = try await AdminProcess.run(["publish", "--topic", "clsm.declared", "--dry-run", valid.path], schema: run.schema)
            #expect(dryRun.status == 0 && dryRun.standardOutput.contains("dry run, nothing sent: 1 event of"), "\(dryRun)")

            #expect(try await Self.endCount(run) == before, "nothing reached clsm.declared")
            await run.finish()
        }
    }
}
