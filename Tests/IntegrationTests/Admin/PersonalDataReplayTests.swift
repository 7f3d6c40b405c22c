import Foundation
import HubCore
import HubDomain
import Testing

/// `hub-admin dlq replay` and `personal_data` dead letters (issue 17): they hold a masked
/// copy, not the record, so they are never republished.
@Suite("hub-admin dlq replay and personal data", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct PersonalDataReplayTests {
    static func message(topic: String, offset: Int64, title: String) -> InboundRecord {
        InboundRecord(
            topic: topic, partition: 0, offset: offset, key: Array("clsm-\(offset)".utf8),
            value: Array(#"{"title":"\#(title)"}"#.utf8),
            headers: [RecordHeader(name: "ce_id", string: "event-\(offset)"), RecordHeader(name: "ce_source", string: "urn:test")],
            timestampMilliseconds: nil)
    }

    @Test("--code personal_data is refused (65) and says to fix at the source; without --code they are skipped and counted")
    func refusedAndSkipped() async throws {
        try await OutboxTestContext.with { context in
            let db = context.connection
            let topic = try await KafkaTestSupport.freshTopic("dlqpersonal")
            let reason = "personal data; title: contains a phone number (phone)"
            try await DeadLetterStore.record(
                Self.message(topic: topic, offset: 0, title: "06 12 34 56 78"), code: .personalData, reason: reason, on: db)
            try await DeadLetterStore.record(
                Self.message(topic: topic, offset: 1, title: "Atelier"), code: .schemaViolation, reason: "x", on: db)
            try await DeadLetterStore.record(
                Self.message(topic: topic, offset: 2, title: "jeanne@example.org"), code: .personalData, reason: reason, on: db)
            // Stored masked, whoever stores them.
            let stored = try await DeadLetterStore.list(code: .personalData, on: db)
            #expect(
                stored.map { String(decoding: $0.value, as: UTF8.self) }
                    == [#"{"title":"[masqué:phone]"}"#, #"{"title":"[masqué:email]"}"#])

            let refused = try await AdminProcess.run(["dlq", "replay", "--code", "personal_data"], schema: context.schema)
            #expect(refused.status == 65, "\(refused)")
            #expect(refused.standardError.contains("personal_data dead letters are not replayed"), "\(refused)")
            #expect(refused.standardError.contains("Fix the record at its source"), "\(refused)")

            let dryRun = try await AdminProcess.run(["dlq", "replay", "--dry-run"], schema: context.schema)
            #expect(dryRun.status == 0, "\(dryRun)")
            #expect(dryRun.standardOutput.contains("skipped 2 personal_data dead letters: never replayed"), "\(dryRun)")
            #expect(dryRun.standardOutput.contains("would republish 1 dead letter to their original topics"), "\(dryRun)")

            let json = try await AdminProcess.run(["dlq", "replay", "--format", "json"], schema: context.schema)
            #expect(json.status == 0, "\(json)")
            #expect(json.standardError.contains("skipped 2 personal_data dead letters"), "\(json)")
            let republished = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
            #expect(republished.map { $0["from_offset"] as? Int } == [1])

            let again = try await AdminProcess.run(["dlq", "replay"], schema: context.schema)
            #expect(again.status == 0, "\(again)")
            #expect(
                again.standardOutput == """
                    skipped 2 personal_data dead letters: never replayed, they are kept masked; fix the records at their \
                    source and publish them again
                    no dead letter to replay

                    """, "\(again)")
            #expect(try await DeadLetterStore.unreplayed(on: db).map(\.offset) == [0, 2], "left unreplayed")
        }
    }
}
