import HubTestSupport
import Testing

@testable import HubDomain

/// One test (at least) per dead-letter code, through the same entry point the workers use.
@Suite("Decoding pipeline and dead-letter codes")
struct DecodingPipelineTests {
    static let validClsm: JSONValue = [
        "clsmId": "clsm-1", "name": "CLSM test", "region": "11", "status": "active", "scale": "communal",
        "communes": ["93066"], "governance": ["copil": true, "plenaryAssembly": true, "members": ["elected", "users"]],
    ]

    static func headers(type: String = "clsm.declared.v1", id: String = "e-1") -> [RecordHeader] {
        [
            RecordHeader(name: "ce_specversion", string: "1.0"), RecordHeader(name: "ce_id", string: id),
            RecordHeader(name: "ce_source", string: "urn:test"), RecordHeader(name: "ce_type", string: type),
            RecordHeader(name: "ce_time", string: "2026-09-01T10:00:00+02:00"),
            RecordHeader(name: "content-type", string: "application/json"),
        ]
    }

    static func decode(
        _ data: JSONValue, topic: String = "clsm.declared", type: String = "clsm.declared.v1"
    ) -> Result<DecodedEvent, EventRejection> {
        Result { () throws(EventRejection) in
            try InboundDecoder().decode(topic: topic, headers: headers(type: type), value: data.canonicalBytes())
        }
    }

    static func rejected(_ data: JSONValue, topic: String = "clsm.declared", type: String = "clsm.declared.v1") throws -> EventRejection {
        switch decode(data, topic: topic, type: type) {
        case .success: throw TestFailure("expected a rejection")
        case .failure(let error): return error
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test("dead-letter codes have the contract's raw values")
    func codes() {
        #expect(
            DeadLetterCode.allCases.map(\.rawValue) == [
                "malformed_envelope", "unsupported_type", "schema_violation", "personal_data", "unknown_reference", "unauthorized",
                "too_large",
                "internal",
            ])
    }

    @Test("a valid record decodes to a typed event with its identity and time")
    func valid() throws {
        let event = try Self.decode(Self.validClsm).get()
        #expect(event.identity == EventIdentity(source: "urn:test", id: "e-1"))
        #expect(event.time.text == "2026-09-01T10:00:00+02:00")
        guard case .clsmDeclared(let payload) = event.event else {
            Issue.record("wrong type")
            return
        }
        #expect(payload.communes == ["93066"])
        #expect(payload.governance.members == [.elected, .users])
    }

    @Test("too_large: the record is measured before anything else")
    func tooLarge() throws {
        let decoder = InboundDecoder(maxRecordBytes: 300)
        let big = Array(repeating: UInt8(ascii: " "), count: 400)
        let error = try #require(rejection { try decoder.decode(topic: "clsm.declared", headers: [RecordHeader](), value: big) })
        #expect(error.code == .tooLarge)
        #expect(error.message.contains("above the limit of 300 bytes"))
        #expect(InboundDecoder().maxRecordBytes == 256 * 1024)
    }

    @Test("malformed_envelope: no CloudEvents headers")
    func malformed() throws {
        let error = try #require(
            rejection {
                try InboundDecoder().decode(topic: "clsm.declared", headers: [RecordHeader](), value: Self.validClsm.canonicalBytes())
            })
        #expect(error.code == .malformedEnvelope)
        #expect(error.violations.count == 5)
    }

    @Test(
        "unsupported_type: unknown type, type of another topic, non-JSON content",
        arguments: [
            ("clsm.declared", "clsm.declared.v2"), ("clsm.declared", "sism.event.proposed.v1"),
            ("hub.notifications", "hub.notification.v1"),
        ])
    func unsupported(topic: String, type: String) throws {
        #expect(try Self.rejected(Self.validClsm, topic: topic, type: type).code == .unsupportedType)
    }

