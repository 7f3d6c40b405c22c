import Foundation

/// A Swift type that can be read from a column in PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    /// Builds the value from the server's text output of a column of type `typeOID`.
    init(postgresText text: String, typeOID: UInt32) throws
    /// What SQL NULL becomes; nil means NULL is refused (only Optional accepts it).
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNull: Self? { nil }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws {
        self = .some(try Wrapped(postgresText: text, typeOID: typeOID))
    }
    public static var postgresNull: Wrapped?? { .some(.none) }
}

private func mismatch(_ text: String, _ type: String, _ typeOID: UInt32) -> PostgresError {
    let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
    return PostgresError(.decodingFailed, "cannot read \"\(shown)\" (type OID \(typeOID)) as \(type)")
}

extension String: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws { self = text }
}

extension Int: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws {
        guard let value = Int(text) else { throw mismatch(text, "Int", typeOID) }
        self = value
    }
}

extension Int64: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws {
        guard let value = Int64(text) else { throw mismatch(text, "Int64", typeOID) }
        self = value
    }
}

extension Int32: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws {
        guard let value = Int32(text) else { throw mismatch(text, "Int32", typeOID) }
        self = value
    }
}

extension Bool: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw mismatch(text, "Bool", typeOID)
        }
    }
}

extension Double: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw mismatch(text, "Double", typeOID) }
            self = value
        }
    }
}

extension Date: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws {
        guard let date = PostgresDateText.parse(text) else { throw mismatch(text, "Date", typeOID) }
        self = date
    }
}

extension UUID: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws {
        guard let uuid = UUID(canonicalText: text) ?? UUID(uuidString: text) else { throw mismatch(text, "UUID", typeOID) }
        self = uuid
    }
}

/// bytea columns give their bytes; json, jsonb and text columns give their UTF-8 text,
/// ready for `JSONDecoder`.
extension Data: PostgresDecodable {
    public init(postgresText text: String, typeOID: UInt32) throws {
        if typeOID == PostgresTypeOID.bytea {
            guard let bytes = PostgresHex.decodeBytea(text) else { throw mismatch(text, "bytea", typeOID) }
            self = Data(bytes)
        } else {
            self = Data(text.utf8)
        }
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// One-dimensional arrays (`text[]`, `int8[]`...); NULL elements need an Optional element type.
    public init(postgresText text: String, typeOID: UInt32) throws {
        guard let items = PostgresArrayText.parse(text) else { throw mismatch(text, "\([Element].self)", typeOID) }
        let elementOID = PostgresTypeOID.element(ofArray: typeOID)
        self = try items.map { item in
            guard let item else {
                guard let null = Element.postgresNull else {
                    throw PostgresError(.decodingFailed, "array \(text) holds NULL; decode [\(Element.self)?] to accept it")
                }
                return null
            }
            return try Element(postgresText: item, typeOID: elementOID)
        }
    }
}

extension PostgresTypeOID {
    static func element(ofArray typeOID: UInt32) -> UInt32 {
        switch typeOID {
        case int4Array: return int4
        case int8Array: return int8
        case textArray: return text
        case varcharArray: return varchar
        default: return 0
        }
    }
}

/// Decodes a json/jsonb column into a Decodable type.
extension PostgresCell {
    public func decodeJSON<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        let data = try decode(Data.self)
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw PostgresError(.decodingFailed, "column \"\(column.name)\" is not valid JSON for \(T.self): \(error)")
        }
    }
}
