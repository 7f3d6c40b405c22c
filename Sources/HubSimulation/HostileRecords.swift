import Foundation
import HubDomain

/// What makes a hostile record hostile: one class per record, so that a run can say which
/// kind of input ended where (issue 15: hostile input never stops the hub).
///
/// Every class starts from a valid synthetic record (its topic, key, headers and value) and
/// breaks one thing. The classes follow the issue's list; each record's `detail` says which
/// variant of its class it is (which field, which header, which bytes).
public enum HostileClass: String, CaseIterable, Sendable, Hashable, Comparable {
    /// The value replaced by random bytes (sometimes none at all).
    case randomBytes = "random-bytes"
    /// A few bytes of the value flipped.
    case byteFlips = "byte-flips"
    /// A payload field given a JSON type its schema does not allow.
    case wrongTypes = "wrong-types"
    /// Arrays or objects nested beyond the 64 levels strict JSON allows, up to 100,000.
    case deepNesting = "deep-nesting"
    /// Numbers at the edges of Double and Int64: 1e400, 30-digit integers, -0, 1e-400, 2^63.
    case hugeNumbers = "huge-numbers"
    /// Bytes that are not UTF-8 inside a JSON string of the value.
    case invalidUTF8Value = "invalid-utf8-value"
    /// Bytes that are not UTF-8 in a header value (`ce_*`, content-type).
    case invalidUTF8Header = "invalid-utf8-header"
    /// An unpaired UTF-16 surrogate escaped in a JSON string or key (`\ud800`).
    case loneSurrogate = "lone-surrogate"
    /// NUL in the value: raw or as `\u0000`, in a string or in a key.
    case nulInJSON = "nul-in-json"
    /// NUL in a header value (`ce_source`, `ce_subject`, an extension, `ce_specversion: 1.0\0`).
    case nulInHeaderValue = "nul-in-header-value"
    /// NUL in the Kafka key.
    case nulInKafkaKey = "nul-in-kafka-key"
    /// NUL in `ce_id`, part of the identity the inbox keys on.
    case nulInCeId = "nul-in-ce-id"
    /// A payload member given twice.
    case duplicateKeys = "duplicate-keys"
    /// A required `ce_` header left out (or every header).
    case missingCeHeader = "missing-ce-header"
    /// A `ce_` header given twice (the same value, or another one).
    case duplicatedCeHeader = "duplicated-ce-header"
    /// `ce_time` out of bounds: offset +20:00, a 300-digit fraction, year 0001,
    /// 9999-12-31T23:00:00-02:00 (year 10000 in UTC).
    case hostileCeTime = "hostile-ce-time"
    /// `ce_id` or `ce_source` of 10 KB (an inbox key beyond what a btree entry holds).
    case overlongIdentity = "overlong-identity"
    /// Header names and values of arbitrary bytes, or more headers than allowed.
    case binaryHeaders = "binary-headers"
    /// A content-type that is not JSON, not text, or not even UTF-8.
    case contentTypeGarbage = "content-type-garbage"
    /// Structured mode whose `data_base64` is not base64, or not JSON once decoded.
    case structuredBadBase64 = "structured-bad-base64"
    /// Structured mode with valid `data` and one hostile attribute (10 KB or NUL `id`, lone
    /// surrogate, `time` in year 0001 or 9999, `type` a number, `id` twice...): the
    /// attributes come from JSON there, not from headers.
    case structuredHostileAttributes = "structured-hostile-attributes"
    /// A SISM proposal otherwise valid, `startsAt` in year 0001.
    case sismStartsYear0001 = "sism-starts-year-0001"
    /// A SISM proposal otherwise valid, `endsAt` 9999-12-31T23:00:00-02:00.
    case sismEndsYear9999 = "sism-ends-year-9999"
    /// Key, a header or the value making the record larger than 256 KiB.
    case oversize = "oversize"

