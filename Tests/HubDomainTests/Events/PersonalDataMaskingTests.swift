import HubTestSupport
import Testing

@testable import HubDomain

/// The decoder reads every string of a record (payload values and names, key, `ce_id`,
/// `ce_source`), and the masked copy a `personal_data` dead letter keeps holds none of them.
@Suite("Personal data: every string of a record, and the masked copy")
struct PersonalDataMaskingTests {
    /// The offending strings of `record(...)`: none may survive masking or show in a rejection.
    static let secrets = [
        "jeanne.martin@example.org", "06 12 34 56 78", "1 85 05 78 006 084 91", "FR76 3000 6000 0112 3456 7890 189",
        "née le 3 mars 1985", "Dupont", "+33 (0)1 23 45 67 89", "jeanne (at) example.org", "0612345678",
    ]

    static func headers(id: String = "e-1", source: String = "urn:test", structured: Bool = false) -> [RecordHeader] {
        if structured { return [RecordHeader(name: "content-type", string: CloudEventRecordCodec.structuredContentType)] }
        return [
            RecordHeader(name: "ce_specversion", string: "1.0"), RecordHeader(name: "ce_id", string: id),
            RecordHeader(name: "ce_source", string: source), RecordHeader(name: "ce_type", string: "clsm.declared.v1"),
            RecordHeader(name: "ce_time", string: "2026-09-01T10:00:00+02:00"),
            RecordHeader(name: "content-type", string: "application/json"),
        ]
    }

    static let payload: JSONValue = [
        "clsmId": "clsm-1", "name": "CLSM de test",
        "contact": ["note": "écrire à jeanne.martin@example.org", "06 12 34 56 78": "ligne directe"],
        "lastName": "Dupont",
        "members": [["bank": "FR76 3000 6000 0112 3456 7890 189"], "née le 3 mars 1985", "NIR 1 85 05 78 006 084 91"],
    ]

    static func rejection(key: String? = nil, headers: [RecordHeader], value: [UInt8]) -> EventRejection? {
        do {
            _ = try InboundDecoder().decode(topic: "clsm.declared", key: key.map { Array($0.utf8) }, headers: headers, value: value)
            return nil
        } catch {
            return error
        }
    }

    static func assertHoldsNone(_ bytes: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = String(decoding: bytes, as: UTF8.self)
        for secret in secrets {
            #expect(!text.contains(secret), "\(what) holds \(secret): \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test("payload values, nested values and member names: one rejection naming paths and kinds, never a value")
    func payload() throws {
        let rejection = try #require(Self.rejection(headers: Self.headers(), value: Self.payload.canonicalBytes()))
        #expect(rejection.code == .personalData)
        #expect(
            rejection.violations.map(\.description) == [
                "contact.[masqué:phone]: field name contains a phone number (phone)",
                "contact.note: contains an e-mail address (email)",
                "lastName: field name designates personal data (field)",
                "members[0].bank: contains a bank account number (iban)",
                "members[1]: contains a date of birth (birth-date)",
                "members[2]: contains a social security number (nir)",
            ])
        Self.assertHoldsNone(Array(rejection.headerMessage().utf8), "the message")
    }

    @Test("the key, ce_id and ce_source are read, in binary and structured mode")
    func envelope() throws {
        let clean: JSONValue = ["clsmId": "clsm-1"]
        let binary = try #require(
            Self.rejection(
                key: "0612345678", headers: Self.headers(id: "jeanne (at) example.org", source: "urn:tool:+33 (0)1 23 45 67 89"),
                value: clean.canonicalBytes()))
        #expect(binary.code == .personalData)
        #expect(binary.violations.map(\.path) == ["header:ce_id", "header:ce_source", "key"])
        Self.assertHoldsNone(Array(binary.headerMessage().utf8), "the message")
        #expect(binary.message.contains("[masqué:email]") && binary.message.contains("[masqué:phone]"))

        let event: JSONValue = [
            "specversion": "1.0", "id": "jeanne.martin@example.org", "source": "urn:test", "type": "clsm.declared.v1",
            "time": "2026-09-01T10:00:00+02:00", "data": clean,
        ]
        let structured = try #require(Self.rejection(headers: Self.headers(structured: true), value: event.canonicalBytes()))
        #expect(structured.code == .personalData)
        #expect(structured.violations.map(\.path) == ["envelope:id"])
        Self.assertHoldsNone(Array(structured.headerMessage().utf8), "the message")
    }

