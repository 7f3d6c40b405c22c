import Foundation
import HubDomain

/// What makes a hostile record hostile: one class per record, so that a run can say which
/// kind of input ended where (issue 15: hostile input never stops the hub).
///
/// Every class starts from a valid synthetic record (its topic, key, headers and value) and
/// breaks one thing. The classes follow the list; each record's `detail` says which
/// variant of its class it is (which field, which header, which bytes).
public enum HostileClass: String, CaseIterable, Sendable, Hashable, Comparable {
    /// The value replaced by random bytes (sometimes none at all).
    case randomBytes = "random-bytes"
    /// A few bytes of the value flipped.
    case byteFlips = "byte-flips"
    /// A payload field given a JSON type its schema does not allow.
    case wrongTypes = "wrong-types"
    /// Arrays or objects nested beyond the 64 levels strict JSON allows, up to 100,000.
    case deepNesting = "deep-nesting"
    /// Numbers at the edges of Double and Int64: 1e400, 30-digit integers, -0, 1e-400, 2^63.
    case hugeNumbers = "huge-numbers"
    /// Bytes that are not UTF-8 inside a JSON string of the value.
    case invalidUTF8Value = "invalid-utf8-value"
    /// Bytes that are not UTF-8 in a header value (`ce_*`, content-type).
    case invalidUTF8Header = "invalid-utf8-header"
    /// An unpaired UTF-16 surrogate escaped in a JSON string or key (`\ud800`).
    case loneSurrogate = "lone-surrogate"
    /// NUL in the value: raw or as `\u0000`, in a string or in a key.
    case nulInJSON = "nul-in-json"
    /// NUL in a header value (`ce_source`, `ce_subject`, an extension, `ce_specversion: 1.0\0`).
    case nulInHeaderValue = "nul-in-header-value"
    /// NUL in the Kafka key.
    case nulInKafkaKey = "nul-in-kafka-key"
    /// NUL in `ce_id`, part of the identity the inbox keys on.
    case nulInCeId = "nul-in-ce-id"
    /// A payload member given twice.
    case duplicateKeys = "duplicate-keys"
    /// A required `ce_` header left out (or every header).
    case missingCeHeader = "missing-ce-header"
    /// A `ce_` header given twice (the same value, or another one).
    case duplicatedCeHeader = "duplicated-ce-header"
    /// `ce_time` out of bounds: offset +20:00, a 300-digit fraction, year 0001,
    /// 9999-12-31T23:00:00-02:00 (year 10000 in UTC).
    case hostileCeTime = "hostile-ce-time"
    /// `ce_id` or `ce_source` of 10 KB (an inbox key beyond what a btree entry holds).
    case overlongIdentity = "overlong-identity"
    /// Header names and values of arbitrary bytes, or more headers than allowed.
    case binaryHeaders = "binary-headers"
    /// A content-type that is not JSON, not text, or not even UTF-8.
    case contentTypeGarbage = "content-type-garbage"
    /// Structured mode whose `data_base64` is not base64, or not JSON once decoded.
    case structuredBadBase64 = "structured-bad-base64"
    /// Structured mode with valid `data` and one hostile attribute (10 KB or NUL `id`, lone
    /// surrogate, `time` in year 0001 or 9999, `type` a number, `id` twice...): the
    /// attributes come from JSON there, not from headers.
    case structuredHostileAttributes = "structured-hostile-attributes"
    /// A SISM proposal otherwise valid, `startsAt` in year 0001.
    case sismStartsYear0001 = "sism-starts-year-0001"
    /// A SISM proposal otherwise valid, `endsAt` 9999-12-31T23:00:00-02:00.
    case sismEndsYear9999 = "sism-ends-year-9999"
    /// Key, a header or the value making the record larger than 256 KiB.
    case oversize = "oversize"

