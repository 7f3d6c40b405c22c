import Foundation
import HubDomain

/// JSON coding of the domain's records for their `jsonb` columns (PostgreSQL keeps a jsonb
/// value in its own normal form: the same record reads back as the same text).
enum RecordCoding {
    /// For jsonb columns (PostgreSQL orders the keys itself): members in the type's order.
    static func encode<T: Encodable>(_ value: T) throws -> PostgresValue {
        .json(String(decoding: try JSONStreamEncoder.encode(value), as: UTF8.self))
    }

    static func decode<T: Decodable>(_ type: T.Type, from row: PostgresRow, column: String) throws -> T {
        try decode(type, text: try row.decode(String.self, at: column), column: column)
    }

    /// As `decode(_:from:column:)`, through `memo`: a text already decoded is not decoded again.
    static func decode<T: Decodable & Sendable>(
        _ type: T.Type, from row: PostgresRow, column: String,
        memo: DecodedRecordMemo
    ) throws -> T {
        try memo.value(of: type, from: try row.decode(String.self, at: column)) { text in
            try decode(type, text: text, column: column)
        }
    }

    /// A stored record's JSON text as `type`; `column` names it in the error.
    static func decode<T: Decodable>(_ type: T.Type, text: String, column: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw PostgresError(.decodingFailed, "stored \(T.self) in column \(column) does not decode: \(error)")
        }
    }
}
