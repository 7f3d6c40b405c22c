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
    static func environmentScript(_ action: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [repositoryRoot.appendingPathComponent("scripts/env.sh").path, action]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ScriptFailed(action: action, status: process.terminationStatus)
        }
    }

    /// A name no other test run uses, for topics, groups and schemas.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    struct MissingServer: Error, CustomStringConvertible {
        let name: String
        var description: String { "\(name) is not set: start the servers with scripts/test.sh (or scripts/env.sh up and source .hub-env/env)" }
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        let action: String
        let status: Int32
        var description: String { "scripts/env.sh \(action) exited with \(status)" }
    }
}
