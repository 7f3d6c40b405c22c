import ArgumentParser
import Foundation

/// A failure hub-admin explains in one line on standard error and reports with an exit
/// code a script can test (documented in `hub-admin --help` and docs/operations.md):
///
/// | code | meaning |
/// | --- | --- |
/// | 0 | done |
/// | 1 | failed for another reason (the message says which) |
/// | 64 | the command line is wrong (swift-argument-parser's usage errors) |
/// | 65 | an input file or value is refused (bad JSON, unknown region, invalid event...) |
/// | 69 | PostgreSQL or Kafka does not answer |
/// | 75 | refused for now: try again later (workers still running during a replay...) |
struct AdminFailure: Error, CustomStringConvertible {
    enum Kind: Int32 {
        case failed = 1
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

    var description: String { message }
    var exitCode: Int32 { kind.rawValue }

    static let exitCodesHelp = """
        Exit codes: 0 done; 1 failed; 64 wrong command line; 65 input refused; \
        69 PostgreSQL or Kafka unavailable; 75 refused for now (e.g. workers running), try again later.
        """
}
