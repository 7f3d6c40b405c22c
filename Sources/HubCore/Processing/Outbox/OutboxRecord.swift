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
    /// One header as stored: the value in base64, null (not absent) for no value.
    private struct Stored: Decodable {
        var name: String
        var value: String?
    }

    /// The headers as JSON text for a jsonb parameter.
    public static func encode(_ headers: [KafkaHeader]) -> String {
        // Written with the hub's JSON writer, not JSONEncoder: every notification goes
        // through here, and this was a visible share of a batch's time.
        let stored: [JSONValue] = headers.map { header in
            .object(["name": .string(header.name), "value": header.value.map { .string(Data($0).base64EncodedString()) } ?? .null])
        }
        return String(decoding: JSONValue.array(stored).canonicalBytes(), as: UTF8.self)
    }

    /// Reads what `encode` wrote (as PostgreSQL prints jsonb: key order and spacing may differ).
    public static func decode(_ json: String) throws -> [KafkaHeader] {
        let stored: [Stored]
        do {
            stored = try JSONDecoder().decode([Stored].self, from: Data(json.utf8))
        } catch {
            throw PostgresError(.decodingFailed, "stored Kafka headers are not a JSON array of {name, value}: \(error)")
        }
        return try stored.map { header in
            guard let value = header.value else { return KafkaHeader(name: header.name, value: nil) }
            guard let bytes = Data(base64Encoded: value) else {
                throw PostgresError(.decodingFailed, "stored Kafka header \"\(header.name)\" is not base64")
            }
            return KafkaHeader(name: header.name, value: [UInt8](bytes))
        }
    }
}
