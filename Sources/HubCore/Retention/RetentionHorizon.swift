/// How old a row must be for `hub-admin purge` to delete it: a whole number of minutes,
/// hours or days, written `90m`, `12h` or `30d`.
///
/// Parsed from the command line, so anything else is refused with a message that says what
/// is expected; nothing typed there can trap (numbers too large for the horizon are refused
/// before any arithmetic could overflow).
public struct RetentionHorizon: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: Character, Sendable, CaseIterable {
        case minutes = "m"
        case hours = "h"
        case days = "d"

        var minutes: Int {
            switch self {
            case .minutes: 1
            case .hours: 60
            case .days: 24 * 60
            }
        }
    }

    public let count: Int
    public let unit: Unit

    /// The longest horizon accepted: a hundred years, which keeps everything anyway.
    public static let maximumMinutes = 36_500 * 24 * 60
    /// Below this the purge asks for `--force`: a horizon shorter than the inbound topics'
    /// retention lets a redelivered dead-lettered record be dead-lettered again (see
    /// docs/operations.md, Retention).
    public static let minimumWithoutForce = RetentionHorizon(count: 1, unit: .days)
    /// The documented default policy.
    public static let defaultPolicy = RetentionHorizon(count: 30, unit: .days)

    public init(count: Int, unit: Unit) {
        self.count = count
        self.unit = unit
    }

    /// `text` as `<number><m|h|d>`, the number a positive whole number.
    public init(parsing text: String) throws(RetentionHorizonError) {
        guard let last = text.last, let unit = Unit(rawValue: last) else {
            throw RetentionHorizonError(text: text, reason: "it must end with m (minutes), h (hours) or d (days)")
        }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RetentionHorizonError(text: text, reason: "it must be a whole number followed by m, h or d")
        }
        // At most 9 digits: compared below without overflow (a longer number is too large anyway).
        guard digits.count <= 9, let count = Int(digits), count <= Self.maximumMinutes / unit.minutes else {
            throw RetentionHorizonError(text: text, reason: "it is longer than 36500d, which keeps everything")
        }
        guard count > 0 else {
            throw RetentionHorizonError(text: text, reason: "a horizon of zero would delete rows as soon as they are written")
        }
        self.init(count: count, unit: unit)
    }

    /// The horizon in minutes (at most `maximumMinutes`, so it fits PostgreSQL's integer).
    public var minutes: Int { count * unit.minutes }

    /// Whether the purge runs this horizon only with `--force`.
    public var needsForce: Bool { minutes < Self.minimumWithoutForce.minutes }

    public var description: String { "\(count)\(unit.rawValue)" }
}

/// A horizon that is not `<number><m|h|d>`, with what was typed and why it is refused.
public struct RetentionHorizonError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String {
        "--older-than \"\(text)\" is refused: \(reason) (examples: 30d, 12h, 90m)"
    }
}
