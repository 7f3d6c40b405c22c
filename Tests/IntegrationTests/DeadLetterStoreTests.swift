import Foundation
import HubCore
import HubDomain
import Testing

private struct Abort: Error {}

@Suite("Dead-letter store", .enabled(if: TestServers.hasDatabase))
struct DeadLetterStoreTests {
    static func message(
        topic: String = "clsm.declared", partition: Int32 = 0, offset: Int64, key: [UInt8]? = [0xFF, 0x41]
    ) -> InboundRecord {
        InboundRecord(
            topic: topic, partition: partition, offset: offset, key: key,
            value: [0x7B, 0x00, 0xFE] + Array("valeur \(offset)".utf8),
            headers: [
                RecordHeader(name: "ce_id", string: "e-\(offset)"), RecordHeader(name: "bin", value: [0, 0xFF]),
                RecordHeader(name: "none", value: nil),
            ],
            timestampMilliseconds: nil)
    }

    @Test("a record of any bytes is stored and queued whole: NUL and invalid UTF-8 in key, value and header values; reasons escaped")
    func anyBytesAreStorable() async throws {
        try await OutboxTestContext.with { context in
            let db = context.connection
            let hostile = InboundRecord(
                topic: "sism.event.proposed", partition: 1, offset: 42, key: [0x00, 0xC3, 0x28],
                value: [0x00] + Array(#"{"title":"\u0000"}"#.utf8) + [0xFF],
                headers: [
                    RecordHeader(name: "ce_specversion", value: Array("1.0\0".utf8)),
                    RecordHeader(name: "ce_id", value: [0xED, 0xA0, 0x80]),
                    RecordHeader(name: "x\0name", string: "v"),
                ],
                timestampMilliseconds: nil)
            try await db.transaction { transaction in
                try await DeadLetterStore.deadLetter(
                    hostile, code: .malformedEnvelope, reason: "ce_specversion must be \"1.0\", got \"1.0\0\"",
                    on: transaction)
            }
            let stored = try #require(try await DeadLetterStore.list(on: db).first)
            #expect(stored.key == hostile.key)
            #expect(stored.value == hostile.value)
            #expect(stored.headers.map(\.value) == hostile.headers.map(\.value))
            #expect(stored.headers.map(\.name) == ["ce_specversion", "ce_id", #"x\u0000name"#])
            #expect(stored.errorMessage == #"ce_specversion must be "1.0", got "1.0\u0000""#)
            let queued = try await db.query("SELECT kafka_key, value FROM hub_outbox WHERE topic = 'hub.deadletter'")
            #expect(queued.count == 1)
            #expect(try queued.first?.bytea(at: "kafka_key") == hostile.key)
            #expect(try queued.first?.bytea(at: "value") == hostile.value)
        }
    }

    @Test("record keeps the record byte for byte, once; list filters by code; replay marks")
    func insertListReplay() async throws {
        try await OutboxTestContext.with { context in
            let db = context.connection
            let first = Self.message(offset: 10)
            #expect(try await DeadLetterStore.record(first, code: .schemaViolation, reason: "missing name", on: db))
            // Processed again after a crash: kept as it was.
            #expect(try await !DeadLetterStore.record(first, code: .internal, reason: "other", on: db))
            let noKey = Self.message(topic: "qpv.action.recorded", partition: 3, offset: 11, key: nil)
            #expect(try await DeadLetterStore.record(noKey, code: .unknownReference, reason: "QPV QN999 unknown", on: db))
            #expect(try await DeadLetterStore.record(Self.message(offset: 12), code: .schemaViolation, reason: "bad date", on: db))

            let all = try await DeadLetterStore.list(on: db)
            #expect(all.map(\.offset) == [10, 11, 12])
            let stored = all[0]
            #expect(stored.errorCode == .schemaViolation)
            #expect(stored.errorMessage == "missing name")
            #expect(stored.topic == "clsm.declared" && stored.partition == 0)
            #expect(stored.key == first.key)
            #expect(stored.value == first.value)
            #expect(stored.headers == first.headers)
            #expect(stored.replayedAt == nil)
            #expect(stored.original == OutboundRecord(topic: "clsm.declared", key: first.key, value: first.value, headers: first.headers))
            #expect(all[1].key == nil && all[1].partition == 3)

            #expect(try await DeadLetterStore.list(code: .schemaViolation, on: db).map(\.offset) == [10, 12])
            #expect(try await DeadLetterStore.list(code: .tooLarge, on: db).isEmpty)
            #expect(try await DeadLetterStore.list(limit: 2, on: db).map(\.offset) == [10, 11])
            #expect(try await DeadLetterStore.list(after: all[0].sequence, on: db).map(\.offset) == [11, 12])

            let toReplay = try await DeadLetterStore.unreplayed(code: .schemaViolation, on: db)
            #expect(toReplay.map(\.offset) == [10, 12])
            #expect(try await DeadLetterStore.markReplayed(toReplay.map(\.sequence), on: db) == 2)
            #expect(try await DeadLetterStore.markReplayed(toReplay.map(\.sequence), on: db) == 0)
            #expect(try await DeadLetterStore.unreplayed(code: .schemaViolation, on: db).isEmpty)
            #expect(try await DeadLetterStore.unreplayed(on: db).map(\.offset) == [11])
            #expect(try await DeadLetterStore.list(replayed: true, on: db).allSatisfy { $0.replayedAt != nil })

            let counts = try await DeadLetterStore.counts(on: db)
            #expect(
                counts == [
                    DeadLetterCount(code: "schema_violation", total: 2, unreplayed: 0),
                    DeadLetterCount(code: "unknown_reference", total: 1, unreplayed: 1),
                ])
        }
    }

