/// Encodes `Encodable` values straight to JSON bytes, object members in the order the type
/// encodes them, without building a tree or sorting keys.
///
/// For the state records stored in jsonb columns (`RecordCoding`): PostgreSQL keeps its own
/// key order there, so sorting buys nothing, and every QPV action and SISM proposal writes a
/// record: building a tree and sorting it each time would be work thrown away.
/// Numbers are written as the canonical writer writes them (integral doubles without a
/// fraction); non-finite doubles are refused, as `JSONEncoder` refuses them. Unlike
/// `JSONEncoder`, `Data`, `URL` and `Decimal` get no special form (their own `Encodable`
/// forms are written): the records hold none, and a test decodes every record type back
/// with `JSONDecoder`.
///
/// The hub's one `Encoder`: `encodeCanonically` is its canonical mode (`CanonicalEncoding`).
/// Measured again against Swift 6.3's `JSONEncoder`, it is still much the faster
/// (docs/performance-log.md, 2026-12-03).
public enum JSONStreamEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONStreamWriter()
        try writer.encodeValue(value, codingPath: [])
        return writer.bytes
    }

    /// The same JSON, except that sets, dictionaries and `JSONValue`s are written in the
    /// canonical form of `CanonicalEncoding` (members of other objects stay in the type's
    /// order: parse and write canonically for sorted keys).
    static func encodeCanonically<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONStreamWriter(canonical: true)
        try writer.encodeValue(value, codingPath: [])
        return writer.bytes
    }
}

/// The bytes written so far and the containers still open. A container is closed when its
/// parent writes its next member, or when the value that opened it has finished encoding:
/// `Encoder` has no "end of container" call.
final class JSONStreamWriter {
    var bytes: [UInt8] = []
    /// Open containers, innermost last: the byte that closes each, and whether it has a member.
    private var open: [(closing: UInt8, hasMembers: Bool)] = []
    /// Sets, dictionaries and `JSONValue`s in their canonical form (`CanonicalEncoding`).
    private let canonical: Bool

    init(canonical: Bool = false) {
        self.canonical = canonical
        bytes.reserveCapacity(512)
    }

    /// Encodes a whole value at the current depth, closing whatever it opened.
    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        if canonical, let form = try CanonicalEncoding.canonicalForm(of: value) {
            form.writeCanonical(into: &bytes)
            return
        }
        let depth = open.count
        let encoder = JSONStreamValueEncoder(writer: self, depth: depth, codingPath: codingPath)
        try value.encode(to: encoder)
        if !encoder.wroteSomething {
            // What JSONEncoder writes for a value that encodes nothing.
            bytes.append(contentsOf: "{}".utf8)
        }
        close(downTo: depth)
    }

    func openContainer(_ opening: UInt8, closing: UInt8) {
        bytes.append(opening)
        open.append((closing, false))
    }

    /// Closes the containers deeper than `depth`.
    func close(downTo depth: Int) {
        while open.count > depth { bytes.append(open.removeLast().closing) }
    }

    /// Starts a member of the container at `index` (closing any container its previous
    /// member left open), with its key for an object.
    func beginMember(ofContainerAt index: Int, key: String?) {
        close(downTo: index + 1)
        if open[index].hasMembers { bytes.append(UInt8(ascii: ",")) }
        open[index].hasMembers = true
        if let key {
            JSONValue.writeString(key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    func writeNull() { bytes.append(contentsOf: "null".utf8) }
    func write(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    func write(_ value: String) { JSONValue.writeString(value, into: &bytes) }
    func write<T: FixedWidthInteger>(_ value: T) { bytes.append(contentsOf: String(value).utf8) }

    func write(_ value: Double, codingPath: [any CodingKey]) throws {
        try writeNumber(value, integralBelow: 9.0e15, codingPath: codingPath)
    }

    func write(_ value: Float, codingPath: [any CodingKey]) throws {
        try writeNumber(value, integralBelow: 1.0e7, codingPath: codingPath)
    }

    /// Integral values below `limit` (where every integer is exact) without a fraction, as
    /// the canonical writer writes them; others in Swift's shortest form.
    private func writeNumber<Number: BinaryFloatingPoint & LosslessStringConvertible>(
        _ value: Number, integralBelow limit: Number, codingPath: [any CodingKey]
    ) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
        }
        if value == value.rounded(), abs(value) < limit {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }
}

/// The `Encoder` handed to one value: it opens at most one container (asking again gives the
/// same one) or writes one single value.
final class JSONStreamValueEncoder: Encoder {
    let writer: JSONStreamWriter
    /// The writer's depth when the value started: its container, if any, sits at this index.
    let depth: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    private(set) var wroteSomething = false
    private var opened: UInt8?

    init(writer: JSONStreamWriter, depth: Int, codingPath: [any CodingKey]) {
        self.writer = writer
        self.depth = depth
        self.codingPath = codingPath
    }

    private func open(_ opening: UInt8, closing: UInt8) {
        if opened == nil {
            writer.openContainer(opening, closing: closing)
            opened = opening
            wroteSomething = true
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        open(UInt8(ascii: "{"), closing: UInt8(ascii: "}"))
        return KeyedEncodingContainer(JSONStreamKeyedContainer<Key>(writer: writer, index: depth, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        open(UInt8(ascii: "["), closing: UInt8(ascii: "]"))
        return JSONStreamUnkeyedContainer(writer: writer, index: depth, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONStreamSingleValueContainer(encoder: self)
    }

    /// For the single value container: the value is written now.
    func willWriteSingleValue() {
        wroteSomething = true
    }
}

struct JSONStreamSingleValueContainer: SingleValueEncodingContainer {
    let encoder: JSONStreamValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    private var writer: JSONStreamWriter { encoder.writer }

    init(encoder: JSONStreamValueEncoder) {
        self.encoder = encoder
    }

    mutating func encodeNil() throws {
        encoder.willWriteSingleValue()
        writer.writeNull()
    }
    mutating func encode(_ value: Bool) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: String) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: Double) throws {
        encoder.willWriteSingleValue()
        try writer.write(value, codingPath: codingPath)
    }
    mutating func encode(_ value: Float) throws {
        encoder.willWriteSingleValue()
        try writer.write(value, codingPath: codingPath)
    }
    mutating func encode(_ value: Int) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: Int8) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: Int16) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: Int32) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: Int64) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: UInt) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: UInt8) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: UInt16) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: UInt32) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }
    mutating func encode(_ value: UInt64) throws {
        encoder.willWriteSingleValue()
        writer.write(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.willWriteSingleValue()
        try writer.encodeValue(value, codingPath: codingPath)
    }
}

