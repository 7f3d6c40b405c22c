import Foundation

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
    public var message: OutgoingKafkaMessage

    public init(notificationId: UUID, message: OutgoingKafkaMessage) {
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
    public static func encode(_ headers: [KafkaHeader]) -> String {
        // Written byte by byte in canonical form (keys in order, no spaces), without
        // building JSON values: every notification goes through here.
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(64 * headers.count)
        for (index, header) in headers.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"name":"#.utf8)
            JSONValue.writeString(header.name, into: &out)
            out.append(contentsOf: #","value":"#.utf8)
            if let value = header.value {
                // Base64 has no character that JSON escapes.
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: Data(value).base64EncodedString().utf8)
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
    public static func decode(_ json: String) throws -> [KafkaHeader] {
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
                return KafkaHeader(name: name, value: nil)
            case .string(let value)?:
                guard let bytes = Data(base64Encoded: value) else {
                    throw PostgresError(.decodingFailed, "stored Kafka header \"\(name)\" is not base64")
                }
                return KafkaHeader(name: name, value: [UInt8](bytes))
            default:
                throw shapeError
            }
        }
    }
}
