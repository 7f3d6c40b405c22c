import Foundation
import HubCore
import HubDomain
import HubKafka
import HubPostgres
import HubSimulation
import Testing

/// Issue 17 on the real `hub-workers` and the real broker: records carrying personal data in
/// the payload (a value, a nested value, a member name, a forbidden field), in `ce_id`, in
/// `ce_source`, in the key and in a structured-mode event are each dead-lettered as
/// `personal_data`, and neither `hub_dead_letters` (every column), the outbox, the records
/// consumed from `hub.deadletter` nor the worker's log holds any of the offending strings;
/// the places and kinds are there, and the valid record that follows is processed.
///
/// One of the `SharedTopicsTests`: they run alone, so no other suite restarts PostgreSQL
/// under its worker (its run first broke that way, migrating beside the restart test).
extension SharedTopicsTests {
    @Suite("Personal data through hub-workers")
    struct PersonalDataWorkerTests {
        /// Every offending string the records below carry, and spellings of their digits.
        static let secrets = [
            "jeanne.martin@example.org", "jeanne.martin", "06 12 34 56 78", "0612345678", "née le 3 mars 1985", "3 mars 1985",
            "Dupont-Secret", "+33 (0)1 23 45 67 89", "23 45 67 89", "FR76 3000 6000 0112 3456 7890 189", "3000 6000",
            "1 85 05 78 006 084 91", "006 084", "07.98.76.54.32", "98.76.54",
        ]

        static func proposal(_ id: String, title: String = "\"Atelier\"", extra: String = "") -> [UInt8] {
            HostileInputExamples.proposalJSON(id: id, title: title, extra: extra)
        }

        static func binary(
            _ id: String, key: String = HostileInputExamples.clsmId, ceID: String? = nil, ceSource: String? = nil, value: [UInt8]
        ) -> OutboundRecord {
            var replaced: [String: [UInt8]] = [:]
            if let ceID { replaced["ce_id"] = Array(ceID.utf8) }
            if let ceSource { replaced["ce_source"] = Array(ceSource.utf8) }
            return OutboundRecord(
                topic: HostileInputExamples.topic, key: Array(key.utf8), value: value,
                headers: HostileInputExamples.headers(id: ceID ?? id, replacing: replaced))
        }

