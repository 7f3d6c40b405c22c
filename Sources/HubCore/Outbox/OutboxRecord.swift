import Foundation
import HubDomain
import HubPostgres

/// One record for the transactional outbox: what the processing transaction wants published,
/// under an identity that makes writing it twice harmless.
///
/// `notificationId` is the record's identity (`hub_outbox.notification_id`, unique). For a
/// notification it is the notification's deterministic id, which is also its `ce_id`; for a
/// dead letter it is `DeadLetter.id(for:)`. Writing the same id twice keeps the first row.
///
/// The target topic, key, headers and value travel as given; `message.partition` is not
/// stored (the key decides the partition, so records with one key keep their order).
public struct OutboxRecord: Sendable, Hashable {
    public var notificationId: UUID
    public var message: OutboundRecord

    public init(notificationId: UUID, message: OutboundRecord) {
        self.notificationId = notificationId
        self.message = message
    }
}

/// How Kafka headers are kept in the `headers jsonb` columns of `hub_outbox` and
/// `hub_dead_letters`: a JSON array, in the records' order (duplicates kept), of
/// `{"name": "<header name>", "value": "<standard base64 of the value bytes>"}`, with
/// `"value": null` for a header without value. Base64 makes any bytes round-trip exactly
/// (a JSON string could not hold invalid UTF-8 or NUL).
///
/// To read one in SQL: `convert_from(decode(h->>'value', 'base64'), 'UTF8')` over
/// `jsonb_array_elements(headers) h`.
public enum OutboxHeaders {
    /// The headers as JSON text for a jsonb parameter.
    public static func encode(_ headers: [RecordHeader]) -> String {
        // Written byte by byte in canonical form (keys in order, no spaces), without
        // building JSON values: every notification goes through here.
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(64 * headers.count)
        for (index, header) in headers.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"name":"#.utf8)
            // jsonb refuses \u0000; librdkafka hands names over as C strings, so a NUL can
            // only come from the hub's own code, and is then kept visible, escaped.
            JSONValue.writeString(header.name.utf8.contains(0) ? StorableText.escaping(header.name) : header.name, into: &out)
            out.append(contentsOf: #","value":"#.utf8)
            if let value = header.value {
                // Base64 has no character that JSON escapes.
                out.append(UInt8(ascii: "\""))
                Base64.encode(value, into: &out)
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: "null".utf8)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads what `encode` wrote (as PostgreSQL prints jsonb: key order and spacing may differ).
    /// The relay reads every notification through here, so it uses the hub's JSON parser
    /// rather than `JSONDecoder`.
    public static func decode(_ json: String) throws -> [RecordHeader] {
        var json = json
        if let headers = json.withUTF8({ bytes in
            var scanner = StoredHeadersScanner(bytes: bytes)
            return scanner.scan()
        }) {
            return headers
        }
        return try decodeParsing(json)
    }

    /// The general path: any JSON text of the stored shape.
    static func decodeParsing(_ json: String) throws -> [RecordHeader] {
        let shapeError = PostgresError(.decodingFailed, "stored Kafka headers are not a JSON array of {name, value}")
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(Array(json.utf8))
        } catch {
            throw PostgresError(.decodingFailed, "stored Kafka headers are not JSON: \(error)")
        }
        guard case .array(let stored) = parsed else { throw shapeError }
        return try stored.map { header in
            guard case .object(let members) = header, case .string(let name)? = members["name"] else { throw shapeError }
            switch members["value"] {
            case nil, .null?:
                return RecordHeader(name: name, value: nil)
            case .string(let value)?:
                var value = value
                guard let bytes = value.withUTF8(Base64.decode) else {
                    throw PostgresError(.decodingFailed, "stored Kafka header \"\(name)\" is not base64")
                }
                return RecordHeader(name: name, value: bytes)
            default:
                throw shapeError
            }
        }
    }
}

/// Reads the stored headers exactly as PostgreSQL prints jsonb (`[{"name": "ce_id", "value":
/// "Yg=="}, ...]`: "name" first, one space after ':' and ','), the form every row the relay
/// reads has. It returns nil at the first byte it does not expect (an escaped name, other
/// spacing or order, invalid base64), and the general parser takes the text instead: the
/// fast path never decides that a text is wrong. The relay reads every notification's
/// headers, so they are read in place rather than parsed into JSON values first.
struct StoredHeadersScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func scan() -> [RecordHeader]? {
        guard skip("[") else { return nil }
        var headers: [RecordHeader] = []
        if skip("]") { return index == bytes.count ? headers : nil }
        repeat {
            guard skip(#"{"name": ""#), let name = plainString(), skip(#", "value": "#) else { return nil }
            if skip("null") {
                headers.append(RecordHeader(name: name, value: nil))
            } else {
                guard skip("\""), let value = base64String() else { return nil }
                headers.append(RecordHeader(name: name, value: value))
            }
            guard skip("}") else { return nil }
        } while skip(", ")
        guard skip("]"), index == bytes.count else { return nil }
        return headers
    }

    /// Consumes `literal` if the text continues with it.
    private mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] { return false }
        index += count
        return true
    }

    /// The rest of a string without escapes, up to and including its closing quote.
    private mutating func plainString() -> String? {
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            case UInt8(ascii: "\\"), 0..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    /// The rest of a string of standard base64 (padded), up to and including its closing
    /// quote, decoded.
    private mutating func base64String() -> [UInt8]? {
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return Base64.decode(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    }
}