    @Test("the masked copy keeps places and kinds, and holds no personal data")
    func masking() throws {
        let headers = Self.headers(id: "jeanne (at) example.org", source: "urn:tool:+33 (0)1 23 45 67 89")
        let masked = PersonalDataMasking.maskedRecord(
            key: Array("0612345678".utf8), headers: headers, value: Self.payload.canonicalBytes())
        #expect(masked.key == Array("[masqué:phone]".utf8))
        #expect(masked.headers.map(\.name) == headers.map(\.name))
        #expect(masked.headers.first { $0.name == "ce_id" }?.stringValue == "[masqué:email]")
        #expect(masked.headers.first { $0.name == "ce_source" }?.stringValue == "[masqué:phone]")
        #expect(masked.headers.first { $0.name == "ce_type" }?.stringValue == "clsm.declared.v1")
        let value = try JSONParser.parse(masked.value)
        #expect(
            value == [
                "clsmId": "clsm-1", "name": "CLSM de test",
                "contact": ["note": "[masqué:email]", "[masqué:phone]": "ligne directe"],
                "lastName": "[masqué:field]",
                "members": [["bank": "[masqué:iban]"], "[masqué:birth-date]", "[masqué:nir]"],
            ])
        for bytes in [masked.key ?? [], masked.value] + masked.headers.map({ Array($0.name.utf8) + ($0.value ?? []) }) {
            Self.assertHoldsNone(bytes, "the masked record")
        }
        // Masking again changes nothing; the guard finds nothing in the masked value.
        let again = PersonalDataMasking.maskedRecord(key: masked.key, headers: masked.headers, value: masked.value)
        #expect(again.key == masked.key && again.headers == masked.headers && again.value == masked.value)
        #expect(PersonalDataGuard().findings(in: value).map(\.reason) == ["field name designates personal data (field)"])
    }

    @Test("structured mode: attributes, data and data_base64 masked; a value that is not JSON withheld")
    func structuredAndUnreadable() throws {
        let event: JSONValue = [
            "specversion": "1.0", "id": "jeanne.martin@example.org", "source": "urn:test", "type": "clsm.declared.v1",
            "time": "2026-09-01T10:00:00+02:00", "data_base64": .string(Base64.encoded(Self.payload.canonicalBytes())),
        ]
        let masked = PersonalDataMasking.maskedRecord(key: nil, headers: Self.headers(structured: true), value: event.canonicalBytes())
        let value = try JSONParser.parse(masked.value)
        #expect(value["id"] == "[masqué:email]")
        #expect(value["time"] == "2026-09-01T10:00:00+02:00")
        let data = try JSONParser.parse(try #require(value["data_base64"]?.stringValue.flatMap(Base64.decode)))
        #expect(data["lastName"] == "[masqué:field]")
        Self.assertHoldsNone(Array(data.canonicalBytes()), "data_base64")

        let notJSON = PersonalDataMasking.maskedRecord(
            key: [0xFF, 0x06], headers: [RecordHeader(name: "x", value: [0xC3])], value: Array("06 12 34 56 78 {".utf8))
        #expect(notJSON.value == PersonalDataMasking.unreadableValue)
        #expect(try JSONParser.parse(notJSON.value)["hub_masked"] != nil)
        #expect(notJSON.key == Array(PersonalDataMasking.unreadable.utf8))
        #expect(notJSON.headers == [RecordHeader(name: "x", string: PersonalDataMasking.unreadable)])
    }

    @Test("two member names masked alike stay two members")
    func collidingNames() throws {
        let masked = PersonalDataMasking.masked(["06 12 34 56 78": 1, "07 12 34 56 78": 2, "[masqué:phone]#2": 3])
        #expect(masked.objectValue?.count == 3)
    }
}
