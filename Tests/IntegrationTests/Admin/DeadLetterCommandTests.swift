import Foundation
import HubCore
import HubDomain
import Testing

/// `hub-admin dlq list` and `dlq replay`, the real executable against the real servers.
@Suite("hub-admin dlq", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct DeadLetterCommandTests {
    /// A record as a CLSM tool might have sent it, on `topic`, with a header the dead letter
    /// must not keep on replay (`hub_error_code` of an earlier dead-lettering).
    static func message(topic: String, offset: Int64, key: [UInt8]? = nil, id: String? = nil) -> InboundRecord {
        InboundRecord(
            topic: topic, partition: 0, offset: offset, key: key ?? Array("clsm-\(offset)".utf8),
            value: [0x7B, 0x00, 0xFE] + Array("valeur \(offset) é".utf8),
            headers: [
                RecordHeader(name: "ce_id", string: id ?? "event-\(offset)"),
                RecordHeader(name: "ce_source", string: "urn:test"),
                RecordHeader(name: "bin", value: [0, 0xFF, 0xC3]),
                RecordHeader(name: "none", value: nil),
                RecordHeader(name: "hub_error_code", string: "internal"),
            ],
            timestampMilliseconds: nil)
    }

    static func headersWithoutHub(_ message: InboundRecord) -> [RecordHeader] {
        message.headers.filter { !$0.name.hasPrefix("hub_") }
    }

    static func jsonArray(_ text: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "not an array of objects:\n\(text)")
    }

    @Test("dlq list in table, json and csv, filtered by code, unreplayed and limit; an unknown code is refused with the valid ones")
    func list() async throws {
        try await OutboxTestContext.with { context in
            let db = context.connection
            let long = "schema violation: " + String(repeating: "$.governance.members[0] is not a member kind; ", count: 5)
            try await DeadLetterStore.record(Self.message(topic: "clsm.declared", offset: 10), code: .schemaViolation, reason: long, on: db)
            try await DeadLetterStore.record(
                Self.message(topic: "qpv.action.recorded", offset: 11, key: [0xFF, 0x01]),
                code: .unknownReference, reason: "QPV QN999 unknown", on: db)
            try await DeadLetterStore.record(
                Self.message(topic: "clsm.declared", offset: 12), code: .schemaViolation,
                reason: "bad, \"quoted\" date", on: db)
            let stored = try await DeadLetterStore.list(on: db)
            try await DeadLetterStore.markReplayed([stored[2].sequence], on: db)

            let json = try await AdminProcess.run(["dlq", "list", "--format", "json"], schema: context.schema)
            #expect(json.status == 0, "\(json)")
            let rows = try Self.jsonArray(json.standardOutput)
            #expect(rows.map { $0["offset"] as? Int } == [10, 11, 12])
            #expect(rows.map { $0["sequence"] as? Int } == stored.map { Int($0.sequence) })
            #expect(rows[0]["code"] as? String == "schema_violation")
            #expect(rows[0]["topic"] as? String == "clsm.declared" && rows[0]["partition"] as? Int == 0)
            #expect(rows[0]["key"] as? String == "clsm-10")
            #expect(rows[1]["key"] as? String == "0xff01")
            #expect(rows[0]["ce_id"] as? String == "event-10")
            #expect(rows[0]["message"] as? String == long, "whole in json")
            #expect(rows[0]["replayed_at"] is NSNull)
            #expect(rows[2]["replayed_at"] is String)
            #expect(rows[0]["recorded_at"] is String)

            let table = try await AdminProcess.run(["dlq", "list"], schema: context.schema)
            #expect(table.status == 0, "\(table)")
            let lines = table.standardOutput.split(separator: "\n")
            #expect(lines.count == 5, "header, rule, three rows:\n\(table.standardOutput)")
            #expect(lines[0].hasPrefix("sequence  code") && lines[0].hasSuffix("message"))
            #expect(!table.standardOutput.contains(long) && lines[2].hasSuffix("…"), "cut in the table")
            #expect(lines[3].contains("unknown_reference") && lines[3].contains("QPV QN999 unknown"))

            let csv = try await AdminProcess.run(["dlq", "list", "--format", "csv", "--code", "schema_violation"], schema: context.schema)
            #expect(csv.status == 0, "\(csv)")
            let records = csv.standardOutput.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(records.count == 3, "\(csv.standardOutput)")
            #expect(records[0] == "sequence,code,topic,partition,offset,key,ce_id,recorded_at,replayed_at,message")
            #expect(records[1].hasPrefix("\(stored[0].sequence),schema_violation,clsm.declared,0,10,clsm-10,event-10,"))
            #expect(records[1].hasSuffix("," + long), "whole in csv")
            #expect(records[2].hasSuffix(",\"bad, \"\"quoted\"\" date\""))

            let unreplayed = try await AdminProcess.run(["dlq", "list", "--format", "json", "--unreplayed"], schema: context.schema)
            #expect(try Self.jsonArray(unreplayed.standardOutput).map { $0["offset"] as? Int } == [10, 11])
            let limited = try await AdminProcess.run(
                [
                    "dlq", "list", "--format", "json", "--limit", "1",
                    "--after", String(stored[0].sequence),
                ], schema: context.schema)
            #expect(try Self.jsonArray(limited.standardOutput).map { $0["offset"] as? Int } == [11])
            let none = try await AdminProcess.run(["dlq", "list", "--format", "json", "--code", "too_large"], schema: context.schema)
            #expect(none.status == 0 && none.standardOutput == "[]\n", "\(none)")

            let refused = try await AdminProcess.run(["dlq", "list", "--code", "unknownReference"], schema: context.schema)
            #expect(refused.status == 65, "\(refused)")
            for code in DeadLetterCode.allCases { #expect(refused.standardError.contains(code.rawValue), "\(refused)") }
            let refusedReplay = try await AdminProcess.run(["dlq", "replay", "--code", "nope"], schema: context.schema)
            #expect(refusedReplay.status == 65, "\(refusedReplay)")
        }
    }

    @Test("dlq replay republishes to the original topic byte for byte, marks after delivery, once; --code and --dry-run")
    func replay() async throws {
        try await OutboxTestContext.with { context in
            let db = context.connection
            let topic = try await KafkaTestSupport.freshTopic("dlqreplay")
            let originals = (0..<4).map { Self.message(topic: topic, offset: Int64($0)) }
            try await DeadLetterStore.record(originals[0], code: .unknownReference, reason: "commune 93055 unknown", on: db)
            try await DeadLetterStore.record(originals[1], code: .schemaViolation, reason: "missing name", on: db)
            try await DeadLetterStore.record(originals[2], code: .unknownReference, reason: "commune 93055 unknown", on: db)
            // Replayed before: never republished again.
            try await DeadLetterStore.record(originals[3], code: .unknownReference, reason: "x", on: db)
            try await DeadLetterStore.markReplayed([try await DeadLetterStore.list(on: db)[3].sequence], on: db)

            let dryRun = try await AdminProcess.run(["dlq", "replay", "--dry-run", "--code", "unknown_reference"], schema: context.schema)
            #expect(dryRun.status == 0, "\(dryRun)")
            #expect(dryRun.standardOutput.contains("would republish 2 dead letters of code unknown_reference"), "\(dryRun)")
            #expect(try await DeadLetterStore.unreplayed(on: db).count == 3, "a dry run marks nothing")

            let first = try await AdminProcess.run(
                ["dlq", "replay", "--code", "unknown_reference", "--format", "json"],
                schema: context.schema)
            #expect(first.status == 0, "\(first)")
            let republished = try Self.jsonArray(first.standardOutput)
            #expect(republished.map { $0["from_offset"] as? Int } == [0, 2])
            #expect(republished.allSatisfy { $0["topic"] as? String == topic && $0["offset"] is Int })
            #expect(try await DeadLetterStore.unreplayed(on: db).map(\.offset) == [1], "only the code asked for")

            let rest = try await AdminProcess.run(["dlq", "replay"], schema: context.schema)
            #expect(rest.status == 0, "\(rest)")
            #expect(rest.standardOutput.contains("republished 1 dead letter to their original topics"), "\(rest)")
            #expect(try await DeadLetterStore.unreplayed(on: db).isEmpty)
            #expect(try await DeadLetterStore.list(on: db).allSatisfy { $0.replayedAt != nil })

            let again = try await AdminProcess.run(["dlq", "replay"], schema: context.schema)
            #expect(again.status == 0, "\(again)")
            #expect(again.standardOutput == "no dead letter to replay\n", "\(again)")

            // On the original topic: the three records, byte for byte, without the hub_* headers, once each.
            let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("dlqreader"), topics: [topic])
            let received = try await KafkaTestSupport.consume(consumer, count: 3)
            try await consumer.close()
            #expect(received.count == 3)
            #expect(received.map(\.value) == [originals[0], originals[2], originals[1]].map(\.value))
            for (record, original) in zip(received, [originals[0], originals[2], originals[1]]) {
                #expect(record.key == original.key)
                #expect(record.headers == Self.headersWithoutHub(original))
            }
        }
    }

    @Test("two dlq replay at once republish each dead letter once between them")
    func concurrentReplays() async throws {
        try await OutboxTestContext.with { context in
            let topic = try await KafkaTestSupport.freshTopic("dlqconcurrent")
            let count = 120
            for offset in 0..<count {
                try await DeadLetterStore.record(
                    Self.message(topic: topic, offset: Int64(offset)), code: .unknownReference,
                    reason: "unknown", on: context.connection)
            }
            let arguments = ["dlq", "replay", "--format", "json", "--batch-size", "7"]
            async let one = AdminProcess.run(arguments, schema: context.schema)
            async let two = AdminProcess.run(arguments, schema: context.schema)
            let results = try await [one, two]
            for result in results { #expect(result.status == 0, "\(result)") }
            let sequences = try results.flatMap { try Self.jsonArray($0.standardOutput).compactMap { $0["sequence"] as? Int } }
            #expect(sequences.count == count, "each dead letter republished by one replay only")
            #expect(Set(sequences).count == count)
            #expect(try await DeadLetterStore.unreplayed(on: context.connection).isEmpty)

            // Every record either replay wrote is in its output with its delivery report: the
            // offsets 0..<count, each once, are the whole topic (no record written twice).
            let offsets = try results.flatMap { try Self.jsonArray($0.standardOutput).compactMap { $0["offset"] as? Int } }
            #expect(offsets.sorted() == Array(0..<count))
            let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("dlqreader"), topics: [topic])
            let received = try await KafkaTestSupport.consume(consumer, count: count)
            try await consumer.close()
            #expect(received.count == count)
            #expect(Set(received.map(\.value)) == Set((0..<count).map { Self.message(topic: topic, offset: Int64($0)).value }))
        }
    }
}

