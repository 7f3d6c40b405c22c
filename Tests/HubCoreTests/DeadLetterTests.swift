import Foundation
import HubTestSupport
import Testing

@testable import HubCore
@testable import HubDomain

@Suite("Dead letters (pure)")
struct DeadLetterTests {
    static let original = InboundRecord(
        topic: "clsm.declared", partition: 4, offset: 123_456_789_012, key: [0xFF, 0x00, 0x41],
        value: [0x7B, 0x00, 0xFE, 0x22, 0x0A, 0x5C] + Array("ça ne passe pas".utf8),
        headers: [
            RecordHeader(name: "ce_id", string: "e-1"),
            RecordHeader(name: "ce_source", string: "urn:test"),
            RecordHeader(name: "binary", value: [0, 255, 0xC3, 0x28]),
            RecordHeader(name: "none", value: nil),
            RecordHeader(name: "ce_id", string: "dup"),
        ],
        timestampMilliseconds: 1_700_000_000_000)

    @Test("value, key and headers kept byte for byte, the five hub_* headers added")
    func construction() throws {
        let letter = DeadLetter.make(from: Self.original, code: .schemaViolation, reason: "governance.members: required")
        #expect(letter.topic == "hub.deadletter")
        #expect(letter.partition == nil)
        #expect(letter.key == Self.original.key)
        #expect(letter.value == Self.original.value)
        #expect(Array(letter.headers.prefix(Self.original.headers.count)) == Self.original.headers)
        let added = Array(letter.headers.dropFirst(Self.original.headers.count))
        #expect(
            added == [
                RecordHeader(name: "hub_error_code", string: "schema_violation"),
                RecordHeader(name: "hub_error_message", string: "governance.members: required"),
                RecordHeader(name: "hub_original_topic", string: "clsm.declared"),
                RecordHeader(name: "hub_original_partition", string: "4"),
                RecordHeader(name: "hub_original_offset", string: "123456789012"),
            ])
    }

    @Test("an absent key stays absent; hub_* headers already there are replaced, not repeated")
    func absentKeyAndReplacedHeaders() {
        var message = Self.original
        message.key = nil
        message.headers.append(RecordHeader(name: "hub_error_code", string: "internal"))
        message.headers.append(RecordHeader(name: "hub_original_offset", string: "1"))
        let letter = DeadLetter.make(from: message, code: .tooLarge, reason: "too big")
        #expect(letter.key == nil)
        #expect(letter.headers.filter { $0.name == "hub_error_code" } == [RecordHeader(name: "hub_error_code", string: "too_large")])
        #expect(letter.headers.filter { $0.name == "hub_original_offset" }.count == 1)
        #expect(Array(letter.headers.prefix(Self.original.headers.count)) == Self.original.headers)
    }

    @Test("a rejection gives its code and its message with the violations")
    func fromRejection() {
        let rejection = EventRejection(
            code: .personalData, message: "personal data in clsm.declared",
            violations: [Violation(path: "coordinator.email", reason: "e-mail address")])
        let letter = DeadLetter.make(from: Self.original, rejection: rejection)
        #expect(letter.headers.first { $0.name == "hub_error_code" }?.stringValue == "personal_data")
        #expect(
            letter.headers.first { $0.name == "hub_error_message" }?.stringValue
                == "personal data in clsm.declared; coordinator.email: e-mail address")
    }

    @Test("a personal_data dead letter is the masked copy; any other code keeps the record byte for byte")
    func personalDataMasked() throws {
        let record = InboundRecord(
            topic: "clsm.declared", partition: 0, offset: 7, key: Array("06 12 34 56 78".utf8),
            value: Array(#"{"clsmId":"c-1","note":"écrire à jeanne@example.org","lastName":"Dupont"}"#.utf8),
            headers: [
                RecordHeader(name: "ce_id", string: "jeanne (at) example.org"), RecordHeader(name: "ce_source", string: "urn:test"),
            ],
            timestampMilliseconds: nil)
        let letter = DeadLetter.make(from: record, code: .personalData, reason: "personal data; note: contains an e-mail address (email)")
        #expect(letter.keyString == "[masqué:phone]")
        #expect(String(decoding: letter.value, as: UTF8.self) == #"{"clsmId":"c-1","lastName":"[masqué:field]","note":"[masqué:email]"}"#)
        #expect(letter.header("ce_id")?.stringValue == "[masqué:email]")
        #expect(letter.header("ce_source")?.stringValue == "urn:test")
        #expect(letter.header("hub_original_offset")?.stringValue == "7")
        #expect(DeadLetter.kept(record, code: .personalData).value == letter.value)
        let other = DeadLetter.make(from: record, code: .schemaViolation, reason: "x")
        #expect(other.key == record.key && other.value == record.value)
        #expect(Array(other.headers.prefix(record.headers.count)) == record.headers)
    }

    @Test("a long reason is cut under 4 KiB at a character boundary")
    func longReason() throws {
        let reason = String(repeating: "é", count: 5000)
        let letter = DeadLetter.make(from: Self.original, code: .internal, reason: reason)
        let header = try #require(letter.headers.first { $0.name == "hub_error_message" })
        let text = try #require(header.stringValue)
        #expect(header.value!.count <= DeadLetter.maximumMessageBytes)
        #expect(text.hasSuffix("…"))
        #expect(text.dropLast().allSatisfy { $0 == "é" })
    }

    @Test("the id is a deterministic UUID v5 of topic|partition|offset")
    func identity() {
        let id = DeadLetter.id(for: Self.original)
        #expect(id == DeadLetter.id(topic: "clsm.declared", partition: 4, offset: 123_456_789_012))
        #expect(id == UUIDv5.make(namespace: DeadLetter.idNamespace, name: "clsm.declared|4|123456789012"))
        #expect(id != DeadLetter.id(topic: "clsm.declared", partition: 4, offset: 123_456_789_013))
        #expect(id.uuidString.lowercased().dropFirst(14).first == "5")  // version 5
        let record = DeadLetter.outboxRecord(from: Self.original, code: .internal, reason: "x")
        #expect(record.notificationId == id)
        #expect(record.message == DeadLetter.make(from: Self.original, code: .internal, reason: "x"))
    }
}

