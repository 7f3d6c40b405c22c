import Foundation
import HubTestSupport
import Testing

@testable import HubCore
@testable import HubDomain
@testable import HubKafka

@Suite("hub-admin status and dlq listings")
struct HubStatusTests {
    @Test("lag counts from the committed offset, from the oldest kept record without one, never below zero")
    func lag() {
        #expect(PartitionLag(topic: "t", partition: 0, committed: 7, low: 0, end: 10).lag == 3)
        #expect(PartitionLag(topic: "t", partition: 0, committed: nil, low: 4, end: 10).lag == 6)
        #expect(PartitionLag(topic: "t", partition: 0, committed: 2, low: 4, end: 10).lag == 6, "below retention: reset to earliest")
        #expect(PartitionLag(topic: "t", partition: 0, committed: 12, low: 0, end: 10).lag == 0, "a trailing high watermark")
    }

    @Test("the outbox backlog always lists the two hub topics first")
    func backlog() {
        let other = OutboxBacklog(topic: "a.private", unsent: 2, oldestUnsentAt: nil, oldestAgeSeconds: 1)
        let letters = OutboxBacklog(topic: HubTopics.deadLetter, unsent: 1, oldestUnsentAt: nil, oldestAgeSeconds: 3)
        let listed = HubStatus.backlog([other, letters])
        #expect(listed.map(\.topic) == [HubTopics.notifications, HubTopics.deadLetter, "a.private"])
        #expect(listed[0].unsent == 0 && listed[0].oldestAgeSeconds == nil)
        #expect(listed.map(\.kind) == ["notifications", "dead letters", "other"])
    }

    static let status = HubStatus(
        group: "clsm-hub",
        lag: [
            PartitionLag(topic: "qpv.action.recorded", partition: 0, committed: nil, low: 0, end: 2),
            PartitionLag(topic: "clsm.declared", partition: 1, committed: 5, low: 0, end: 5),
        ],
        outbox: HubStatus.backlog([
            OutboxBacklog(
                topic: HubTopics.notifications, unsent: 3,
                oldestUnsentAt: Date(timeIntervalSince1970: 1_790_000_000), oldestAgeSeconds: 12.34)
        ]),
        deadLetters: [DeadLetterCount(code: "unknown_reference", total: 2, unreplayed: 1)],
        events: [
            TopicActivity(
                topic: "clsm.declared", events: 4, lastEventId: "e-1", lastSource: "urn:s",
                lastEventTime: "2026-09-01T09:00:00+02:00", lastProcessedAt: Date(timeIntervalSince1970: 1_790_000_000)),
            TopicActivity(topic: "sism.event.proposed", events: 0),
        ])