/// The whole dead-letter round trip with the real hub-workers, on the contract's topics.
extension SharedTopicsTests {
    @Suite("Dead letters replayed end to end")
    struct DeadLetterReplayEndToEndTests {
        static var pantin: [String: Any] { ["code": "93055", "name": "Pantin", "departement": "93"] }

        /// A CLSM declared on Pantin (93055), a commune the demo reference data does not hold.
        static func declaration(id: String) throws -> OutboundRecord {
            let event: [String: Any] = [
                "specversion": "1.0", "id": id, "source": "urn:clsm-tool:pantin", "type": "clsm.declared.v1",
                "time": "2026-09-03T10:00:00+02:00", "datacontenttype": "application/json",
                "data": [
                    "clsmId": "clsm-pantin", "name": "CLSM de Pantin (test)", "region": "11", "status": "active",
                    "scale": "communal", "communes": ["93055"],
                    "governance": [
                        "copil": true, "plenaryAssembly": false,
                        "members": ["elected", "adultPsychiatry", "users"],
                    ],
                    "workingGroups": ["housing"],
                ] as [String: Any],
            ]
            let value = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])
            return OutboundRecord(
                topic: "clsm.declared", key: "clsm-pantin", value: [UInt8](value),
                headers: ExampleEvents.structuredHeaders)
        }

        /// The demo reference data with Pantin added, as the pure core will see it after the import.
        static func referenceWithPantin() throws -> ReferenceDataDocument {
            let url = ExampleEvents.examples.appendingPathComponent("reference-demo.json")
            var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            json["communes"] = (json["communes"] as? [Any] ?? []) + [pantin]
            return try ReferenceDataDocument.decode([UInt8](try JSONSerialization.data(withJSONObject: json)))
        }

        @Test(
            "a CLSM on an unknown commune is dead-lettered; after the reference import, dlq replay makes the workers store it once, with its notifications"
        )
        func unknownReferenceReplayed() async throws {
            let run = try await HubTestRun.start(reference: try ExampleEvents.referenceDocument())
            let worker = try run.startWorker()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestServers.uniqueName("dlq"))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            do {
                let eventId = UUID().uuidString.lowercased()
                let declaration = try Self.declaration(id: eventId)
                try await run.producer.send(declaration)
                #expect(try await run.waitUntilCaughtUp())
                let letters = try await DeadLetterStore.list(on: run.database)
                #expect(letters.map(\.errorCode) == [.unknownReference], "\(letters.map(\.errorMessage))")
                #expect(letters.first?.value == declaration.value)
                #expect(try await run.database.query("SELECT count(*) FROM clsms").scalar(Int.self) == 0)

                // status sees it, and the workers' group caught up.
                let before = try await AdminProcess.run(["status", "--format", "json"], schema: run.schema, group: run.group)
                #expect(before.status == 0, "\(before)")
                let status = try StatusCommandTests.json(before.standardOutput)
                #expect(status["deadletters"]?.first?["code"] as? String == "unknown_reference")
                #expect(status["deadletters"]?.first?["unreplayed"] as? Int == 1)
                let lag = try #require(status["lag"])
                #expect(lag.count == InboundTopic.allCases.count * 6, "every inbound topic, of six partitions each")
                #expect(lag.allSatisfy { $0["lag"] as? Int == 0 }, "\(lag)")
                #expect(lag.contains { $0["topic"] as? String == "clsm.declared" && $0["committed"] as? Int == 1 })

                let file = directory.appendingPathComponent("pantin.json")
                try JSONSerialization.data(withJSONObject: ["communes": [Self.pantin]]).write(to: file)
                let imported = try await AdminProcess.run(["reference", "import", file.path], schema: run.schema)
                #expect(imported.status == 0, "\(imported)")

                let replay = try await AdminProcess.run(["dlq", "replay"], schema: run.schema, group: run.group)
                #expect(replay.status == 0, "\(replay)")
                #expect(replay.standardOutput.contains("republished 1 dead letter to their original topics"), "\(replay)")
                #expect(replay.standardOutput.contains(eventId), "\(replay)")
                #expect(try await run.waitUntilCaughtUp())

                // What the pure core decides for the declaration once Pantin is known.
                let decoded = try InboundDecoder().decode(topic: declaration.topic, headers: declaration.headers, value: declaration.value)
                let decision = try RulesEngine().decide(decoded, in: HubState(reference: try Self.referenceWithPantin()))
                let expected = Set(decision.notifications.map(\.notificationId))
                #expect(expected.count >= 2)
                let received = try await run.notifications(expecting: expected)
                let ids = received.compactMap { $0.header("ce_id")?.stringValue }
                #expect(Set(ids) == expected)
                #expect(ids.count == expected.count, "each notification once")
                #expect(try await run.database.query("SELECT count(*) FROM clsms WHERE id = 'clsm-pantin'").scalar(Int.self) == 1)

                let second = try await AdminProcess.run(["dlq", "replay"], schema: run.schema, group: run.group)
                #expect(second.status == 0, "\(second)")
                #expect(second.standardOutput == "no dead letter to replay\n", "\(second)")
                #expect(try await run.waitUntilCaughtUp())

                let inbox = try await run.database.query(
                    "SELECT count(*) FROM hub_inbox WHERE event_source = 'urn:clsm-tool:pantin' AND event_id = \(eventId)")
                #expect(try inbox.scalar(Int.self) == 1)
                let logged = try await run.database.query("SELECT count(*) FROM hub_event_log WHERE event_id = \(eventId)")
                #expect(try logged.scalar(Int.self) == 1)
                #expect(try await run.processedCount() == 1)
                let after = try await DeadLetterStore.list(on: run.database)
                #expect(after.count == 1, "the replayed record was not dead-lettered again")
                #expect(after.first?.replayedAt != nil)
            } catch {
                Issue.record("worker log:\n\(worker.log.suffix(3000))")
                throw error
            }
            #expect(await worker.stop() == 0)
            await run.finish()
        }
    }
}
