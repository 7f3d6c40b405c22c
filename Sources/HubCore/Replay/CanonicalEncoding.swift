import HubDomain

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
public enum CanonicalEncoding {
    public static func value<T: Encodable>(_ value: T) throws -> JSONValue {
        try encodeValue(value, codingPath: [])
    }

    /// Encodes `value`, sets and dictionaries canonically, anything else through its own
    /// `encode(to:)`.
    static func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> JSONValue {
        switch value {
        case let set as any CanonicallyOrderedSet:
            return try set.canonicalJSON(codingPath: codingPath)
        case let dictionary as any CanonicallyOrderedDictionary:
            return try dictionary.canonicalJSON(codingPath: codingPath)
        case let json as JSONValue:
            return json
        default:
            let encoder = CanonicalEncoder(codingPath: codingPath)
            try value.encode(to: encoder)
            return encoder.node.json
        }
    }
}

protocol CanonicallyOrderedSet {
    func canonicalJSON(codingPath: [any CodingKey]) throws -> JSONValue
}

protocol CanonicallyOrderedDictionary {
    func canonicalJSON(codingPath: [any CodingKey]) throws -> JSONValue
}

extension Set: CanonicallyOrderedSet where Element: Encodable {
    func canonicalJSON(codingPath: [any CodingKey]) throws -> JSONValue {
        let elements = try map { try CanonicalEncoding.encodeValue($0, codingPath: codingPath) }
        return .array(elements.map { ($0.canonicalString(), $0) }.sorted { $0.0 < $1.0 }.map(\.1))
    }
}

extension Dictionary: CanonicallyOrderedDictionary where Key: Encodable, Value: Encodable {
    func canonicalJSON(codingPath: [any CodingKey]) throws -> JSONValue {
        let pairs = try map { key, value in
            (try CanonicalEncoding.encodeValue(key, codingPath: codingPath),
             try CanonicalEncoding.encodeValue(value, codingPath: codingPath))
        }
        if pairs.allSatisfy({ $0.0.stringValue != nil }) {
            return .object(Dictionary<String, JSONValue>(uniqueKeysWithValues: pairs.map { ($0.0.stringValue!, $0.1) }))
        }
        return .array(pairs.map { ($0.0.canonicalString(), JSONValue.array([$0.0, $0.1])) }.sorted { $0.0 < $1.0 }.map(\.1))
    }
}

/// Where the containers of one encoded value write; turned into a `JSONValue` at the end.
final class CanonicalNode {
    enum Content {
        case empty
        case single(JSONValue)
        case object([String: CanonicalNode])
        case array([CanonicalNode])
    }

    var content: Content = .empty

    init() {}
    init(_ value: JSONValue) { content = .single(value) }

    var json: JSONValue {
        switch content {
        case .empty: .object([:])
        case .single(let value): value
        case .object(let members): .object(members.mapValues(\.json))
        case .array(let elements): .array(elements.map(\.json))
        }
    }
}

struct CanonicalEncoder: Encoder {
    let node: CanonicalNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(codingPath: [any CodingKey], node: CanonicalNode = CanonicalNode()) {
        self.codingPath = codingPath
        self.node = node
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([:]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(node: node, codingPath: codingPath)
    }

    static func primitive<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> JSONValue {
        switch value {
        case let value as Bool: .bool(value)
        case let value as String: .string(value)
        case let value as Int: .integer(Int64(value))
        case let value as Int8: .integer(Int64(value))
        case let value as Int16: .integer(Int64(value))
        case let value as Int32: .integer(Int64(value))
        case let value as Int64: .integer(value)
        case let value as UInt8: .integer(Int64(value))
        case let value as UInt16: .integer(Int64(value))
        case let value as UInt32: .integer(Int64(value))
        case let value as UInt: .number(Double(value))
        case let value as UInt64: .number(Double(value))
        case let value as Double: .number(value)
        case let value as Float: .number(Double(value))
        default: try CanonicalEncoding.encodeValue(value, codingPath: codingPath)
        }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: CanonicalNode
        let codingPath: [any CodingKey]

        private func set(_ value: CanonicalNode, for key: Key) {
            guard case .object(var members) = node.content else { return }
            members[key.stringValue] = value
            node.content = .object(members)
        }

        mutating func encodeNil(forKey key: Key) throws { set(CanonicalNode(.null), for: key) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            set(CanonicalNode(try CanonicalEncoder.primitive(value, codingPath: codingPath + [key])), for: key)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey> {
            let child = CanonicalNode()
            set(child, for: key)
            return CanonicalEncoder(codingPath: codingPath + [key], node: child).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = CanonicalNode()
            set(child, for: key)
            return CanonicalEncoder(codingPath: codingPath + [key], node: child).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            let child = CanonicalNode()
            set(child, for: key)
            return CanonicalEncoder(codingPath: codingPath + [key], node: child)
        }
    }

    struct IndexKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ index: Int) { stringValue = String(index); intValue = index }
        init?(stringValue: String) { self.stringValue = stringValue; intValue = Int(stringValue) }
        init?(intValue: Int) { self.init(intValue) }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let node: CanonicalNode
        let codingPath: [any CodingKey]

        var count: Int {
            if case .array(let elements) = node.content { return elements.count }
            return 0
        }

        private func append(_ child: CanonicalNode) {
            guard case .array(var elements) = node.content else { return }
            elements.append(child)
            node.content = .array(elements)
        }

        mutating func encodeNil() throws { append(CanonicalNode(.null)) }

        mutating func encode<T: Encodable>(_ value: T) throws {
            append(CanonicalNode(try CanonicalEncoder.primitive(value, codingPath: codingPath + [IndexKey(count)])))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let child = CanonicalNode()
            let path = codingPath + [IndexKey(count)]
            append(child)
            return CanonicalEncoder(codingPath: path, node: child).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = CanonicalNode()
            let path = codingPath + [IndexKey(count)]
            append(child)
            return CanonicalEncoder(codingPath: path, node: child).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            let child = CanonicalNode()
            let path = codingPath + [IndexKey(count)]
            append(child)
            return CanonicalEncoder(codingPath: path, node: child)
        }
    }

    struct SingleValueContainer: SingleValueEncodingContainer {
        let node: CanonicalNode
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.content = .single(.null) }

        mutating func encode<T: Encodable>(_ value: T) throws {
            node.content = .single(try CanonicalEncoder.primitive(value, codingPath: codingPath))
        }
    }
}