    @Test("json is one object keyed by section, each an array of row objects")
    func json() throws {
        let text = try Self.status.document().rendered(as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [[String: Any]]])
        #expect(Set(object.keys) == ["lag", "outbox", "deadletters", "events", "sources"])
        let lag = try #require(object["lag"])
        #expect(lag.map { $0["topic"] as? String } == ["clsm.declared", "qpv.action.recorded"], "sorted by topic and partition")
        #expect(lag[0]["lag"] as? Int == 0 && lag[1]["lag"] as? Int == 2)
        #expect(lag[1]["committed"] is NSNull)
        #expect(object["outbox"]?[0]["unsent"] as? Int == 3)
        #expect(object["outbox"]?[0]["oldest_unsent_at"] as? String == "2026-09-21T14:13:20Z")
        #expect(object["deadletters"]?[0]["unreplayed"] as? Int == 1)
        #expect(object["events"]?[1]["last_ce_id"] is NSNull)
        #expect(object["events"]?[0]["last_ce_source"] as? String == "urn:s")
    }

    @Test("table prints titled sections; csv prints one section, lag unless another is named")
    func tableAndCSV() throws {
        let table = try Self.status.document().rendered(as: .table)
        #expect(table.hasPrefix("Consumer lag of group clsm-hub (total 2)\n====="))
        #expect(table.contains("Outbox backlog\n==============\ntopic"))
        #expect(table.contains("Dead letters by code\n"))
        #expect(table.contains("unknown_reference      2           1"))
        #expect(
            try Self.status.document().rendered(as: .csv)
                == "topic,partition,committed,end,lag\r\nclsm.declared,1,5,5,0\r\nqpv.action.recorded,0,,2,2\r\n")
        #expect(
            try Self.status.document().rendered(as: .csv, section: "deadletters")
                == "code,total,unreplayed\r\nunknown_reference,2,1\r\n")
        let empty = HubStatus(group: "g", lag: [], outbox: [], deadLetters: [], events: []).document()
        #expect(
            try empty.rendered(as: .table, section: "lag")
                == "Consumer lag of group g (total 0)\n=================================\n(none)\n")
        #expect(try empty.rendered(as: .json, section: "lag") == "{\n  \"lag\": []\n}\n")
    }

    static func record(message: String, key: [UInt8]?, headers: [RecordHeader]) -> DeadLetterRecord {
        DeadLetterRecord(
            sequence: 9, code: "schema_violation", errorMessage: message, topic: "clsm.declared", partition: 2,
            offset: 41, key: key, headers: headers, value: Array("{\"id\":\"structured-id\"}".utf8),
            recordedAt: Date(timeIntervalSince1970: 0), replayedAt: nil)
    }

    @Test("dlq list cuts the message for the table only; keys that are not text are shown in hex; ce_id in either mode")
    func deadLetterListing() {
        let long = String(repeating: "violation ", count: 20) + "\nsecond line"
        let binary = Self.record(message: long, key: Array("clsm-1".utf8), headers: [RecordHeader(name: "ce_id", string: "binary-id")])
        let structured = Self.record(
            message: "x", key: [0xFF, 0x00],
            headers: [RecordHeader(name: "content-type", string: "application/cloudevents+json; charset=utf-8")])
        let table = DeadLetterListings.list([binary, structured], forTable: true)
        let cell = table.rows[0][9].description
        #expect(cell.count == DeadLetterListings.tableMessageLength && cell.hasSuffix("…") && !cell.contains("\n"))
        #expect(DeadLetterListings.list([binary], forTable: false).rows[0][9] == .text(long))
        #expect(table.rows[0][5] == "clsm-1" && table.rows[1][5] == "0xff00")
        #expect(table.rows[0][6] == "binary-id" && table.rows[1][6] == "structured-id")
        #expect(table.rows[0][7] == "1970-01-01T00:00:00Z" && table.rows[0][8] == .null)
        let unknown = Self.record(message: "x", key: nil, headers: [])
        #expect(DeadLetterListings.list([unknown], forTable: true).rows[0][6] == .null, "no header, not structured: no id")
    }

    @Test("--code takes the contract's codes and names them all when refused")
    func codes() throws {
        #expect(try DeadLetterListings.code("unknown_reference") == .unknownReference)
        #expect(try DeadLetterListings.code(nil) == nil)
        #expect(throws: UnknownDeadLetterCode.self) { try DeadLetterListings.code("unknownReference") }
        let message = UnknownDeadLetterCode(text: "nope").description
        for code in DeadLetterCode.allCases { #expect(message.contains(code.rawValue)) }
    }

    @Test("the replay listing shows where each record went")
    func replayListing() {
        let record = Self.record(message: "x", key: nil, headers: [])
        let listing = DeadLetterListings.replay([
            .init(record: record, delivery: DeliveryReport(topic: "clsm.declared", partition: 1, offset: 77)),
            .init(record: record, delivery: nil),
        ])
        #expect(listing.rows[0].suffix(4) == [2, 41, 1, 77])
        #expect(listing.rows[1].suffix(2) == [.null, .null])
    }
}
