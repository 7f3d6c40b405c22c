/// A JSON form of an `Encodable` value that depends only on the value: what `StateChecksum`
/// hashes.
///
/// `JSONEncoder` is not enough: a `Set` encodes in its iteration order, which depends on the
/// process's random hash seed, and a dictionary whose keys are not `String` (`[ThemeCode: …]`)
/// encodes as a flat key/value array in that same order. So two equal records written by two
/// processes can be different `jsonb`. Here, instead:
/// - a `Set` becomes an array sorted by the canonical text of its elements;
/// - a dictionary becomes an object when its keys encode as strings, otherwise an array of
///   `[key, value]` pairs sorted by the key's canonical text;
/// - everything else encodes as `JSONEncoder` would, objects with sorted keys
///   (`JSONValue.canonicalString()`).
/// An `Array` keeps its order: in the hub's records a list's order means something (the
/// communes of a declaration), a set's does not.
///
/// It is `JSONStreamEncoder` in its canonical mode (the hub's one `Encoder`), parsed.
public enum CanonicalEncoding {
    public static func value<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONParser.parse(JSONStreamEncoder.encodeCanonically(value))
    }

    /// `value(_:)` for a set's element or a dictionary's key or value, strings and integers
    /// (most of them) without a writer and a parse.
    static func member<T: Encodable>(_ member: T) throws -> JSONValue {
        switch member {
        case let text as String: .string(text)
        case let integer as Int: .integer(Int64(integer))
        default: try value(member)
        }
    }

    /// The canonical form of a set, a dictionary or a `JSONValue`; nil for any other value,
    /// which encodes through its own `encode(to:)`.
    static func canonicalForm<T: Encodable>(of value: T) throws -> JSONValue? {
        switch value {
        case let set as any CanonicallyOrderedSet: try set.canonicalJSON()
        case let dictionary as any CanonicallyOrderedDictionary: try dictionary.canonicalJSON()
        case let json as JSONValue: json
        default: nil
        }
    }
}

protocol CanonicallyOrderedSet {
    func canonicalJSON() throws -> JSONValue
}

protocol CanonicallyOrderedDictionary {
    func canonicalJSON() throws -> JSONValue
}

extension Set: CanonicallyOrderedSet where Element: Encodable {
    func canonicalJSON() throws -> JSONValue {
        let elements = try map { try CanonicalEncoding.member($0) }
        return .array(elements.map { ($0.canonicalString(), $0) }.sorted { $0.0 < $1.0 }.map(\.1))
    }
}

extension Dictionary: CanonicallyOrderedDictionary where Key: Encodable, Value: Encodable {
    func canonicalJSON() throws -> JSONValue {
        let pairs = try map { key, value in (try CanonicalEncoding.member(key), try CanonicalEncoding.member(value)) }
        let stringKeyed = pairs.compactMap { key, value in key.stringValue.map { ($0, value) } }
        if stringKeyed.count == pairs.count {
            return .object([String: JSONValue](stringKeyed, uniquingKeysWith: { first, _ in first }))
        }
        return .array(pairs.map { ($0.0.canonicalString(), JSONValue.array([$0.0, $0.1])) }.sorted { $0.0 < $1.0 }.map(\.1))
    }
}