    public static func < (lhs: HostileClass, rhs: HostileClass) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether this class can be made from a record of `topic` (the SISM classes need a
    /// SISM proposal's `startsAt` and `endsAt`).
    public func applies(to topic: String) -> Bool {
        switch self {
        case .sismStartsYear0001, .sismEndsYear9999: topic == InboundTopic.sismEventProposed.rawValue
        default: true
        }
    }
}

/// A hostile Kafka record, the valid record it was made from, and what was done to it.
public struct HostileRecord: Sendable, Hashable {
    public var hostileClass: HostileClass
    /// The variant within the class, for a person reading a failure (e.g. `ce_time
    /// 9999-12-31T23:00:00-02:00`, `field title: bytes ED A0 80`).
    public var detail: String
    public var message: OutboundRecord
    /// The valid record this one replaces.
    public var base: SyntheticEvent
}

/// Deterministic mutators: `record(_:as:random:)` turns a valid synthetic record into a
/// hostile one of the class asked for. The same record, class and random state give the
/// same bytes.
public enum HostileRecords {
    /// A hostile record of `hostileClass` made from `event`. `hostileClass` must apply to
    /// the event's topic.
    public static func record(_ event: SyntheticEvent, as hostileClass: HostileClass, random: inout SeededRandom) -> HostileRecord {
        precondition(hostileClass.applies(to: event.topic), "\(hostileClass) does not apply to \(event.topic)")
        var mutator = HostileMutator(message: event.outboundRecord(), event: event, random: random)
        let detail = mutator.apply(hostileClass)
        random = mutator.random
        return HostileRecord(hostileClass: hostileClass, detail: detail, message: mutator.message, base: event)
    }

    /// Number texts at the edges of Double and Int64 (`hugeNumbers`): overflowing,
    /// underflowing, negative zero, one past Int64's range, 400 digits.
    public static let hugeNumbers = [
        "1e400", "-1e400", "123456789012345678901234567890", "-123456789012345678901234567890", "-0", "-0.0",
        "1e-400", "9223372036854775808", "-9223372036854775809", "1" + String(repeating: "0", count: 400),
        "0." + String(repeating: "0", count: 400) + "1", "1E+999999999999",
    ]

    /// `startsAt` in year 0001 (`sismStartsYear0001`): before year 1 in UTC for the first.
    public static let sismStartTimes = ["0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z", "0001-06-15T10:00:00+02:00"]
    /// `endsAt` at the end of year 9999 (`sismEndsYear9999`): in year 10000 in UTC for the first.
    public static let sismEndTimes = ["9999-12-31T23:00:00-02:00", "9999-12-31T23:59:59Z", "9999-12-31T12:00:00+01:00"]

    /// A hostile record of a class drawn among those that apply to the event.
    public static func record(_ event: SyntheticEvent, random: inout SeededRandom) -> HostileRecord {
        let classes = HostileClass.allCases.filter { $0.applies(to: event.topic) }
        return record(event, as: random.pick(classes), random: &random)
    }
}

/// Which records of a stream are replaced by hostile ones: a share of the activity records
/// that are processed when valid (set-up records stay: the activity refers to them; exact
/// re-sends and deliberately invalid records stay what they are). The draw for a record
/// depends only on the seed and its sequence, not on how the stream is cut into chunks.
public struct HostileMix: Sendable, Hashable {
    public var seed: UInt64
    public var fraction: Double

    public init(seed: UInt64, fraction: Double) {
        precondition((0...1).contains(fraction), "the hostile fraction must be in 0...1")
        self.seed = seed
        self.fraction = fraction
    }

    /// The hostile record replacing `event`, or nil when `event` is published as it is.
    public func hostile(replacing event: SyntheticEvent) -> HostileRecord? {
        guard fraction > 0, event.phase == .activity, event.expectation.isProcessed else { return nil }
        var random = SeededRandom(seed: seed &+ UInt64(event.sequence) &* 0x9e37_79b9_7f4a_7c15, stream: "hostile")
        guard random.chance(fraction) else { return nil }
        return HostileRecords.record(event, random: &random)
    }
}