@Suite("Outbox header encoding (pure)")
struct OutboxHeadersTests {
    @Test("any header bytes, empty and absent values, duplicates and order round-trip")
    func roundTrip() throws {
        let headers = [
            RecordHeader(name: "ce_id", string: "a"),
            RecordHeader(name: "bytes", value: Array(0...255)),
            RecordHeader(name: "empty", value: []),
            RecordHeader(name: "none", value: nil),
            RecordHeader(name: "ce_id", string: "b « é » \"'\\"),
        ]
        let json = OutboxHeaders.encode(headers)
        #expect(try OutboxHeaders.decode(json) == headers)
        // The canonical JSON of the stored form, byte for byte (a name that needs escapes too).
        let escaped = [RecordHeader(name: "na\"me\\\n", string: "v")] + headers
        let canonical = JSONValue.array(
            escaped.map { header in
                .object(["name": .string(header.name), "value": header.value.map { .string(Data($0).base64EncodedString()) } ?? .null])
            }
        ).canonicalString()
        #expect(OutboxHeaders.encode(escaped) == canonical)
        #expect(json.contains(#""value":null"#))
        #expect(try OutboxHeaders.decode(OutboxHeaders.encode([])) == [])
        // As PostgreSQL prints jsonb: other key order and spacing.
        #expect(try OutboxHeaders.decode(#"[{"value": "AP8=", "name": "x"}]"#) == [RecordHeader(name: "x", value: [0, 255])])
        #expect(throws: (any Error).self) { try OutboxHeaders.decode(#"[{"name": "x", "value": "***"}]"#) }
    }

    /// What PostgreSQL prints for the stored headers (jsonb: "name" first, ": " and ", ").
    static func printedAsJsonb(_ headers: [RecordHeader]) -> String {
        "["
            + headers.map { header in
                var name: [UInt8] = []
                JSONValue.writeString(header.name, into: &name)
                let value = header.value.map { "\"" + Data($0).base64EncodedString() + "\"" } ?? "null"
                return #"{"name": "# + String(decoding: name, as: UTF8.self) + #", "value": "# + value + "}"
            }.joined(separator: ", ") + "]"
    }

    @Test("the fast path reads what PostgreSQL prints exactly as the parser does, and leaves anything else to it")
    func fastPathAgreesWithParser() throws {
        var random = SystemRandomNumberGenerator()
        let names = ["ce_id", "ce_type", "content-type", "é", "na\"me", "x\\y", "tab\tname", ""]
        for _ in 0..<2_000 {
            let headers = (0..<Int.random(in: 0...6, using: &random)).map { _ -> RecordHeader in
                let value: [UInt8]? =
                    Bool.random(using: &random)
                    ? (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                    : nil
                return RecordHeader(name: names.randomElement(using: &random)!, value: value)
            }
            let printed = Self.printedAsJsonb(headers)
            let fast = printed.utf8.withContiguousStorageIfAvailable { bytes in
                var scanner = StoredHeadersScanner(bytes: bytes)
                return scanner.scan()
            }!
            #expect(try OutboxHeaders.decodeParsing(printed) == headers)
            #expect(try OutboxHeaders.decode(printed) == headers)
            // Names that JSON escapes are left to the parser; all others are read by the fast path.
            let escaped = headers.contains { $0.name.utf8.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 } }
            #expect(fast == (escaped ? nil : headers))
        }
        // Other spacing or order, a bad base64, trailing bytes: not the fast path's to judge.
        for text in [
            #"[{"value": "AP8=", "name": "x"}]"#, #"[{"name":"x","value":"AP8="}]"#,
            #"[{"name": "x", "value": "***"}]"#, #"[{"name": "x", "value": "AP8"}]"#,
            #"[{"name": "x", "value": null}] "#, #"[{"name": "x", "value": "A=A="}]"#, "[", "",
        ] {
            let fast = text.utf8.withContiguousStorageIfAvailable { bytes in
                var scanner = StoredHeadersScanner(bytes: bytes)
                return scanner.scan()
            }!
            #expect(fast == nil, "\(text)")
        }
        #expect(try OutboxHeaders.decode(#"[{"name":"x","value":"AP8="}]"#) == [RecordHeader(name: "x", value: [0, 255])])
    }

    @Test("Base64 encodes and decodes as Foundation does for every length, and refuses what is not base64")
    func base64() {
        for length in 0..<64 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let text = Data(bytes).base64EncodedString()
            #expect(text.utf8.withContiguousStorageIfAvailable(Base64.decode) == bytes)
            var encoded: [UInt8] = [UInt8(ascii: "x")]
            Base64.encode(bytes, into: &encoded)
            #expect(encoded == [UInt8(ascii: "x")] + Array(text.utf8))
        }
        for text in ["A", "AB", "ABC", "A===", "=AAA", "AA=A", "AA A", "AAAA=AAA", "AA-_"] {
            #expect(text.utf8.withContiguousStorageIfAvailable(Base64.decode)! == nil, "\(text)")
        }
    }
}
