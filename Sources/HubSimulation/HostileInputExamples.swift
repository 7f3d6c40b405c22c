import HubDomain

/// One record for each kind of hostile input issue 15 saw stop `hub-workers` or end as an
/// `internal` dead letter, with the code the hub must give it instead. The pure tests run
/// them through the decoder; the integration tests publish each alone to a running worker,
/// followed by a valid record that must still be processed and notified.
///
/// Each is a SISM proposal of the demo's Saint-Denis CLSM (the examples' reference data and
/// first declaration), valid but for the one thing named.
public enum HostileInputExamples {
    public struct Example: Sendable {
        /// What is wrong with it, for test names and messages.
        public var name: String
        public var topic: String
        public var key: [UInt8]?
        public var headers: [RecordHeader]
        public var value: [UInt8]
        /// The dead-letter code the hub must give it.
        public var expectedCode: DeadLetterCode
        /// A word the dead letter's message must contain: the field at fault.
        public var namedField: String

        public var outgoing: OutboundRecord {
            OutboundRecord(topic: topic, key: key, value: value, headers: headers)
        }
    }

    public static let topic = "sism.event.proposed"
    public static let clsmId = "clsm-saint-denis"

    /// A valid proposal's payload, as JSON text with the given members replaced.
    public static func proposalJSON(
        id: String, startsAt: String = "\"2026-10-07T14:00:00+02:00\"",
        endsAt: String = "\"2026-10-07T17:00:00+02:00\"",
        title: String = "\"Atelier\"", extra: String = ""
    ) -> [UInt8] {
        Array(
            """
            {"proposalId":"\(id)","clsmId":"\(clsmId)","edition":2026,"title":\(title),"format":"workshop",\
            "startsAt":\(startsAt),"endsAt":\(endsAt),"commune":"93066","venue":"Maison de quartier",\
            "audience":"habitants"\(extra)}
            """.utf8)
    }

    /// Binary-mode headers of a valid proposal, with the given values replaced (by name).
    public static func headers(id: String, replacing replaced: [String: [UInt8]] = [:]) -> [RecordHeader] {
        let values: [(String, [UInt8])] = [
            ("ce_specversion", Array("1.0".utf8)), ("ce_id", Array(id.utf8)),
            ("ce_source", Array("urn:clsm-tool:saint-denis".utf8)), ("ce_type", Array("sism.event.proposed.v1".utf8)),
            ("ce_time", Array("2026-09-15T11:00:00+02:00".utf8)), ("content-type", Array("application/json".utf8)),
        ]
        return values.map { RecordHeader(name: $0.0, value: replaced[$0.0] ?? $0.1) }
    }

    /// A valid proposal, to follow each hostile one: it must be accepted and notified.
    public static func valid(_ suffix: String) -> OutboundRecord {
        OutboundRecord(
            topic: topic, key: Array(clsmId.utf8), value: proposalJSON(id: "valid-\(suffix)"),
            headers: headers(id: "valid-\(suffix)"))
    }

    /// Every example, each with a distinct `ce_id` (prefix `hostile-`).
    public static func all() -> [Example] {
        let key = Array(clsmId.utf8)
        func binary(
            _ name: String, _ code: DeadLetterCode, field: String, key: [UInt8]? = key,
            headers replaced: [String: [UInt8]] = [:], value: [UInt8]? = nil
        ) -> Example {
            let id = "hostile-\(name)"
            return Example(
                name: name, topic: topic, key: key, headers: headers(id: id, replacing: replaced),
                value: value ?? proposalJSON(id: id), expectedCode: code, namedField: field)
        }
        let structured = Array(
            """
            {"specversion":"1.0","id":"hostile-\\u0000-structured","source":"urn:clsm-tool:saint-denis",\
            "type":"sism.event.proposed.v1","time":"2026-09-15T11:00:00+02:00","data":\(String(decoding: proposalJSON(id: "hostile-structured"), as: UTF8.self))}
            """.utf8)
        return [
            binary(
                "startsAt-year-0001", .schemaViolation, field: "startsAt",
                value: proposalJSON(id: "hostile-startsAt-year-0001", startsAt: "\"0001-10-07T14:00:00+02:00\"")),
            binary(
                "endsAt-year-9999", .schemaViolation, field: "endsAt",
                value: proposalJSON(id: "hostile-endsAt-year-9999", endsAt: "\"9999-12-31T23:00:00-02:00\"")),
            binary("specversion-NUL", .malformedEnvelope, field: "ce_specversion", headers: ["ce_specversion": Array("1.0\0".utf8)]),
            binary("time-offset-20h", .malformedEnvelope, field: "ce_time", headers: ["ce_time": Array("2026-09-15T11:00:00+20:00".utf8)]),
            binary(
                "time-300-digit-fraction", .malformedEnvelope, field: "ce_time",
                headers: ["ce_time": Array(("2026-09-15T11:00:00." + String(repeating: "9", count: 300) + "+02:00").utf8)]),
            binary("time-year-0001", .malformedEnvelope, field: "ce_time", headers: ["ce_time": Array("0001-01-01T00:00:00Z".utf8)]),
            binary("id-NUL", .malformedEnvelope, field: "ce_id", headers: ["ce_id": Array("hostile-id-\0-NUL".utf8)]),
            binary(
                "source-invalid-UTF-8", .malformedEnvelope, field: "ce_source",
                headers: ["ce_source": Array("urn:clsm-tool:".utf8) + [0xC3, 0x28, 0xFF]]),
            binary("id-10KB", .tooLarge, field: "ce_id", headers: ["ce_id": Array(repeating: UInt8(ascii: "x"), count: 10_000)]),
            binary("key-NUL", .malformedEnvelope, field: "key", key: Array("clsm-saint-\0denis".utf8)),
            binary(
                "title-escaped-NUL", .schemaViolation, field: "title",
                value: proposalJSON(id: "hostile-title-escaped-NUL", title: #""Atelier \u0000 NUL""#)),
            binary(
                "member-name-escaped-NUL", .schemaViolation, field: "unknown field",
                value: proposalJSON(id: "hostile-member-name-escaped-NUL", extra: #","bad\u0000key":1"#)),
            Example(
                name: "structured-id-escaped-NUL", topic: topic, key: key,
                headers: [RecordHeader(name: "content-type", string: "application/cloudevents+json")],
                value: structured, expectedCode: .malformedEnvelope, namedField: "id"),
        ]
    }
}
