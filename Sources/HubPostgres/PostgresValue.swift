import Foundation

/// A statement parameter. Values travel as `$1…$n` parameters in PostgreSQL's text format,
/// never inside the SQL text, so a hostile string stays data.
///
/// Literals work directly: `["Lille", 42, true, nil]`; other values with the static
/// constructors (`.uuid(id)`, `.timestamp(date)`) or `PostgresValue(someEncodable)`.
public enum PostgresValue: Sendable, Hashable {
    case null
    /// Sent with no declared type, so the server reads it as whatever the context needs
    /// (text, varchar, date, an enum...).
    case text(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    /// `timestamptz`, microsecond precision.
    case timestamp(Date)
    case uuid(UUID)
    case bytea([UInt8])
    /// JSON text, sent as `jsonb`.
    case json(String)
    case textArray([String?])
    case intArray([Int64?])

    /// PostgreSQL type OIDs for the parameter, 0 meaning "infer from context".
    var typeOID: UInt32 {
        switch self {
        case .null, .text: return 0
        case .int: return PostgresTypeOID.int8
        case .bool: return PostgresTypeOID.bool
        case .double: return PostgresTypeOID.float8
        case .timestamp: return PostgresTypeOID.timestamptz
        case .uuid: return PostgresTypeOID.uuid
        case .bytea: return PostgresTypeOID.bytea
        case .json: return PostgresTypeOID.jsonb
        case .textArray: return PostgresTypeOID.textArray
        case .intArray: return PostgresTypeOID.int8Array
        }
    }

    /// The value in PostgreSQL's text input format; nil for SQL NULL.
    var textEncoding: String? {
        switch self {
        case .null: return nil
        case .text(let string), .json(let string): return string
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .double(let value):
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
            return "\(value)"
        case .timestamp(let date): return PostgresDateText.format(date)
        case .uuid(let uuid): return uuid.lowercasedText
        case .bytea(let bytes): return "\\x" + PostgresHex.encode(bytes)
        case .textArray(let items): return PostgresArrayText.format(items)
        case .intArray(let items): return PostgresArrayText.format(items.map { $0.map(String.init) })
        }
    }

    /// Encodes `value` as JSON (for jsonb columns).
    public static func jsonEncoded<T: Encodable>(_ value: T, encoder: JSONEncoder = JSONEncoder()) throws -> PostgresValue {
        .json(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// JSON already serialised, as UTF-8 bytes.
    public static func json(_ data: Data) -> PostgresValue { .json(String(decoding: data, as: UTF8.self)) }

    public static func bytea(_ data: Data) -> PostgresValue { .bytea([UInt8](data)) }

    public static func int(_ value: Int) -> PostgresValue { .int(Int64(value)) }

    public init(_ value: some PostgresEncodable) { self = value.postgresValue }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// A Swift type that can be sent as a statement parameter.
public protocol PostgresEncodable {
    var postgresValue: PostgresValue { get }
}

extension String: PostgresEncodable { public var postgresValue: PostgresValue { .text(self) } }
extension Substring: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Int: PostgresEncodable { public var postgresValue: PostgresValue { .int(Int64(self)) } }
extension Int64: PostgresEncodable { public var postgresValue: PostgresValue { .int(self) } }
extension Int32: PostgresEncodable { public var postgresValue: PostgresValue { .int(Int64(self)) } }
extension Bool: PostgresEncodable { public var postgresValue: PostgresValue { .bool(self) } }
extension Double: PostgresEncodable { public var postgresValue: PostgresValue { .double(self) } }
extension Date: PostgresEncodable { public var postgresValue: PostgresValue { .timestamp(self) } }
extension UUID: PostgresEncodable { public var postgresValue: PostgresValue { .uuid(self) } }
extension Data: PostgresEncodable { public var postgresValue: PostgresValue { .bytea([UInt8](self)) } }
extension PostgresValue: PostgresEncodable { public var postgresValue: PostgresValue { self } }

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}

extension Array: PostgresEncodable where Element == String {
    public var postgresValue: PostgresValue { .textArray(self) }
}

/// The built-in type OIDs the hub reads and writes (from pg_type; stable across versions).
public enum PostgresTypeOID {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let name: UInt32 = 19
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let int4Array: UInt32 = 1007
    public static let textArray: UInt32 = 1009
    public static let varcharArray: UInt32 = 1015
    public static let int8Array: UInt32 = 1016
    public static let bpchar: UInt32 = 1042
    public static let varchar: UInt32 = 1043
    public static let date: UInt32 = 1082
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let numeric: UInt32 = 1700
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
}