    public static func < (lhs: HostileClass, rhs: HostileClass) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether this class can be made from a record of `topic` (the SISM classes need a
    /// SISM proposal's `startsAt` and `endsAt`).
    public func applies(to topic: String) -> Bool {
        switch self {
        case .sismStartsYear0001, .sismEndsYear9999: topic == InboundTopic.sismEventProposed.rawValue
        default: true
        }
    }
}

/// A hostile Kafka record, the valid record it was made from, and what was done to it.
public struct HostileRecord: Sendable, Hashable {
    public var hostileClass: HostileClass
    /// The variant within the class, for a person reading a failure (e.g. `ce_time
    /// 9999-12-31T23:00:00-02:00`, `field title: bytes ED A0 80`).
    public var detail: String
    public var message: OutboundRecord
    /// The valid record this one replaces.
    public var base: SyntheticEvent
}

/// Deterministic mutators: `record(_:as:random:)` turns a valid synthetic record into a
/// hostile one of the class asked for. The same record, class and random state give the
/// same bytes.
public enum HostileRecords {
    /// A hostile record of `hostileClass` made from `event`. `hostileClass` must apply to
    /// the event's topic.
    public static func record(_ event: SyntheticEvent, as hostileClass: HostileClass, random: inout SeededRandom) -> HostileRecord {
        precondition(hostileClass.applies(to: event.topic), "\(hostileClass) does not apply to \(event.topic)")
        var mutator = HostileMutator(message: event.outboundRecord(), event: event, random: random)
        let detail = mutator.apply(hostileClass)
        random = mutator.random
        return HostileRecord(hostileClass: hostileClass, detail: detail, message: mutator.message, base: event)
    }

    /// Number texts at the edges of Double and Int64 (`hugeNumbers`): overflowing,
    /// underflowing, negative zero, one past Int64's range, 400 digits.
    public static let hugeNumbers = [
        "1e400", "-1e400", "123456789012345678901234567890", "-123456789012345678901234567890", "-0", "-0.0",
        "1e-400", "9223372036854775808", "-9223372036854775809", "1" + String(repeating: "0", count: 400),
        "0." + String(repeating: "0", count: 400) + "1", "1E+999999999999",
    ]

    /// `startsAt` in year 0001 (`sismStartsYear0001`): before year 1 in UTC for the first.
    public static let sismStartTimes = ["0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z", "0001-06-15T10:00:00+02:00"]
    /// `endsAt` at the end of year 9999 (`sismEndsYear9999`): in year 10000 in UTC for the first.
    public static let sismEndTimes = ["9999-12-31T23:00:00-02:00", "9999-12-31T23:59:59Z", "9999-12-31T12:00:00+01:00"]

    /// A hostile record of a class drawn among those that apply to the event.
    public static func record(_ event: SyntheticEvent, random: inout SeededRandom) -> HostileRecord {
        let classes = HostileClass.allCases.filter { $0.applies(to: event.topic) }
        return record(event, as: random.pick(classes), random: &random)
    }
}

/// Which records of a stream are replaced by hostile ones: a share of the activity records
/// that are processed when valid (set-up records stay: the activity refers to them; exact
/// re-sends and deliberately invalid records stay what they are). The draw for a record
/// depends only on the seed and its sequence, not on how the stream is cut into chunks.
public struct HostileMix: Sendable, Hashable {
    public var seed: UInt64
    public var fraction: Double

    public init(seed: UInt64, fraction: Double) {
        precondition((0...1).contains(fraction), "the hostile fraction must be in 0...1")
        self.seed = seed
        self.fraction = fraction
    }

    /// The hostile record replacing `event`, or nil when `event` is published as it is.
    public func hostile(replacing event: SyntheticEvent) -> HostileRecord? {
        guard fraction > 0, event.phase == .activity, event.expectation.isProcessed else { return nil }
        var random = SeededRandom(seed: seed &+ UInt64(event.sequence) &* 0x9e37_79b9_7f4a_7c15, stream: "hostile")
        guard random.chance(fraction) else { return nil }
        return HostileRecords.record(event, random: &random)
    }
}

// MARK: - The mutations

/// One record being made hostile: its Kafka message, changed in place.
struct HostileMutator {
    var message: OutboundRecord
    let event: SyntheticEvent
    var random: SeededRandom

