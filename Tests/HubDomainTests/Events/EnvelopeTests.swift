import HubTestSupport
import Testing

@testable import HubDomain

@Suite("CloudEvents 1.0 Kafka binding")
struct EnvelopeTests {
    static let payload = Array(#"{"x":1}"#.utf8)

    static func binaryHeaders(dropping: String? = nil, replacing: [String: String] = [:]) -> [RecordHeader] {
        var headers: [(String, String)] = [
            ("ce_specversion", "1.0"), ("ce_id", "e-1"), ("ce_source", "urn:test"), ("ce_type", "clsm.declared.v1"),
            ("ce_time", "2026-09-01T10:00:00+02:00"), ("content-type", "application/json"), ("ce_traceparent", "00-abc"),
        ]
        headers.removeAll { $0.0 == dropping }
        headers = headers.map { ($0.0, replacing[$0.0] ?? $0.1) }
        return headers.map { RecordHeader(name: $0.0, string: $0.1) }
    }

    @Test("binary mode: attributes from ce_ headers, extensions kept, value is the data")
    func binary() throws {
        let event = try CloudEventRecordCodec.decode(headers: Self.binaryHeaders(), value: Self.payload)
        #expect(event.identity == EventIdentity(source: "urn:test", id: "e-1"))
        #expect(event.type == "clsm.declared.v1")
        #expect(event.time.text == "2026-09-01T10:00:00+02:00")
        #expect(event.extensions == ["traceparent": "00-abc"])
        #expect(event.data == Self.payload)
    }

    @Test("tuple headers are accepted too")
    func tuples() throws {
        let tuples = Self.binaryHeaders().map { ($0.name, $0.value!) }
        #expect(try CloudEventRecordCodec.decode(headers: tuples, value: Self.payload).id == "e-1")
    }

    @Test("structured mode: one JSON object, data inline or base64")
    func structured() throws {
        let headers = [RecordHeader(name: "content-type", string: "application/cloudevents+json; charset=utf-8")]
        let inline =
            #"{"specversion":"1.0","id":"e-2","source":"urn:s","type":"clsm.declared.v1","time":"2026-09-01T08:00:00Z","data":{"x":1},"comexample":"v"}"#
        let event = try CloudEventRecordCodec.decode(headers: headers, value: Array(inline.utf8))
        #expect(event.id == "e-2")
        #expect(event.data == Self.payload)
        #expect(event.extensions == ["comexample": "v"])
        let base64 =
            #"{"specversion":"1.0","id":"e-3","source":"urn:s","type":"clsm.declared.v1","time":"2026-09-01T08:00:00Z","data_base64":"eyJ4IjoxfQ=="}"#
        #expect(try CloudEventRecordCodec.decode(headers: headers, value: Array(base64.utf8)).data == Self.payload)
    }

    @Test("a binary-mode encoding decodes back to the same event")
    func roundTrip() throws {
        let original = try CloudEventRecordCodec.decode(headers: Self.binaryHeaders(), value: Self.payload)
        let again = try CloudEventRecordCodec.decode(headers: CloudEventRecordCodec.binaryHeaders(for: original), value: original.data)
        #expect(again == original)
        let structured = try CloudEventRecordCodec.structuredValue(for: original)
        let fromStructured = try CloudEventRecordCodec.decode(
            headers: [RecordHeader(name: "content-type", string: "application/cloudevents+json")], value: structured)
        #expect(fromStructured.identity == original.identity && fromStructured.data == original.data)
    }

    @Test(
        "malformed_envelope: each missing or bad attribute is reported",
        arguments: [
            ("ce_id", nil, "header ce_id"), ("ce_source", nil, "header ce_source"), ("ce_type", nil, "header ce_type"),
            ("ce_time", nil, "header ce_time"), ("ce_specversion", nil, "header ce_specversion"),
            (nil, ["ce_specversion": "0.3"], "header ce_specversion"), (nil, ["ce_time": "yesterday"], "header ce_time"),
            (nil, ["ce_id": ""], "header ce_id"),
        ] as [(String?, [String: String]?, String)])
    func malformed(drop: String?, replace: [String: String]?, path: String) throws {
        let error = rejection {
            try CloudEventRecordCodec.decode(headers: Self.binaryHeaders(dropping: drop, replacing: replace ?? [:]), value: Self.payload)
        }
        let rejection = try #require(error)
        #expect(rejection.code == .malformedEnvelope)
        #expect(rejection.violations.map(\.path) == [path])
    }

    @Test("malformed_envelope: structured value that is not a CloudEvent")
    func malformedStructured() throws {
        let headers = [RecordHeader(name: "content-type", string: "application/cloudevents+json")]
        for value in [
            "not json", "[1]", #"{"specversion":"1.0","id":"x","source":"s","type":"t","time":"2026-09-01T08:00:00Z"}"#,
            #"{"specversion":"1.0","id":7,"source":"s","type":"t","time":"2026-09-01T08:00:00Z","data":{}}"#,
        ] {
            let error = try #require(rejection { try CloudEventRecordCodec.decode(headers: headers, value: Array(value.utf8)) })
            #expect(error.code == .malformedEnvelope, "\(value)")
        }
    }
}