        /// The records, each with the places (paths) and kinds its dead letter must name.
        static func records() throws -> [(name: String, record: OutboundRecord, findings: [String])] {
            let structured: JSONValue = [
                "specversion": "1.0", "id": "1 85 05 78 006 084 91", "source": "urn:clsm-tool:saint-denis",
                "type": "sism.event.proposed.v1", "time": "2026-09-15T11:00:00+02:00",
                "data": try JSONParser.parse(proposal("pd-structured", title: "\"Rappeler le 07.98.76.54.32\"")),
            ]
            return [
                (
                    "value", binary("pd-value", value: proposal("pd-value", title: "\"Contact : jeanne.martin@example.org\"")),
                    ["title: contains an e-mail address (email)"]
                ),
                (
                    "nested and member name",
                    binary(
                        "pd-nested",
                        value: proposal(
                            "pd-nested",
                            extra: #","details":{"contacts":[{"06 12 34 56 78":"ligne directe","note":"née le 3 mars 1985"}]}"#)),
                    [
                        "details.contacts[0].[masqué:phone]: field name contains a phone number (phone)",
                        "details.contacts[0].note: contains a date of birth (birth-date)",
                    ]
                ),
                (
                    "forbidden field", binary("pd-field", value: proposal("pd-field", extra: #","lastName":"Dupont-Secret""#)),
                    ["lastName: field name designates personal data (field)"]
                ),
                (
                    "ce_id", binary("pd-ceid", ceID: "jeanne.martin (at) example.org", value: proposal("pd-ceid")),
                    ["header:ce_id: contains an e-mail address (email)"]
                ),
                (
                    "ce_source", binary("pd-source", ceSource: "urn:tool:+33 (0)1 23 45 67 89", value: proposal("pd-source")),
                    ["header:ce_source: contains a phone number (phone)"]
                ),
                (
                    "key", binary("pd-key", key: "FR76 3000 6000 0112 3456 7890 189", value: proposal("pd-key")),
                    ["key: contains a bank account number (iban)"]
                ),
                (
                    "structured",
                    OutboundRecord(
                        topic: HostileInputExamples.topic, key: Array(HostileInputExamples.clsmId.utf8), value: structured.canonicalBytes(),
                        headers: [RecordHeader(name: "content-type", string: CloudEventRecordCodec.structuredContentType)]),
                    ["envelope:id: contains a social security number (nir)", "title: contains a phone number (phone)"]
                ),
            ]
        }

        /// The offending strings found in `bytes`, as they are, in hex (as PostgreSQL prints
        /// bytea) and in base64 (as the outbox keeps header values).
        static func leaks(in bytes: [UInt8]) -> [String] {
            let text = String(decoding: bytes, as: UTF8.self)
            return secrets.filter { secret in
                let hex = Array(secret.utf8).map { String(format: "%02x", $0) }.joined()
                return text.contains(secret) || text.lowercased().contains(hex) || text.contains(Base64.encoded(Array(secret.utf8)))
            }
        }

        @Test("each record is a personal_data dead letter; no offending string stored, published or logged; the worker goes on")
        func maskedEverywhere() async throws {
            let run = try await HubTestRun.start(reference: try ExampleEvents.referenceDocument())
            let deadLetterStart = try await HubTestRun.ends(of: [HubTopics.deadLetter], admin: run.admin)
            let worker = try run.startWorker()
            do {
                let declaration = try #require(try ExampleEvents.outgoing().first { $0.topic == "clsm.declared" })
                try await run.producer.send(declaration)
                // Processed first: records of two topics have no order between them, and the
                // proposal that follows the personal data needs its CLSM.
                #expect(try await run.waitUntilCaughtUp(within: .seconds(60)))
                var reports: [(name: String, report: DeliveryReport, findings: [String])] = []
                for (name, record, findings) in try Self.records() {
                    reports.append((name, try await run.producer.send(record), findings))
                }
                try await run.producer.send(HostileInputExamples.valid("after-personal-data"))
                #expect(try await run.waitUntilCaughtUp(within: .seconds(120)))
                #expect(
                    try await run.database.query("SELECT count(*) FROM hub_inbox WHERE event_id = 'valid-after-personal-data'").scalar(
                        Int.self)
                        == 1, "the valid record after them is processed")

                // hub_dead_letters: every column, as text (bytea in hex), and key, value and headers decoded.
                for (name, report, findings) in reports {
                    let rows = try await run.database.query(
                        """
                        SELECT error_code, error_message, to_jsonb(d)::text AS whole, kafka_key, headers::text AS headers, value
                          FROM hub_dead_letters d
                         WHERE topic = \(report.topic) AND kafka_partition = \(Int64(report.partition)) AND kafka_offset = \(report.offset)
                        """)
                    let row = try #require(rows.first, "\(name): no dead letter")
                    #expect(try row.decode(String.self, at: 0) == "personal_data", "\(name)")
                    let message = try row.decode(String.self, at: 1)
                    for finding in findings { #expect(message.contains(finding), "\(name): \(message)") }
                    let headers = try OutboxHeaders.decode(try row.decode(String.self, at: 4))
                    var bytes = Array(message.utf8) + Array(try row.decode(String.self, at: 2).utf8)
                    bytes += (try row.decode(Data?.self, at: 3)).map { [UInt8]($0) } ?? []
                    bytes += Array(try row.decode(String.self, at: 4).utf8) + headers.flatMap { Array($0.name.utf8) + ($0.value ?? []) }
                    bytes += [UInt8](try row.decode(Data.self, at: 5))
                    #expect(Self.leaks(in: bytes).isEmpty, "\(name) stored: \(Self.leaks(in: bytes))")
                }
                // The outbox rows of the dead letters.
                for row in try await run.database.query(
                    "SELECT to_jsonb(o)::text, kafka_key, headers::text, value FROM hub_outbox o WHERE topic = \(HubTopics.deadLetter)")
                {
                    var bytes =
                        Array(try row.decode(String.self, at: 0).utf8) + ((try row.decode(Data?.self, at: 1)).map { [UInt8]($0) } ?? [])
                    bytes += try OutboxHeaders.decode(try row.decode(String.self, at: 2)).flatMap { Array($0.name.utf8) + ($0.value ?? []) }
                    bytes += [UInt8](try row.decode(Data.self, at: 3))
                    #expect(Self.leaks(in: bytes).isEmpty, "outbox: \(Self.leaks(in: bytes))")
                }

                // hub.deadletter, consumed from the real broker: one record per offending one.
                let readerGroup = TestServers.uniqueName("pdreader")
                try await run.admin.commitOffsets(group: readerGroup, deadLetterStart)
                let consumer = try KafkaTestSupport.consumer(group: readerGroup, topics: [HubTopics.deadLetter])
                let mine = Set(reports.map { "\($0.report.topic)|\($0.report.partition)|\($0.report.offset)" })
                var received: [String: InboundRecord] = [:]
                let end = ContinuousClock.now.advanced(by: .seconds(60))
                while received.count < mine.count, ContinuousClock.now < end {
                    for record in try await consumer.poll(maxCount: 100, timeout: .milliseconds(300)) {
                        let place = ["hub_original_topic", "hub_original_partition", "hub_original_offset"]
                            .compactMap { record.header($0)?.stringValue }.joined(separator: "|")
                        if mine.contains(place) { received[place] = record }
                    }
                }
                try await consumer.close()
                #expect(received.count == mine.count, "dead letters consumed: \(received.count) of \(mine.count)")
                for (name, report, findings) in reports {
                    let record = try #require(received["\(report.topic)|\(report.partition)|\(report.offset)"], "\(name)")
                    #expect(record.header("hub_error_code")?.stringValue == "personal_data", "\(name)")
                    let message = record.header("hub_error_message")?.stringValue ?? ""
                    for finding in findings { #expect(message.contains(finding), "\(name): \(message)") }
                    let bytes = (record.key ?? []) + record.value + record.headers.flatMap { Array($0.name.utf8) + ($0.value ?? []) }
                    #expect(Self.leaks(in: bytes).isEmpty, "\(name) published: \(Self.leaks(in: bytes))")
                    #expect(String(decoding: bytes, as: UTF8.self).contains("[masqué:"), "\(name): masks in place")
                }
                #expect(Self.leaks(in: Array(worker.log.utf8)).isEmpty, "worker log: \(Self.leaks(in: Array(worker.log.utf8)))")
                #expect(worker.isRunning)
            } catch {
                Issue.record("worker log:\n\(worker.log.suffix(3000))")
                throw error
            }
            #expect(await worker.stop() == 0, "a SIGTERM ends the worker cleanly")
            await run.finish()
        }
    }
}
