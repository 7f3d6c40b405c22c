import Foundation
import HubCore
import HubDomain
import HubKafka
import Testing

/// Issue 17 on the real `hub-workers`: with the example events' sources registered, a
/// foreign source, another CLSM's tool reusing a proposal id, and a region that is not the
/// communes' are dead-lettered with their codes and change nothing; the owners' records go on.
extension SharedTopicsTests {
    @Suite("Who may say what, through hub-workers")
    struct OwnershipWorkerTests {
        /// The examples' territory, a commune of region 84, and docs/examples/sources-demo.json.
        static func reference() throws -> ReferenceDataDocument {
            var reference = try ExampleEvents.referenceDocument()
            reference.regions.append(Region(code: "84", name: "Auvergne-Rhône-Alpes"))
            reference.departements.append(Departement(code: "69", name: "Rhône", region: "84"))
            reference.communes.append(Commune(code: "69123", name: "Lyon", departement: "69"))
            let sourcesFile = ExampleEvents.examples.appendingPathComponent("sources-demo.json")
            let sources = try ReferenceDataDocument.decode(
                [UInt8](try Data(contentsOf: sourcesFile)), existing: HubState(reference: reference).reference)
            reference.sources = sources.sources
            return reference
        }

        /// An example event (structured mode) with another `ce_source`, `ce_id` and data fields.
        static func example(
            _ file: String, source: String? = nil, id: String, changing data: [String: Any] = [:]
        ) throws -> OutboundRecord {
            let url = ExampleEvents.examples.appendingPathComponent("events").appendingPathComponent(file)
            var event = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            var payload = try #require(event["data"] as? [String: Any])
            payload.merge(data) { _, new in new }
            event["data"] = payload
            event["id"] = id
            if let source { event["source"] = source }
            let value = [UInt8](try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
            let type = try #require(event["type"] as? String)
            let topic = String(type.dropLast(".v1".count))
            let decoded = try InboundDecoder().decode(topic: topic, headers: ExampleEvents.structuredHeaders, value: value)
            return OutboundRecord(topic: topic, key: decoded.event.partitionKey, value: value, headers: ExampleEvents.structuredHeaders)
        }

        @Test("a foreign source, another CLSM's proposal and a wrong region are dead-lettered; the owners go on")
        func ownership() async throws {
            let run = try await HubTestRun.start(reference: try Self.reference())
            let worker = try run.startWorker()
            do {
                for file in [
                    "01-clsm-declared-saint-denis.json", "02-clsm-declared-aubervilliers.json", "04-sism-event-proposed-in-qpv.json",
                ] {
                    try await run.producer.send(try Self.example(file, id: "owner-\(file)"))
                }
                #expect(try await run.waitUntilCaughtUp(within: .seconds(60)))
                #expect(try await run.processedCount() == 3)

                let refusals: [(OutboundRecord, DeadLetterCode, String)] = [
                    // Someone unregistered stops the CLSM of Saint-Denis.
                    (
                        try Self.example(
                            "01-clsm-declared-saint-denis.json", source: "urn:intruder", id: "intruder-stop",
                            changing: ["status": "stopped"]),
                        .unauthorized, "ce_source \"urn:intruder\" is not a registered source"
                    ),
                    // Aubervilliers' tool re-declares Saint-Denis.
                    (
                        try Self.example(
                            "01-clsm-declared-saint-denis.json", source: "urn:clsm-tool:aubervilliers", id: "aubervilliers-declares-sd"),
                        .unauthorized, "may not speak for clsm clsm-saint-denis"
                    ),
                    // Aubervilliers takes over Saint-Denis's proposal by its id.
                    (
                        try Self.example(
                            "06-sism-event-proposed-clash.json", id: "aubervilliers-takes-sd-001",
                            changing: ["proposalId": "sism-2026-sd-001", "cancelled": true]),
                        .unauthorized, "belongs to CLSM clsm-saint-denis"
                    ),
                    // The ARS of region 11 declares a CLSM of Lyon in region 11.
                    (
                        try Self.example(
                            "01-clsm-declared-saint-denis.json", source: "urn:ars:11", id: "ars-declares-lyon",
                            changing: ["clsmId": "clsm-lyon", "name": "CLSM de Lyon", "communes": ["69123"], "scale": "communal"]),
                        .unknownReference, "69123 lies in region 84, not 11"
                    ),
                ]
                for (record, code, text) in refusals {
                    let report = try await run.producer.send(record)
                    #expect(try await run.waitUntilCaughtUp(within: .seconds(60)))
                    let letter = try await HostileInputWorkerTests.deadLetter(at: report, in: run)
                    #expect(letter?.code == code.rawValue, "\(text): \(String(describing: letter))")
                    #expect(letter?.message.contains(text) == true, "\(String(describing: letter))")
                }

                // Nothing changed: Saint-Denis is active, its proposal still its own, no CLSM in Lyon.
                let status = try await run.database.query("SELECT status FROM clsms WHERE id = 'clsm-saint-denis'").scalar(String.self)
                #expect(status == "active")
                let owner = try await run.database.query(
                    "SELECT clsm_id FROM sism_proposals WHERE id = 'sism-2026-sd-001'"
                ).scalar(String.self)
                #expect(owner == "clsm-saint-denis")
                #expect(try await run.database.query("SELECT count(*) FROM clsms WHERE id = 'clsm-lyon'").scalar(Int.self) == 0)
                #expect(try await run.processedCount() == 3, "the refused records are not in the inbox")

                // The owners go on.
                try await run.producer.send(try Self.example("05-sism-event-proposed-aubervilliers.json", id: "owner-05"))
                #expect(try await run.waitUntilCaughtUp(within: .seconds(60)))
                #expect(try await run.processedCount() == 4)

                let statusOutput = try await AdminProcess.run(["status", "--section", "sources", "--format", "json"], schema: run.schema)
                #expect(statusOutput.status == 0, "\(statusOutput)")
                let json = try JSONSerialization.jsonObject(with: Data(statusOutput.standardOutput.utf8)) as? [String: Any]
                let rows = try #require(json?["sources"] as? [[String: Any]], "\(statusOutput)")
                #expect(rows.compactMap { $0["kind"] as? String } == ["ars", "asv", "clsm", "ptsm"])
                #expect(rows.compactMap { $0["sources"] as? Int } == [1, 1, 2, 1])
                #expect(worker.log.contains("registered sources checked"), "\(worker.log.prefix(3000))")
                #expect(!worker.log.contains("the hub runs open"))
                #expect(worker.isRunning)
            } catch {
                Issue.record("worker log:\n\(worker.log.suffix(3000))")
                throw error
            }
            #expect(await worker.stop() == 0)
            await run.finish()
        }
    }
}
