import Foundation
import Testing

/// Where the real servers of the integration tests are. `scripts/test.sh` starts them with
/// `scripts/env.sh up` and exports the variables; run alone, `swift test` skips these
/// suites unless `HUB_REQUIRE_SERVERS=1`, in which case a missing server is a failure.
enum TestServers {
    static let environment = ProcessInfo.processInfo.environment

    /// libpq URI of the test database (a user that may create and drop schemas).
    static var databaseURL: String? { environment["HUB_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// bootstrap.servers of the Kafka-compatible broker.
    static var kafkaBrokers: String? { environment["HUB_KAFKA_BROKERS"].flatMap { $0.isEmpty ? nil : $0 } }

    /// The repository root, for scripts/env.sh (fault injection: restart, freeze, thaw).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var required: Bool { environment["HUB_REQUIRE_SERVERS"] == "1" }

    /// True when the suites that need PostgreSQL should run.
    static var hasDatabase: Bool { databaseURL != nil || required }
    /// True when the suites that need Kafka should run.
    static var hasKafka: Bool { kafkaBrokers != nil || required }

    static func requireDatabaseURL() throws -> String {
        guard let url = databaseURL else { throw MissingServer(name: "HUB_DATABASE_URL") }
        return url
    }

    static func requireKafkaBrokers() throws -> String {
        guard let brokers = kafkaBrokers else { throw MissingServer(name: "HUB_KAFKA_BROKERS") }
        return brokers
    }

    /// Runs `scripts/env.sh ACTION` (restart-postgres, freeze-kafka, thaw-kafka).
    ///
    /// posix_spawn and waitpid, not Foundation.Process: on Linux, Process learns that its
    /// child exited when a socket inherited by the child closes, and `pg_ctl restart` hands
    /// it on to the new postmaster, so `waitUntilExit` never returned and the test run hung
    /// (swift-corelibs-foundation#4795). waitpid only looks at the child itself.
    static func environmentScript(_ action: String) throws {
        let arguments = ["/bin/bash", repositoryRoot.appendingPathComponent("scripts/env.sh").path, action]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], nil, nil, argv, environ)
        guard spawned == 0 else { throw ScriptFailed(action: action, status: spawned) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw ScriptFailed(action: action, status: -errno) }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exitStatus == 0 else { throw ScriptFailed(action: action, status: exitStatus) }
    }

    /// A name no other test run uses, for topics, groups and schemas.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    struct MissingServer: Error, CustomStringConvertible {
        let name: String
        var description: String {
            "\(name) is not set: start the servers with scripts/test.sh (or scripts/env.sh up and source .hub-env/env)"
        }
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        let action: String
        let status: Int32
        var description: String { "scripts/env.sh \(action) exited with \(status)" }
    }
}
