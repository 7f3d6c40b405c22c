/// An RFC 3339 `date-time` with an explicit offset (`2026-03-16T18:30:00+01:00` or `...Z`).
///
/// The original text is kept so that it can be echoed byte for byte (notification `ce_time`
/// is the cause event's `ce_time`); comparisons use the instant.
public struct Timestamp: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The text exactly as received.
    public let text: String
    /// Milliseconds since 1970-01-01T00:00:00Z (sub-millisecond digits are truncated).
    public let epochMilliseconds: Int64
    /// The offset written in the text, in seconds east of UTC.
    public let offsetSeconds: Int

    /// At most this many fraction digits (nanoseconds): PostgreSQL reads the text back as
    /// `timestamptz`, and a longer fraction is no precision anyone has.
    public static let maximumFractionDigits = 9
    /// The largest offset in use anywhere on Earth (UTC+14:00, Kiribati; UTC−12:00 is the
    /// lowest); PostgreSQL refuses offsets beyond ±15:59.
    public static let maximumOffsetSeconds = 14 * 3600

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. `T`/`t` and `Z`/`z` are accepted
    /// as RFC 3339 allows; a missing offset is refused (a local time without zone is
    /// ambiguous for Europe/Paris window checks). Refused too, so that every timestamp the
    /// hub keeps is one PostgreSQL stores and every computation on it is defined: a year
    /// outside `CalendarDate.supportedYears`, a fraction of more than
    /// `maximumFractionDigits` digits, an offset beyond ±14:00.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, let date = CalendarDate(String(decoding: bytes[0..<10], as: UTF8.self)),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let hour = Digits.value(bytes[11..<13]), let minute = Digits.value(bytes[14..<16]),
            let second = Digits.value(bytes[17..<19]),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var milliseconds = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > start, index - start <= Self.maximumFractionDigits else { return nil }
            let fraction = Array(bytes[start..<min(start + 3, index)])
            let padded = fraction + Array(repeating: UInt8(ascii: "0"), count: 3 - fraction.count)
            milliseconds = Digits.value(padded) ?? 0
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            guard index + 1 == bytes.count else { return nil }
        } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                let offsetHours = Digits.value(bytes[(index + 1)..<(index + 3)]),
                let offsetMinutes = Digits.value(bytes[(index + 4)..<(index + 6)]),
                offsetMinutes < 60, offsetHours * 3600 + offsetMinutes * 60 <= Self.maximumOffsetSeconds
            else { return nil }
            offset = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        let localSeconds = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.text = text
        self.offsetSeconds = offset
        self.epochMilliseconds = (localSeconds - Int64(offset)) * 1000 + Int64(milliseconds)
    }

    public var description: String { text }

    /// The calendar day of this instant in Europe/Paris (see `ParisTime`).
    public var parisDate: CalendarDate { ParisTime.localDate(epochMilliseconds: epochMilliseconds) }

    /// Whether this instant is strictly before `other` (offsets taken into account).
    public func isBefore(_ other: Timestamp) -> Bool {
        epochMilliseconds < other.epochMilliseconds
    }

    /// Two timestamps are equal when their texts are equal: the text is what gets echoed.
    /// (Not `Comparable` on purpose: `10:00+01:00` and `09:00Z` are the same instant but
    /// different values; compare instants with `isBefore` or `epochMilliseconds`.)
    public static func == (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Timestamp(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 date-time with offset: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// Europe/Paris civil time, computed from the EU summer-time rule rather than the host's
/// tz database: CET (UTC+1), and CEST (UTC+2) from the last Sunday of March 01:00 UTC to the
/// last Sunday of October 01:00 UTC (Directive 2000/84/EC, in force since 1996).
///
/// Doing it by rule keeps the core pure and independent of whether a container image ships
/// tzdata; SISM edition windows are in March and October, right where the switch happens.
public enum ParisTime {
    public static func offsetSeconds(epochMilliseconds: Int64) -> Int {
        let seconds = floorDiv(epochMilliseconds, 1000)
        let utcDate = CalendarDate(daysSinceEpoch: Int(floorDiv(seconds, 86_400)))
        let start = switchInstant(year: utcDate.year, month: 3)
        let end = switchInstant(year: utcDate.year, month: 10)
        return seconds >= start && seconds < end ? 7200 : 3600
    }

    public static func localDate(epochMilliseconds: Int64) -> CalendarDate {
        let seconds = floorDiv(epochMilliseconds, 1000) + Int64(offsetSeconds(epochMilliseconds: epochMilliseconds))
        return CalendarDate(daysSinceEpoch: Int(floorDiv(seconds, 86_400)))
    }

    /// 01:00 UTC on the last Sunday of `month` (March or October, both of 31 days), in
    /// seconds since the epoch. Defined for every year, not only the supported ones: an
    /// instant near the ends of the range may fall in the year before or after it.
    static func switchInstant(year: Int, month: Int) -> Int64 {
        let last = CalendarDate.daysSinceEpoch(year: year, month: month, day: 31)
        let lastSunday = last - CalendarDate.weekday(daysSinceEpoch: last)
        return Int64(lastSunday) * 86_400 + 3600
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