    @Test("unsupported_type: data content type that is not JSON")
    func nonJSON() throws {
        var headers = Self.headers()
        headers[5] = RecordHeader(name: "content-type", string: "application/xml")
        let error = try #require(
            rejection { try InboundDecoder().decode(topic: "clsm.declared", headers: headers, value: Array("<x/>".utf8)) })
        #expect(error.code == .unsupportedType)
    }

    @Test("schema_violation: data that is not JSON")
    func notJSON() throws {
        let error = try #require(
            rejection { try InboundDecoder().decode(topic: "clsm.declared", headers: Self.headers(), value: Array("{".utf8)) })
        #expect(error.code == .schemaViolation)
    }

    @Test("personal_data is checked before the schema")
    func personalBeforeSchema() throws {
        var data = Self.validClsm.objectValue!
        data["contact"] = "coordination.clsm@ville-exemple.fr"
        let error = try Self.rejected(.object(data))
        #expect(error.code == .personalData)
        #expect(error.violations == [Violation(path: "contact", reason: "contains an e-mail address (email)")])
    }

    @Test("schema_violation: every violation is listed with its path")
    func everyViolation() throws {
        var data = Self.validClsm.objectValue!
        data["status"] = "dormant"
        data["communes"] = ["93066", "ABCDE", "93066"]
        data["governance"] = ["copil": "yes", "plenaryAssembly": true, "members": ["elected", "mayor"]]
        data["colour"] = "blue"
        data["coordinator"] = ["fte": 1.5, "employer": "Ville"]
        data.removeValue(forKey: "name")
        let error = try Self.rejected(.object(data))
        #expect(error.code == .schemaViolation)
        #expect(
            error.violations.map(\.path) == [
                "colour", "communes[1]", "communes[2]", "coordinator.fte", "governance.copil", "governance.members[1]", "name", "status",
            ])
        #expect(error.violations.first { $0.path == "colour" }?.reason == "unknown field")
        #expect(error.violations.first { $0.path == "name" }?.reason == "is required")
    }

    /// Table: one mutation of a valid payload -> the paths reported.
    @Test(
        "schema_violation table",
        arguments: [
            ("sism.event.proposed", #"{"endsAt":"2026-10-07T13:00:00+02:00"}"#, ["endsAt"]),
            ("sism.event.proposed", #"{"startsAt":"2026-10-07T14:00:00"}"#, ["startsAt"]),
            ("sism.event.proposed", #"{"format":"concert"}"#, ["format"]),
            ("sism.event.proposed", #"{"edition":"2026"}"#, ["edition"]),
            ("sism.event.proposed", #"{"qpv":"Q123"}"#, ["qpv"]),
            ("sism.event.proposed", #"{"themes":["sism","unknownTheme"]}"#, ["themes[1]"]),
            ("ptsm.diagnostic.published", #"{"version":0}"#, ["version"]),
            ("ptsm.diagnostic.published", #"{"priorities":[]}"#, ["priorities"]),
            ("ptsm.diagnostic.published", #"{"departements":["930"]}"#, ["departements[0]"]),
            ("ptsm.diagnostic.published", #"{"documentUrl":"ftp://x"}"#, ["documentUrl"]),
            ("qpv.action.recorded", #"{"participants":-1}"#, ["participants"]),
            ("qpv.action.recorded", #"{"participants":2.5}"#, ["participants"]),
            ("qpv.action.recorded", #"{"recordedBy":{"kind":"mairie","id":"x","extra":1}}"#, ["recordedBy.extra", "recordedBy.kind"]),
            ("qpv.action.recorded", #"{"date":"2026-13-01"}"#, ["date"]),
            ("clsm.declared", #"{"communes":[]}"#, ["communes"]),
            ("clsm.declared", #"{"coordinator":{"fte":-0.1}}"#, ["coordinator.employer", "coordinator.fte"]),
            ("clsm.declared", #"{"population":"many"}"#, ["population"]),
            ("clsm.declared", #"{"clsmId":"has space"}"#, ["clsmId"]),
        ])
    func schemaTable(topic: String, patch: String, paths: [String]) throws {
        let base = Self.validPayloads[topic]!
        var object = base.objectValue!
        for (key, value) in try JSONParser.parse(patch).objectValue! { object[key] = value }
        let error = try Self.rejected(.object(object), topic: topic, type: topic + ".v1")
        #expect(error.code == .schemaViolation)
        #expect(error.violations.map(\.path) == paths)
    }

    @Test("strings and identifiers: the checks on UTF-8 bytes decide as those on characters and scalars")
    func stringChecksOnBytes() {
        for byte in UInt8(0)..<0x80 {
            #expect(String.isASCIIWhitespace(byte) == Unicode.Scalar(byte).properties.isWhitespace, "\(byte)")
        }
        // What the checks were, on characters and scalars.
        func expected(_ text: String, minLength: Int, maxLength: Int, identifier: Bool) -> Bool {
            text.trimmingWhitespace().count >= minLength && text.count <= maxLength
                && !text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" }
                && !(identifier && text.unicodeScalars.contains { $0.properties.isWhitespace || $0 == "|" })
        }
        let texts = [
            "", " ", "\u{00A0}", "\u{2028}x", " a", "a ", "ab", "a b", "a|b", "a\tb", "a\nb", "a\u{0001}", "\u{001F}",
            "a\u{00A0}b", "a\u{3000}b", "ééé", "éééé", "e\u{0301}e\u{0301}e\u{0301}", "😀😀😀", "🇫🇷🇫🇷🇫🇷🇫🇷", "abcd", "abcdef",
        ]
        for text in texts {
            for (minLength, maxLength) in [(1, 3), (2, 3), (1, 100)] {
                var violations: [Violation] = []
                let decoded = Strict.string(minLength: minLength, maxLength: maxLength)(.string(text), .root, &violations)
                #expect(
                    (decoded != nil) == expected(text, minLength: minLength, maxLength: maxLength, identifier: false),
                    "\(text.debugDescription) \(minLength)...\(maxLength)")
            }
            var violations: [Violation] = []
            #expect(
                (Strict.identifier(.string(text), .root, &violations) != nil)
                    == expected(text, minLength: 1, maxLength: 100, identifier: true), "\(text.debugDescription)")
        }
    }

    static let validPayloads: [String: JSONValue] = [
        "clsm.declared": validClsm,
        "sism.event.proposed": [
            "proposalId": "p-1", "clsmId": "clsm-1", "edition": 2026, "title": "Conférence", "format": "conference",
            "startsAt": "2026-10-07T14:00:00+02:00", "endsAt": "2026-10-07T16:00:00+02:00", "commune": "93066",
            "venue": "Salle", "audience": "grand public",
        ],
        "ptsm.diagnostic.published": [
            "ptsmId": "ptsm-93", "name": "PTSM 93", "region": "11", "departements": ["93"], "version": 1,
            "publishedOn": "2026-09-10", "priorities": ["housing"],
        ],
        "qpv.action.recorded": [
            "actionId": "a-1", "qpv": "QN09301M", "recordedBy": ["kind": "asv", "id": "asv-1"], "type": "awareness",
            "title": "Action", "date": "2026-10-10", "participants": 12,
        ],
    ]

    @Test("every valid base payload of the table decodes", arguments: Array(validPayloads.keys).sorted())
    func validBases(topic: String) throws {
        _ = try Self.decode(Self.validPayloads[topic]!, topic: topic, type: topic + ".v1").get()
    }

    @Test("optional fields may be null")
    func nulls() throws {
        var object = Self.validPayloads["sism.event.proposed"]!.objectValue!
        object["qpv"] = .null
        object["cancelled"] = .null
        _ = try Self.decode(.object(object), topic: "sism.event.proposed", type: "sism.event.proposed.v1").get()
    }

    @Test("unknown_reference comes from the engine, against the state")
    func unknownReference() throws {
        let event = try Self.decode(Self.validClsm).get()
        let error = try #require(rejection { try RulesEngine().decide(event, in: HubState()) })
        #expect(error.code == .unknownReference)
        #expect(error.violations.map(\.path) == ["communes[0]", "region"])
    }

    @Test("the header message stays bounded and carries the violations")
    func headerMessage() {
        let many = (0..<1000).map { Violation(path: "communes[\($0)]", reason: "unknown commune") }
        let rejection = EventRejection(code: .unknownReference, message: "m", violations: many)
        #expect(rejection.headerMessage().utf8.count <= 4096 + 10)
        #expect(rejection.headerMessage().hasPrefix("m; communes[0]: unknown commune"))
    }

    /// The workers store the received payload's canonical JSON (null members dropped) in the
    /// event log instead of encoding the decoded payload again: both must be the same bytes.
    @Test("the event log's payload bytes are those of the decoded payload, however the data was written")
    func eventLogPayloadIsTheDecodedPayloadsEncoding() throws {
        for file in try Fixture.exampleEventFiles() {
            let value = try Fixture.bytes("docs/examples/events/" + file)
            let headers = [RecordHeader(name: "content-type", string: "application/cloudevents+json")]
            let envelope = try CloudEventRecordCodec.decode(headers: headers, value: value)
            let decoded = try InboundDecoder().decodeForEventLog(
                topic: Fixture.topic(ofType: envelope.type), headers: headers, value: value)
            #expect(decoded.canonicalData == decoded.event.event.canonicalJSON(), "\(file)")
        }
        // Written loosely: spaces, keys in any order, explicit nulls, an integer as 2026.0,
        // escaped slashes and letters.
        let loose = """
            { "themes" : [ "publicAwareness" ], "qpv": null, "venue": "Salle \\/ \\u00c9toile",
              "endsAt":"2026-10-07T17:00:00+02:00", "edition": 2026.0, "commune": "93066",
              "startsAt": "2026-10-07T14:00:00+02:00", "format": "workshop", "clsmId": "clsm-1",
              "proposalId": "p-1", "title": "Portes ouvertes \\"GEM\\"", "audience": "tout public" }
            """
        let decoded = try InboundDecoder().decodeForEventLog(
            topic: "sism.event.proposed", headers: Self.headers(type: "sism.event.proposed.v1"), value: Array(loose.utf8))
        #expect(decoded.canonicalData == decoded.event.event.canonicalJSON())
        #expect(String(decoding: decoded.canonicalData, as: UTF8.self).contains("\"edition\":2026,"))
        #expect(!String(decoding: decoded.canonicalData, as: UTF8.self).contains("null"))
    }
}