struct JSONStreamKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONStreamWriter
    /// Where this object sits in the writer's open containers.
    let index: Int
    let codingPath: [any CodingKey]

    private func begin(_ key: Key) {
        writer.beginMember(ofContainerAt: index, key: key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws {
        begin(key)
        writer.writeNull()
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        begin(key)
        try writer.write(value, codingPath: codingPath + [key])
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        begin(key)
        try writer.write(value, codingPath: codingPath + [key])
    }
    mutating func encode(_ value: Int, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: Int8, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: Int16, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: Int32, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: Int64, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        begin(key)
        writer.write(value)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        begin(key)
        try writer.encodeValue(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        begin(key)
        writer.openContainer(UInt8(ascii: "{"), closing: UInt8(ascii: "}"))
        return KeyedEncodingContainer(JSONStreamKeyedContainer<NestedKey>(writer: writer, index: index + 1, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        begin(key)
        writer.openContainer(UInt8(ascii: "["), closing: UInt8(ascii: "]"))
        return JSONStreamUnkeyedContainer(writer: writer, index: index + 1, codingPath: codingPath + [key])
    }

    /// The value must then be encoded through the returned encoder (an encoder left unused
    /// would leave the member without a value, and PostgreSQL would refuse the text).
    mutating func superEncoder() -> any Encoder {
        writer.beginMember(ofContainerAt: index, key: "super")
        return JSONStreamValueEncoder(writer: writer, depth: index + 1, codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        begin(key)
        return JSONStreamValueEncoder(writer: writer, depth: index + 1, codingPath: codingPath + [key])
    }
}

struct JSONStreamUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONStreamWriter
    /// Where this array sits in the writer's open containers.
    let index: Int
    let codingPath: [any CodingKey]
    private(set) var count = 0

    init(writer: JSONStreamWriter, index: Int, codingPath: [any CodingKey]) {
        self.writer = writer
        self.index = index
        self.codingPath = codingPath
    }

    private mutating func begin() {
        writer.beginMember(ofContainerAt: index, key: nil)
        count += 1
    }

    mutating func encodeNil() throws {
        begin()
        writer.writeNull()
    }
    mutating func encode(_ value: Bool) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: String) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: Double) throws {
        begin()
        try writer.write(value, codingPath: codingPath)
    }
    mutating func encode(_ value: Float) throws {
        begin()
        try writer.write(value, codingPath: codingPath)
    }
    mutating func encode(_ value: Int) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: Int8) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: Int16) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: Int32) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: Int64) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: UInt) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: UInt8) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: UInt16) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: UInt32) throws {
        begin()
        writer.write(value)
    }
    mutating func encode(_ value: UInt64) throws {
        begin()
        writer.write(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        begin()
        try writer.encodeValue(value, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        begin()
        writer.openContainer(UInt8(ascii: "{"), closing: UInt8(ascii: "}"))
        return KeyedEncodingContainer(JSONStreamKeyedContainer<NestedKey>(writer: writer, index: index + 1, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        begin()
        writer.openContainer(UInt8(ascii: "["), closing: UInt8(ascii: "]"))
        return JSONStreamUnkeyedContainer(writer: writer, index: index + 1, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        begin()
        return JSONStreamValueEncoder(writer: writer, depth: index + 1, codingPath: codingPath)
    }
}
