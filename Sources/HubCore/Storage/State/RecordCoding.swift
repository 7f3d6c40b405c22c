import Foundation

/// JSON coding of the domain's records for their `jsonb` columns. Sorted keys keep the
/// stored text stable for a given value.
enum RecordCoding {
    static func encode<T: Encodable>(_ value: T) throws -> PostgresValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return .json(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func decode<T: Decodable>(_ type: T.Type, from row: PostgresRow, column: String) throws -> T {
        try decode(type, text: try row.decode(String.self, at: column), column: column)
    }

    /// As `decode(_:from:column:)`, through `memo`: a text already decoded is not decoded again.
    static func decode<T: Decodable & Sendable>(_ type: T.Type, from row: PostgresRow, column: String,
                                                 memo: DecodedRecordMemo) throws -> T {
        try memo.value(of: type, from: try row.decode(String.self, at: column)) { text in
            try decode(type, text: text, column: column)
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, text: String, column: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw PostgresError(.decodingFailed, "stored \(T.self) in column \(column) does not decode: \(error)")
        }
    }
}