    /// Applies one class; returns the variant's description.
    mutating func apply(_ hostileClass: HostileClass) -> String {
        switch hostileClass {
        case .randomBytes: randomBytes()
        case .byteFlips: byteFlips()
        case .wrongTypes: wrongTypes()
        case .deepNesting: deepNesting()
        case .hugeNumbers: hugeNumbers()
        case .invalidUTF8Value: invalidUTF8Value()
        case .invalidUTF8Header: invalidUTF8Header()
        case .loneSurrogate: loneSurrogate()
        case .nulInJSON: nulInJSON()
        case .nulInHeaderValue: nulInHeaderValue()
        case .nulInKafkaKey: nulInKafkaKey()
        case .nulInCeId: nulInCeId()
        case .duplicateKeys: duplicateKeys()
        case .missingCeHeader: missingCeHeader()
        case .duplicatedCeHeader: duplicatedCeHeader()
        case .hostileCeTime: hostileCeTime()
        case .overlongIdentity: overlongIdentity()
        case .binaryHeaders: binaryHeaders()
        case .contentTypeGarbage: contentTypeGarbage()
        case .structuredBadBase64: structuredBadBase64()
        case .structuredHostileAttributes: structuredHostileAttributes()
        case .sismStartsYear0001: sismTime(field: "startsAt", to: random.pick(HostileRecords.sismStartTimes))
        case .sismEndsYear9999: sismTime(field: "endsAt", to: random.pick(HostileRecords.sismEndTimes))
        case .oversize: oversize()
        }
    }

    // MARK: Value bytes

    mutating func randomBytes() -> String {
        let count = random.chance(0.05) ? 0 : random.int(1...2048)
        message.value = bytes(count)
        return "\(count) random bytes"
    }

    mutating func byteFlips() -> String {
        let flips = random.int(1...8)
        var positions: [Int] = []
        for _ in 0..<flips {
            let position = random.below(message.value.count)
            // A non-zero mask: the byte always changes.
            message.value[position] ^= UInt8(random.int(1...255))
            positions.append(position)
        }
        return "bytes flipped at \(positions.sorted())"
    }

    mutating func wrongTypes() -> String {
        let field = random.pick(payloadFields)
        var object = payload
        // Null is left out: an optional field may be null. Integer and number count as one
        // type, as a schema's number accepts both.
        let current = object[field]!.typeName
        let wrong: [JSONValue] = [
            .string("not the type the schema wants"), .integer(42), .bool(true), .array([.integer(1), .string("two")]),
            .object(["unexpected": .bool(false)]),
        ].filter { $0.typeName != current && !($0.typeName == "integer" && current == "number") }
        let value = random.pick(wrong)
        object[field] = value
        message.value = JSONValue.object(object).canonicalBytes()
        return "field \(field) (\(current)) as \(value.typeName)"
    }

