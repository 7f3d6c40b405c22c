import HubDomain

/// One inbound Kafka record as the fuzzer describes it: what a consumer could hand the
/// processor, bytes as they came.
public struct FuzzRecord: Sendable, Hashable {
    public var topic: InboundTopic
    public var key: [UInt8]?
    public var headers: [RecordHeader]
    public var value: [UInt8]
    /// Decode with a 256-byte record limit instead of the default, so that `too_large` is
    /// reachable within libFuzzer's `-max_len`.
    public var smallSizeLimit: Bool

    public init(topic: InboundTopic, key: [UInt8]? = nil, headers: [RecordHeader], value: [UInt8], smallSizeLimit: Bool = false) {
        self.topic = topic
        self.key = key
        self.headers = headers
        self.value = value
        self.smallSizeLimit = smallSizeLimit
    }
}

/// The fuzzer's own byte framing of a few inbound records. Every byte string parses (a
/// truncated field takes what is left), so libFuzzer's mutations are never wasted on a
/// framing error, and `encode` gives back bytes that `parse` reads as the same records.
///
///     input   = record*                       at most `maximumRecords`; ends with the bytes
///     record  = flags:u8 [key:bytes] headerCount:u8 header* value:bytes
///     flags   : bits 0-1 topic (InboundTopic.allCases order), bit 2 key present,
///               bits 3-7 all set: small size limit (rare, or most records would be too large);
///               otherwise bit 3 adds 4 to the topic's index (the fifth topic since contract
///               v1.1; indexes past the last wrap around), so inputs framed before keep their
///               topic. A fifth-topic record cannot have the small size limit.
///     header  = name:bytes value:(u16 length, 0xFFFF for a null value; then the bytes)
///     bytes   = u16 big-endian length, then that many bytes (fewer if the input ends)
///
/// Header names are cut at the first NUL byte and read as UTF-8 with repair, as the
/// consumer does (librdkafka gives C strings; `String(cString:)`).
public enum FuzzFraming {
    public static let maximumRecords = 12
    public static let maximumHeaders = 32
    static let nullValueLength: UInt16 = 0xFFFF

    private enum Flag {
        static let topicMask: UInt8 = 0b11
        static let topicHigh: UInt8 = 1 << 3
        static let keyPresent: UInt8 = 1 << 2
        static let smallSizeLimit: UInt8 = 0b1111_1000
    }

    public static func parse(_ bytes: [UInt8]) -> [FuzzRecord] {
        var reader = ByteReader(bytes)
        var records: [FuzzRecord] = []
        while !reader.isAtEnd, records.count < maximumRecords {
            records.append(readRecord(&reader))
        }
        return records
    }

    public static func encode(_ records: [FuzzRecord]) -> [UInt8] {
        var out: [UInt8] = []
        for record in records {
            let topicIndex = UInt8(InboundTopic.allCases.firstIndex(of: record.topic)!)
            var flags = topicIndex & Flag.topicMask
            if topicIndex > Flag.topicMask {
                precondition(!record.smallSizeLimit, "a record of \(record.topic.rawValue) cannot be framed with the small size limit")
                flags |= Flag.topicHigh
            }
            if record.key != nil { flags |= Flag.keyPresent }
            if record.smallSizeLimit { flags |= Flag.smallSizeLimit }
            out.append(flags)
            if let key = record.key { appendBytes(key, to: &out) }
            precondition(record.headers.count <= maximumHeaders, "too many headers to frame")
            out.append(UInt8(record.headers.count))
            for header in record.headers {
                appendBytes(Array(header.name.utf8), to: &out)
                if let value = header.value {
                    appendBytes(value, to: &out)
                } else {
                    appendLength(nullValueLength, to: &out)
                }
            }
            appendBytes(record.value, to: &out)
        }
        return out
    }

    private static func readRecord(_ reader: inout ByteReader) -> FuzzRecord {
        let flags = reader.byte()
        let small = flags & Flag.smallSizeLimit == Flag.smallSizeLimit
        let high = !small && flags & Flag.topicHigh != 0 ? 4 : 0
        let topic = InboundTopic.allCases[(Int(flags & Flag.topicMask) + high) % InboundTopic.allCases.count]
        let key = flags & Flag.keyPresent != 0 ? reader.bytes(length: Int(reader.length())) : nil
        let headerCount = Int(reader.byte()) % (maximumHeaders + 1)
        var headers: [RecordHeader] = []
        for _ in 0..<headerCount where !reader.isAtEnd {
            let name = headerName(reader.bytes(length: Int(reader.length())))
            let length = reader.length()
            let value = length == nullValueLength ? nil : reader.bytes(length: Int(length))
            headers.append(RecordHeader(name: name, value: value))
        }
        let value = reader.bytes(length: Int(reader.length()))
        return FuzzRecord(
            topic: topic, key: key, headers: headers, value: value,
            smallSizeLimit: small)
    }

    private static func headerName(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func appendBytes(_ bytes: [UInt8], to out: inout [UInt8]) {
        precondition(bytes.count < Int(nullValueLength), "field too long to frame")
        appendLength(UInt16(bytes.count), to: &out)
        out += bytes
    }

    private static func appendLength(_ length: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(length >> 8))
        out.append(UInt8(length & 0xFF))
    }
}

/// Reads bytes front to back; past the end it reads zeros and empty slices.
struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func length() -> UInt16 {
        UInt16(byte()) << 8 | UInt16(byte())
    }

    mutating func bytes(length: Int) -> [UInt8] {
        let end = min(bytes.count, position + length)
        defer { position = end }
        return position < end ? Array(bytes[position..<end]) : []
    }
}
