import Foundation

/// Runs the real `hub-admin` executable (built next to the test bundle by
/// `swift build --build-tests`) the way an administrator would, on a test schema.
struct AdminProcess {
    struct Result: CustomStringConvertible {
        var status: Int32
        var standardOutput: String
        var standardError: String

        var description: String { "exit \(status)\nstdout:\n\(standardOutput)\nstderr:\n\(standardError)" }
    }

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["HUB_ADMIN_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("hub-admin")
    }

    /// The environment hub-admin gets: the test servers, `schema` as search_path (through
    /// libpq's `options`), the consumer group `group`, plus `extra`.
    static func environment(schema: String?, group: String?, extra: [String: String] = [:]) throws -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let databaseURL = try TestServers.requireDatabaseURL()
        if let schema {
            let separator = databaseURL.contains("?") ? "&" : "?"
            environment["HUB_DATABASE_URL"] = databaseURL + separator + "options=-c%20search_path%3D" + schema
        }
        environment["HUB_KAFKA_BROKERS"] = try TestServers.requireKafkaBrokers()
        if let group { environment["HUB_GROUP_ID"] = group }
        environment["HUB_KAFKA_SESSION_TIMEOUT_MS"] = "4000"
        for (name, value) in extra { environment[name] = value }
        return environment
    }

    /// Runs `hub-admin arguments...` to its end (killed after `timeout`).
    static func run(
        _ arguments: [String], schema: String?, group: String? = nil, extra: [String: String] = [:],
        timeout: Duration = .seconds(120)
    ) async throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = try environment(schema: schema, group: group, extra: extra)
        let directory = FileManager.default.temporaryDirectory
        let name = "hub-admin-\(UUID().uuidString.prefix(8))"
        let outputFile = directory.appendingPathComponent(name + ".out")
        let errorFile = directory.appendingPathComponent(name + ".err")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Polling isRunning rather than waitUntilExit (see TestServers.environmentScript).
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: timeout)
        while process.isRunning, clock.now < end {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        }
        return Result(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
    }
}
