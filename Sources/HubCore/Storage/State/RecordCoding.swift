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
        let text: String = try row.decode(String.self, at: column)
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw PostgresError(.decodingFailed, "stored \(T.self) in column \(column) does not decode: \(error)")
        }
    }
}
