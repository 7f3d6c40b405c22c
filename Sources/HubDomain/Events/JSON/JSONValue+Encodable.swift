import Foundation

extension JSONValue {
    /// Converts an `Encodable` value through `JSONEncoder` and the strict parser. Used for
    /// the hub's own types (whose encoding cannot fail); a failure is a programming error.
    public static func encoding<T: Encodable>(_ value: T) -> JSONValue {
        do {
            let data = try JSONEncoder().encode(value)
            return try JSONParser.parse(Array(data))
        } catch {
            preconditionFailure("encoding \(T.self) to JSON failed: \(error)")
        }
    }

    /// Decodes a `Decodable` from this value (lenient Codable path, for trusted data such as
    /// notifications the hub wrote itself).
    public func decoding<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(canonicalBytes()))
    }
}