    mutating func deepNesting() -> String {
        let depth = random.pick([65, 66, 100, 1000, 10_000, 100_000])
        let opening: [UInt8]
        let closing: [UInt8]
        if random.chance(0.5) {
            opening = Array("[".utf8)
            closing = Array("]".utf8)
        } else {
            opening = Array(#"{"a":"#.utf8)
            closing = Array("}".utf8)
        }
        var nested: [UInt8] = []
        nested.reserveCapacity(depth * (opening.count + closing.count) + 1)
        for _ in 0..<depth { nested += opening }
        nested += Array("1".utf8)
        // Unclosed half of the time: a parser must give up on depth before it reaches the end.
        let closed = random.chance(0.5)
        if closed { for _ in 0..<depth { nested += closing } }
        if random.chance(0.5) {
            message.value = nested
            return "value \(depth) levels of \(String(decoding: opening, as: UTF8.self))\(closed ? "" : ", unclosed")"
        }
        let field = random.pick(payloadFields)
        message.value = replacing(field, with: nested)
        return "field \(field) \(depth) levels of \(String(decoding: opening, as: UTF8.self))\(closed ? "" : ", unclosed")"
    }

    mutating func hugeNumbers() -> String {
        let number = random.pick(HostileRecords.hugeNumbers)
        let numeric = payload.filter { if case .integer = $0.value { true } else if case .number = $0.value { true } else { false } }
        let field = numeric.isEmpty ? random.pick(payloadFields) : random.pick(numeric.keys.sorted())
        message.value = replacing(field, with: Array(number.utf8))
        return "field \(field) = \(number.count > 40 ? String(number.prefix(20)) + "…(\(number.count) chars)" : number)"
    }

    static let invalidUTF8: [(String, [UInt8])] = [
        ("FF", [0xFF]), ("C0 AF (overlong)", [0xC0, 0xAF]), ("ED A0 80 (encoded surrogate)", [0xED, 0xA0, 0x80]),
        ("C3 (truncated)", [0xC3]), ("F4 90 80 80 (above U+10FFFF)", [0xF4, 0x90, 0x80, 0x80]),
        ("80 (lone continuation)", [0x80]), ("FE FF", [0xFE, 0xFF]),
    ]

    mutating func invalidUTF8Value() -> String {
        let (name, bad) = random.pick(Self.invalidUTF8)
        let field = random.pick(stringFields)
        message.value = replacing(field, with: Array("\"avant ".utf8) + bad + Array(" après\"".utf8))
        return "field \(field): bytes \(name)"
    }

    mutating func invalidUTF8Header() -> String {
        let (name, bad) = random.pick(Self.invalidUTF8)
        let header = random.pick(["ce_id", "ce_source", "ce_type", "ce_time", "ce_specversion", "content-type"])
        let original = headerValue(header) ?? []
        // Appended to the real value half of the time, so the rest of the value still parses.
        setHeader(header, random.chance(0.5) ? original + bad : bad)
        return "header \(header): bytes \(name)"
    }

    mutating func loneSurrogate() -> String {
        let text = random.pick([#""\ud800""#, #""avant \udc00 après""#, #""\ud800\u0041""#, #""fin \udbff""#, #""\udfff\ud800""#])
        if random.chance(0.25) {
            // In a member name.
            message.value = addingMember(Array(text.utf8) + Array(":1".utf8))
            return "key \(text)"
        }
        let field = random.pick(stringFields)
        message.value = replacing(field, with: Array(text.utf8))
        return "field \(field) = \(text)"
    }

    mutating func nulInJSON() -> String {
        switch random.below(4) {
        case 0:
            let field = random.pick(stringFields)
            message.value = replacing(field, with: Array("\"avant ".utf8) + [0] + Array(" après\"".utf8))
            return "field \(field): raw NUL"
        case 1:
            let field = random.pick(stringFields)
            message.value = replacing(field, with: Array(#""avant \u0000 après""#.utf8))
            return "field \(field): \\u0000"
        case 2:
            message.value = addingMember(Array(#""ti\u0000tle":"x""#.utf8))
            return "key with \\u0000"
        default:
            message.value = addingMember(Array("\"ti".utf8) + [0] + Array("tle\":\"x\"".utf8))
            return "key with raw NUL"
        }
    }

    mutating func nulInHeaderValue() -> String {
        switch random.below(4) {
        case 0:
            setHeader("ce_specversion", Array("1.0".utf8) + [0])
            return "ce_specversion 1.0\\0"
        case 1:
            setHeader("ce_source", (headerValue("ce_source") ?? []) + [0] + Array("suite".utf8))
            return "ce_source with NUL"
        case 2:
            message.headers.append(RecordHeader(name: "ce_subject", value: Array("sujet".utf8) + [0]))
            return "ce_subject with NUL"
        default:
            message.headers.append(RecordHeader(name: "ce_traceparent", value: [0, 0, 0]))
            return "extension ce_traceparent of NULs"
        }
    }

    mutating func nulInKafkaKey() -> String {
        let key = message.key ?? []
        switch random.below(3) {
        case 0:
            message.key = key + [0]
            return "key ending in NUL"
        case 1:
            message.key = [0]
            return "key a single NUL"
        default:
            message.key = Array(key.prefix(key.count / 2)) + [0] + Array(key.dropFirst(key.count / 2))
            return "NUL in the middle of the key"
        }
    }

    mutating func nulInCeId() -> String {
        let id = headerValue("ce_id") ?? []
        if random.chance(0.5) {
            setHeader("ce_id", id + [0])
            return "ce_id ending in NUL"
        }
        setHeader("ce_id", [0] + id)
        return "ce_id starting with NUL"
    }

    mutating func duplicateKeys() -> String {
        let field = random.pick(payloadFields)
        let sameValue = random.chance(0.5)
        let value = sameValue ? payload[field]!.canonicalBytes() : Array(#""another value""#.utf8)
        message.value = addingMember(JSONValue.string(field).canonicalBytes() + Array(":".utf8) + value)
        return "member \(field) twice (\(sameValue ? "same value" : "another value"))"
    }

    // MARK: Headers

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
            return "header named \(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "U+\(String($0.value, radix: 16))" }.joined())"
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
            ("text/plain", Array("text/plain".utf8)), ("empty", []), ("application/json; charset=FF", Array("application/json; charset=".utf8) + [0xFF]),
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
            message.value = splicing(JSONValue.object(object).canonicalBytes(), marker: JSONValue.string(Self.marker).canonicalBytes(),
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

    // MARK: Otherwise valid, out of bounds

    mutating func sismTime(field: String, to time: String) -> String {
        var object = payload
        object[field] = .string(time)
        message.value = JSONValue.object(object).canonicalBytes()
        return "\(field) \(time)"
    }

    mutating func oversize() -> String {
        let size = random.int(262_145...600_000)
        let filler = Array(repeating: UInt8(ascii: "x"), count: size)
        switch random.below(3) {
        case 0:
            message.value = addingMember(Array(#""padding":""#.utf8) + filler + Array("\"".utf8))
            return "value with \(size) bytes of padding"
        case 1:
            message.headers.append(RecordHeader(name: "ce_comment", value: filler))
            return "ce_comment of \(size) bytes"
        default:
            message.key = filler
            return "key of \(size) bytes"
        }
    }

    // MARK: Helpers

    /// The valid record's payload (every synthetic payload is a JSON object).
    var payload: [String: JSONValue] {
        guard case .object(let object)? = try? JSONParser.parse(event.cloudEvent.data) else {
            preconditionFailure("a synthetic payload is a JSON object")
        }
        return object
    }

    var payloadFields: [String] { payload.keys.sorted() }

    /// Fields holding strings (every payload has some: identifiers, titles).
    var stringFields: [String] {
        payload.filter { if case .string = $0.value { true } else { false } }.keys.sorted()
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    /// A marker no payload contains, replaced by raw bytes after encoding: the raw bytes
    /// can be anything (invalid UTF-8, numbers no JSONValue holds), the rest stays valid.
    static let marker = "HOSTILE-MARKER-2e1f9c"

    /// The payload with `field`'s value (quotes included) replaced by `raw`.
    func replacing(_ field: String, with raw: [UInt8]) -> [UInt8] {
        var object = payload
        object[field] = .string(Self.marker)
        return splicing(JSONValue.object(object).canonicalBytes(), marker: JSONValue.string(Self.marker).canonicalBytes(), with: raw)
    }

    /// The payload with one more member, written as `raw` (`"name":value`), at the end.
    func addingMember(_ raw: [UInt8]) -> [UInt8] {
        var bytes = JSONValue.object(payload).canonicalBytes()
        precondition(bytes.last == UInt8(ascii: "}"))
        bytes.removeLast()
        bytes += Array(",".utf8) + raw + Array("}".utf8)
        return bytes
    }

    func splicing(_ bytes: [UInt8], marker: [UInt8], with raw: [UInt8]) -> [UInt8] {
        guard let start = bytes.firstRange(of: marker)?.lowerBound else { preconditionFailure("marker not found") }
        return Array(bytes[..<start]) + raw + Array(bytes[(start + marker.count)...])
    }

    func headerValue(_ name: String) -> [UInt8]? {
        message.headers.first { $0.name == name }?.value
    }

    /// Replaces the header's value where it is (or appends the header).
    mutating func setHeader(_ name: String, _ value: [UInt8]) {
        if let index = message.headers.firstIndex(where: { $0.name == name }) {
            message.headers[index].value = value
        } else {
            message.headers.append(RecordHeader(name: name, value: value))
        }
    }
}
