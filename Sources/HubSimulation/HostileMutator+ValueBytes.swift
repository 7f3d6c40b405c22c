import Foundation
import HubDomain

// The classes that break the value: its bytes, its JSON, its numbers and strings.
extension HostileMutator {

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
}