    @Test("in a rolled-back transaction nothing is recorded")
    func transactional() async throws {
        try await OutboxTestContext.with { context in
            do {
                try await context.connection.transaction { tx in
                    try await DeadLetterStore.deadLetter(
                        Self.message(offset: 1), code: .internal, reason: "x", on: tx,
                        channel: context.relayConfiguration.channel)
                    throw Abort()
                }
                Issue.record("the transaction should have failed")
            } catch is Abort {}
            #expect(try await DeadLetterStore.list(on: context.connection).isEmpty)
            #expect(try await context.unsentCount() == 0)
        }
    }
}

@Suite("Dead letters through the outbox", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct DeadLetterRelayTests {
    @Test("a dead letter written in the processing transaction is published to its topic by the relay, once")
    func publishedByRelay() async throws {
        try await OutboxTestContext.with { context in
            // The relay publishes to the outbox row's topic: a topic of our own stands for hub.deadletter.
            let topic = try await KafkaTestSupport.freshTopic("deadletter")
            let original = DeadLetterStoreTests.message(topic: "sism.event.proposed", partition: 2, offset: 77, key: nil)
            let reason = "ce_type « unknown.v1 » is not sism.event.proposed.v1"
            for _ in 0..<2 {  // processed twice (crash before the offset commit): one effect
                try await context.connection.transaction { tx in
                    try await DeadLetterStore.deadLetter(
                        original, code: .unsupportedType, reason: reason, on: tx,
                        channel: context.relayConfiguration.channel)
                    try await tx.execute("UPDATE hub_outbox SET topic = \(topic)")
                }
            }
            #expect(try await DeadLetterStore.list(on: context.connection).count == 1)
            #expect(try await context.connection.query("SELECT count(*) FROM hub_outbox").scalar(Int.self) == 1)

            let relay = RunningRelay(try context.makeRelay())
            #expect(try await Eventually.wait { try await context.unsentCount() == 0 })
            try await relay.stop()

            let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("deadletter"), topics: [topic])
            let received = try await KafkaTestSupport.consume(consumer, count: 1)
            try await consumer.close()
            let letter = try #require(received.first)
            let expected = DeadLetter.make(from: original, code: .unsupportedType, reason: reason)
            #expect(letter.key == nil)
            #expect(letter.value == original.value)
            #expect(letter.headers == expected.headers)
            #expect(letter.header("hub_original_offset")?.stringValue == "77")
        }
    }
}
