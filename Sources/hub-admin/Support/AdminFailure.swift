import ArgumentParser
import Foundation

/// A failure hub-admin explains in one line on standard error and reports with an exit
/// code a script can test (documented in `hub-admin --help` and docs/operations.md):
///
/// | code | meaning |
/// | --- | --- |
/// | 0 | done |
/// | 1 | failed for another reason (the message says which) |
/// | 3 | done in part: some records were refused for good and left as they were (each listed on standard error), the others done |
/// | 64 | the command line is wrong (swift-argument-parser's usage errors) |
/// | 65 | an input file or value is refused (bad JSON, unknown region, invalid event...) |
/// | 69 | PostgreSQL or Kafka does not answer |
/// | 75 | refused for now: try again later (workers still running during a replay...) |
struct AdminFailure: Error, CustomStringConvertible {
    enum Kind: Int32 {
        case failed = 1
        case partlyRefused = 3
        case refusedInput = 65
        case unavailable = 69
        case refusedNow = 75
    }

    var kind: Kind
    var message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func refusedInput(_ message: String) -> AdminFailure { AdminFailure(.refusedInput, message) }
    static func unavailable(_ message: String) -> AdminFailure { AdminFailure(.unavailable, message) }
    static func refusedNow(_ message: String) -> AdminFailure { AdminFailure(.refusedNow, message) }
    static func failed(_ message: String) -> AdminFailure { AdminFailure(.failed, message) }
    static func partlyRefused(_ message: String) -> AdminFailure { AdminFailure(.partlyRefused, message) }

    var description: String { message }

    /// The message as printed: on one line whatever it quotes.
    var line: String { Self.oneLine(message) }

    /// `text` on one line whatever it quotes (a file name, a value from a hostile file):
    /// line breaks and other control characters written as escapes.
    static func oneLine(_ text: String) -> String {
        var line = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}":
                line += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: line.unicodeScalars.append(scalar)
            }
        }
        return line
    }

    var exitCode: Int32 { kind.rawValue }

    static let exitCodesHelp = """
        Exit codes: 0 done; 1 failed; 3 done in part, some records refused for good (dlq replay); \
        64 wrong command line; 65 input refused; 69 PostgreSQL or Kafka unavailable; \
        75 refused for now (e.g. workers running), try again later.
        """
}
