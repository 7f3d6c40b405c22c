import Foundation
import HubDomain

// The classes that break the headers, the key or the CloudEvents attributes.
extension HostileMutator {

    static let requiredCeHeaders = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"]

    mutating func missingCeHeader() -> String {
        if random.chance(0.1) {
            message.headers = []
            return "no header at all"
        }
        let header = random.pick(Self.requiredCeHeaders)
        message.headers.removeAll { $0.name == header }
        return "no \(header)"
    }

    mutating func duplicatedCeHeader() -> String {
        let header = random.pick(Self.requiredCeHeaders)
        let original = headerValue(header) ?? []
        let same = random.chance(0.5)
        let second = same ? original : original + Array("-autre".utf8)
        message.headers.append(RecordHeader(name: header, value: second))
        return "\(header) twice (\(same ? "same value" : "another value"))"
    }

    static let hostileTimes = [
        "2026-12-03T10:00:00+20:00", "2026-12-03T10:00:00-20:00", "2026-12-03T10:00:00." + String(repeating: "9", count: 300) + "+01:00",
        "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:00:00-02:00", "9999-12-31T23:59:59-23:59",
        "0000-01-01T00:00:00Z", "2026-02-30T10:00:00+01:00", "2026-12-03T24:00:00+01:00", "2026-12-03T10:00:60+01:00",
        "2026-12-03T10:00:00+01:60", "2026-12-03T10:00:00", "+2026-12-03T10:00:00Z",
    ]

    mutating func hostileCeTime() -> String {
        let time = random.pick(Self.hostileTimes)
        setHeader("ce_time", Array(time.utf8))
        return "ce_time \(time.count > 60 ? String(time.prefix(24)) + "…(\(time.count) chars)" : time)"
    }

    mutating func overlongIdentity() -> String {
        let header = random.pick(["ce_id", "ce_source"])
        // Random letters: a btree entry of the inbox key cannot be compressed below its limit.
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var value = headerValue(header) ?? []
        while value.count < 10_240 { value.append(random.pick(letters)) }
        setHeader(header, value)
        return "\(header) of \(value.count) bytes"
    }

    mutating func binaryHeaders() -> String {
        switch random.below(4) {
        case 0:
            let name = random.pick(["ce_\u{1}id", "\u{7F}\u{1B}[31m", "ce_é\u{FFFF}", "\u{FFFD}", "ce_ ", "ce_ID", "ce_"])
            message.headers.append(RecordHeader(name: name, value: bytes(random.int(0...256))))
            return
                "header named \(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "U+\(String($0.value, radix: 16))" }.joined())"
        case 1:
            let header = random.pick(Self.requiredCeHeaders + ["content-type"])
            setHeader(header, bytes(random.int(0...64)))
            return "header \(header) of random bytes"
        case 2:
            for index in 0..<100 { message.headers.append(RecordHeader(name: "x-extra-\(index)", value: bytes(8))) }
            return "100 more headers"
        default:
            let header = random.pick(Self.requiredCeHeaders)
            message.headers.removeAll { $0.name == header }
            message.headers.append(RecordHeader(name: header, value: nil))
            return "header \(header) without a value"
        }
    }

    mutating func contentTypeGarbage() -> String {
        let values: [(String, [UInt8])] = [
            ("text/plain", Array("text/plain".utf8)), ("empty", []),
            ("application/json; charset=FF", Array("application/json; charset=".utf8) + [0xFF]),
            ("application/json NUL", Array("application/json".utf8) + [0]), ("2,000 bytes of garbage", bytes(2000)),
            ("application/cloudevents+json on a binary-mode record", Array("application/cloudevents+json".utf8)),
            ("application/xml", Array("application/xml".utf8)), (";;;===", Array(";;;===".utf8)),
        ]
        let (name, value) = random.pick(values)
        setHeader("content-type", value)
        return "content-type \(name)"
    }

    /// Structured mode (`application/cloudevents+json`): the attributes in the value, the
    /// data as `data_base64` that is broken in one way or another.
    mutating func structuredBadBase64() -> String {
        var object = structuredAttributes
        let valid = Base64.encoded(event.cloudEvent.data)
        let variants: [(String, JSONValue)] = [
            ("not base64", .string("!!! pas du base64 ???")),
            ("base64 of random bytes", .string(Base64.encoded(bytes(random.int(1...512))))),
            ("base64 of invalid UTF-8 JSON", .string(Base64.encoded(Array(#"{"title":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)))),
            ("base64 of a wrong length", .string(valid.filter { $0 != "=" } + "A")),
            ("base64 with a NUL", .string(String(valid.prefix(8)) + "\u{0}" + String(valid.dropFirst(8)))),
            ("data_base64 a number", .integer(12345)),
            ("data and data_base64 both", .string(valid)),
        ]
        let (name, value) = random.pick(variants)
        object["data_base64"] = value
        if name == "data and data_base64 both" { object["data"] = .object(payload) }
        message.value = JSONValue.object(object).canonicalBytes()
        message.headers = [RecordHeader(name: "content-type", string: "application/cloudevents+json")]
        return "structured, data_base64 \(name)"
    }

    mutating func structuredHostileAttributes() -> String {
        var object = structuredAttributes
        object["data"] = .object(payload)
        let id = event.cloudEvent.id
        let name: String
        // A raw JSON text, spliced in place of the attribute's value: what JSONValue cannot
        // hold (a lone surrogate, a member given twice) stays as written.
        var raw: (attribute: String, text: String)?
        switch random.below(10) {
        case 0:
            let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
            object["id"] = .string(id + String(decoding: (0..<10_240).map { _ in random.pick(letters) }, as: UTF8.self))
            name = "id of 10 KB"
        case 1:
            object["id"] = .string(id + "\u{0}")
            name = "id with \\u0000"
        case 2:
            raw = ("id", #""\#(id)\ud800""#)
            name = "id with \\ud800"
        case 3:
            object["source"] = .string(event.cloudEvent.source + "\u{0}")
            name = "source with \\u0000"
        case 4:
            object["time"] = .string("9999-12-31T23:00:00-02:00")
            name = "time 9999-12-31T23:00:00-02:00"
        case 5:
            object["time"] = .string("0001-01-01T00:00:00+01:00")
            name = "time 0001-01-01T00:00:00+01:00"
        case 6:
            object["specversion"] = .string("1.0\u{0}")
            name = "specversion 1.0\\u0000"
        case 7:
            object["type"] = .integer(42)
            name = "type a number"
        case 8:
            raw = ("id", #""\#(id)","id":"\#(id)-bis""#)
            name = "id twice"
        default:
            raw = ("traceparent", String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
            name = "an extension 100 levels deep"
        }
        if let raw {
            object[raw.attribute] = .string(Self.marker)
            message.value = splicing(
                JSONValue.object(object).canonicalBytes(), marker: JSONValue.string(Self.marker).canonicalBytes(),
                with: Array(raw.text.utf8))
        } else {
            message.value = JSONValue.object(object).canonicalBytes()
        }
        message.headers = [RecordHeader(name: "content-type", string: "application/cloudevents+json")]
        return "structured, \(name)"
    }

    /// The valid record's CloudEvents attributes as a structured-mode object, without data.
    var structuredAttributes: [String: JSONValue] {
        let cloudEvent = event.cloudEvent
        return [
            "specversion": .string(cloudEvent.specversion), "id": .string(cloudEvent.id), "source": .string(cloudEvent.source),
            "type": .string(cloudEvent.type), "time": .string(cloudEvent.time.text), "datacontenttype": .string("application/json"),
        ]
    }
}
