import Foundation
import HubTestSupport
import Testing

@testable import HubDomain

/// `hub-admin publish`: reading a file of events, wrapping bare payloads, deriving ids.
@Suite("Publishing a file of events")
struct PayloadWrappingTests {
    static let saintDenis =
        #"{"clsmId":"clsm-a","name":"CLSM A","region":"11","status":"active","scale":"communal","communes":["93066"],"governance":{"copil":true,"plenaryAssembly":false,"members":["elected"]}}"#
    static let aubervilliers =
        #"{"clsmId":"clsm-b","name":"CLSM B","region":"11","status":"project","scale":"communal","communes":["93001"],"governance":{"copil":false,"plenaryAssembly":false,"members":[]}}"#
    static let time = Timestamp("2026-09-01T09:00:00+02:00")!
    static let wrapping = PayloadWrapping(topic: .clsmDeclared, source: "urn:test:support", time: time)

    static func entries(_ text: String) throws -> [EventFile.Entry] { try EventFile.entries(Array(text.utf8)) }

    static func refusal(_ body: () throws -> some Any) -> EventFileRefusal? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? EventFileRefusal
        }
    }

    @Test("a file is one object (over several lines), an array of objects, or JSON lines with blank lines skipped")
    func forms() throws {
        let one = try Self.entries("\u{FEFF}{\n  \"clsmId\": \"clsm-a\",\n  \"name\": \"A\"\n}\n")
        #expect(one.map(\.position) == [EventFilePosition(index: 1)])
        #expect(one[0].object["name"] == "A")

        let array = try Self.entries("[\(Self.saintDenis),\n \(Self.aubervilliers)]")
        #expect(array.map(\.position) == [EventFilePosition(index: 1), EventFilePosition(index: 2)])
        #expect(array[1].object["clsmId"] == "clsm-b")

        let lines = try Self.entries("\(Self.saintDenis)\r\n\n   \n\(Self.aubervilliers)\n")
        #expect(lines.map(\.position) == [EventFilePosition(index: 1, line: 1), EventFilePosition(index: 2, line: 4)])
        #expect(lines.map { $0.object["clsmId"] } == ["clsm-a", "clsm-b"])
    }

    @Test("what is not a file of objects is refused, at the event and line when there is one")
    func badFiles() throws {
        #expect(Self.refusal { try Self.entries("") }?.reason == "the file is empty: no event to publish")
        #expect(Self.refusal { try Self.entries("[]") }?.position == nil)
        let notObject = try #require(Self.refusal { try Self.entries("[\(Self.saintDenis), 3]") })
        #expect(notObject.description == "event 2: is a JSON integer, not an object")
        let badLine = try #require(Self.refusal { try Self.entries("\(Self.saintDenis)\n\n{\"clsmId\": \n") })
        #expect(badLine.position == EventFilePosition(index: 2, line: 3))
        #expect(badLine.description.hasPrefix("event 2 (line 3): is not JSON: invalid JSON at byte"))
        let stringLine = try #require(Self.refusal { try Self.entries("\(Self.saintDenis)\n\"x\"\n") })
        #expect(stringLine.description == "event 2 (line 2): is a JSON string, not an object")
        // A broken single document: the whole file's error, not "line 1".
        let broken = try #require(Self.refusal { try Self.entries("{\n \"clsmId\": \"a\",\n}") })
        #expect(broken.position == nil)
        #expect(broken.reason.hasPrefix("not one JSON object, an array of objects or JSON lines: invalid JSON"))
        #expect(Self.refusal { try Self.entries("42") }?.reason.contains("a JSON integer") == true)
    }

    @Test("a bare payload is wrapped: type of the topic, source and time given, id derived, binary mode, keyed")
    func wrapsBarePayloads() throws {
        let prepared = try Self.wrapping.prepare(try Self.entries(Self.saintDenis))
        #expect(prepared.count == 1)
        let event = prepared[0]
        #expect(event.wrapped)
        #expect(event.envelope.type == "clsm.declared.v1")
        #expect(event.envelope.source == "urn:test:support")
        #expect(event.envelope.time == Self.time)
        let payload = try JSONParser.parse(Self.saintDenis)
        #expect(event.envelope.id == PayloadWrapping.derivedID(topic: .clsmDeclared, payload: payload))
        #expect(event.message.topic == "clsm.declared")
        #expect(event.message.keyString == "clsm-a")
        #expect(event.message.value == payload.canonicalBytes())
        #expect(event.message.headers.map(\.name) == ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"])
        #expect(event.message.header("content-type")?.stringValue == "application/json")
        #expect(event.message.header("ce_time")?.stringValue == "2026-09-01T09:00:00+02:00")
        // What the workers will read back from that record.
        let decoded = try InboundDecoder().decode(
            topic: "clsm.declared", key: event.message.key,
            headers: event.message.headers, value: event.message.value)
        #expect(decoded.identity == EventIdentity(source: "urn:test:support", id: event.envelope.id))
        guard case .clsmDeclared(let declaration) = decoded.event else {
            Issue.record("not a declaration: \(decoded.event)")
            return
        }
        #expect(declaration.communes == ["93066"])
    }

    @Test(
        "derived ids: the same for the same topic and payload whatever the layout, different otherwise; the namespace is the documented one"
    )
    func derivedIDs() throws {
        #expect(PayloadWrapping.idNamespace == UUIDv5.make(namespace: UUIDv5.urlNamespace, name: "urn:clsm-hub:published-payload"))
        let compact = try JSONParser.parse(#"{"a":1,"b":[true,"é"]}"#)
        let spread = try JSONParser.parse("{ \"b\" : [ true , \"\\u00e9\" ] ,\n \"a\" : 1 }")
        let id = PayloadWrapping.derivedID(topic: .clsmDeclared, payload: compact)
        #expect(id == PayloadWrapping.derivedID(topic: .clsmDeclared, payload: spread))
        #expect(UUID(uuidString: id) != nil && id == id.lowercased())
        #expect(Array(id)[14] == "5", "version 5")
        #expect(id != PayloadWrapping.derivedID(topic: .qpvActionRecorded, payload: compact))
        #expect(id != PayloadWrapping.derivedID(topic: .clsmDeclared, payload: try JSONParser.parse(#"{"a":2,"b":[true,"é"]}"#)))
        // Fixed: a file published again, by any version of hub-admin, gets the ids it got before.
        #expect(
            PayloadWrapping.derivedID(topic: .clsmDeclared, payload: compact)
                == UUIDv5.string(
                    namespace: UUID(uuidString: "8b0ac738-a7c2-50c1-9ac4-0bbb2dc5739c")!, name: #"clsm.declared|{"a":1,"b":[true,"é"]}"#))

        let twice = try Self.wrapping.prepare(try Self.entries("[\(Self.saintDenis), \(Self.aubervilliers)]"))
        let again = try PayloadWrapping(topic: .clsmDeclared, source: "urn:test:support", time: Timestamp("2026-10-01T00:00:00Z")!)
            .prepare(try Self.entries("\(Self.saintDenis)\n\(Self.aubervilliers)"))
        #expect(twice.map(\.envelope.id) == again.map(\.envelope.id), "another layout and another time: the same ids")
        #expect(Set(twice.map(\.envelope.id)).count == 2)
    }

    @Test("--new-id replaces the id of wrapped and structured events alike")
    func freshIDs() throws {
        let structured = try String(decoding: Fixture.bytes("docs/examples/events/01-clsm-declared-saint-denis.json"), as: UTF8.self)
        let entries = try Self.entries("[\(structured), \(Self.saintDenis)]")
        var counter = 0
        let prepared = try Self.wrapping.prepare(
            entries,
            freshID: {
                counter += 1
                return "fresh-\(counter)"
            })
        #expect(prepared.map(\.envelope.id) == ["fresh-1", "fresh-2"])
        #expect(prepared.map { $0.message.header("ce_id")?.stringValue } == ["fresh-1", "fresh-2"])
    }

    @Test("a structured CloudEvent keeps its attributes, whatever --source and --time say")
    func keepsStructuredEvents() throws {
        let file = try Fixture.bytes("docs/examples/events/01-clsm-declared-saint-denis.json")
        let prepared = try Self.wrapping.prepare(try EventFile.entries(file))
        let event = try #require(prepared.first)
        #expect(!event.wrapped)
        #expect(event.envelope.id == "3f0c1a52-6b1e-4f7e-9a51-0d1f5a7c2b01")
        #expect(event.envelope.source == "urn:clsm-tool:saint-denis")
        #expect(event.envelope.time.text == "2026-09-01T09:00:00+02:00")
        #expect(event.message.keyString == "clsm-saint-denis")
        let original = try InboundDecoder().decode(
            topic: "clsm.declared", headers: [RecordHeader(name: "content-type", string: "application/cloudevents+json")],
            value: file)
        let sent = try InboundDecoder().decode(topic: "clsm.declared", headers: event.message.headers, value: event.message.value)
        #expect(sent == original, "the same event as the file's, in binary mode")
    }

    @Test("refusals name the event, its line and the decoder's reason; the first refusal stops everything")
    func refusals() throws {
        let missingName =
            #"{"clsmId":"clsm-c","region":"11","status":"active","scale":"communal","communes":["93066"],"governance":{"copil":true,"plenaryAssembly":false,"members":[]}}"#
        let schema = try #require(Self.refusal { try Self.wrapping.prepare(try Self.entries("\(Self.saintDenis)\n\n\(missingName)\n")) })
        #expect(schema.position == EventFilePosition(index: 2, line: 3))
        #expect(schema.code == .schemaViolation)
        #expect(schema.description.hasPrefix("event 2 (line 3): (a bare clsm.declared payload) is refused: schema_violation:"))
        #expect(schema.description.contains("; name: is required"), "\(schema)")

        let sism = #"{"proposalId":"p-1"}"#
        let onWrongTopic = try #require(Self.refusal { try Self.wrapping.prepare(try Self.entries("[\(Self.saintDenis), \(sism)]")) })
        #expect(onWrongTopic.position == EventFilePosition(index: 2) && onWrongTopic.code == .schemaViolation)

        let structuredElsewhere = try String(decoding: Fixture.bytes("docs/examples/events/08-qpv-action-recorded.json"), as: UTF8.self)
        let wrongType = try #require(Self.refusal { try Self.wrapping.prepare(try Self.entries("[\(structuredElsewhere)]")) })
        #expect(wrongType.code == .unsupportedType)
        #expect(wrongType.description.contains("(a structured CloudEvent) is refused: unsupported_type"))

        let badEnvelope = try #require(Self.refusal { try Self.wrapping.prepare(try Self.entries(#"{"specversion":"1.0","id":"x"}"#)) })
        #expect(badEnvelope.code == .malformedEnvelope && badEnvelope.position == EventFilePosition(index: 1))

        let personal = Self.saintDenis.replacingOccurrences(of: "\"CLSM A\"", with: "\"CLSM A, contact jean.dupont@example.org\"")
        #expect(Self.refusal { try Self.wrapping.prepare(try Self.entries(personal)) }?.code == .personalData)

        let small = PayloadWrapping(topic: .clsmDeclared, time: Self.time, decoder: InboundDecoder(maxRecordBytes: 300))
        #expect(Self.refusal { try small.prepare(try Self.entries(Self.saintDenis)) }?.code == .tooLarge)
        #expect(small.source == "urn:clsm-hub:hub-admin")
    }
}
