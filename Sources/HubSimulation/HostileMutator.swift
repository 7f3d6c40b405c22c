import Foundation
import HubDomain

/// One record being made hostile: its outbound record, changed in place (the classes that
/// break the value and those that break the headers are in the two extensions beside).
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
