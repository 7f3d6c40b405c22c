import Foundation

/// The real `hub-workers` executable, started as a child process for end-to-end and fault
/// tests: built next to the test bundle by `swift build --build-tests`.
final class WorkerProcess: @unchecked Sendable {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["HUB_WORKERS_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("hub-workers")
    }

    let process = Process()
    let logFile: URL

    /// Starts a worker on `schema` (through the libpq `options` parameter) in `group`, as the
    /// test servers' user or, given `databaseURL`, as the role and on the schema it names;
    /// `settings` are set last (e.g. `HUB_REGIONAL_TOPICS`).
    init(
        schema: String, group: String, name: String = "worker", databaseURL given: String? = nil,
        settings: [String: String] = [:]
    ) throws {
        let databaseURL = try TestServers.requireDatabaseURL()
        let separator = databaseURL.contains("?") ? "&" : "?"
        var environment = ProcessInfo.processInfo.environment
        environment["HUB_DATABASE_URL"] = given ?? databaseURL + separator + "options=-c%20search_path%3D" + schema
        environment["HUB_KAFKA_BROKERS"] = try TestServers.requireKafkaBrokers()
        environment["HUB_GROUP_ID"] = group
        environment["HUB_KAFKA_SESSION_TIMEOUT_MS"] = "4000"
        environment["HUB_KAFKA_HEARTBEAT_INTERVAL_MS"] = "500"
        environment["HUB_METRICS_PORT"] = "0"
        environment["HUB_LOG_LEVEL"] = "info"
        environment.merge(settings) { _, setting in setting }
        process.executableURL = Self.binary
        process.environment = environment
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(group)-\(name).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then waits for the exit; returns the exit status.
    @discardableResult
    func stop(timeout: Duration = .seconds(30)) async -> Int32 {
        if process.isRunning { process.terminate() }
        return await waitForExit(timeout: timeout)
    }

    /// SIGKILL: the process dies wherever it is, as in a crash.
    func kill() async {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        _ = await waitForExit(timeout: .seconds(10))
    }

    /// Waits for the process to end by itself (SIGKILL after `timeout`); its exit status.
    func waitForExit(timeout: Duration) async -> Int32 {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: timeout)
        while process.isRunning, clock.now < end {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    /// The port of the worker's `/metrics`, `/livez` and `/readyz` (it was started with port
    /// 0), from the line its endpoint logs once listening.
    func metricsPort(within timeout: Duration = .seconds(30)) async throws -> Int {
        let end = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < end {
            for line in log.split(separator: "\n") where line.contains("metrics and health endpoint listening") {
                // address=[IPv4]127.0.0.1/127.0.0.1:PORT
                if let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
                    let port = address.split(separator: ":").last.flatMap({ Int($0) })
                {
                    return port
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HTTPProbe.Failure(description: "the worker logged no metrics endpoint within \(timeout)")
    }

    /// The worker's log, for failure messages.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
}
