import Foundation
import HubCore
import HubPostgres
import Testing

/// Issue 17, part 4: with SASL_SSL and SCRAM set through `HUB_KAFKA_*`, the password shows
/// neither in what `hub-admin status` prints nor in the log of `hub-workers`' start-up, with
/// librdkafka's own security and broker debugging on. The broker is the plaintext test
/// broker, so the clients never authenticate: what is checked is what they print while
/// trying.
@Suite("Kafka secrets in the executables' output", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct KafkaSecretsOutputTests {
    static let password = "Scram-Test-Pa55word-\(UUID().uuidString.prefix(8))"

    static var security: [String: String] {
        [
            "HUB_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "HUB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "HUB_KAFKA_SASL_USERNAME": "clsm-hub",
            "HUB_KAFKA_SASL_PASSWORD": password,
            "HUB_KAFKA_SSL_CA_LOCATION": "/etc/ssl/certs/ca-certificates.crt",
            "HUB_KAFKA_DEBUG": "security,broker",
            "HUB_LOG_LEVEL": "debug",
        ]
    }

    @Test("hub-admin status and hub-workers' start-up never print the SASL password")
    func passwordNeverPrinted() async throws {
        try await PostgresTestDatabase.withSchema { database, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: database)
            let status = try await AdminProcess.run(
                ["status"], schema: schema, group: TestServers.uniqueName("secrets"), extra: Self.security,
                timeout: .seconds(40))
            #expect(status.description.lowercased().contains("kafka"), "it got as far as Kafka: \(status)")
            #expect(!status.description.contains(Self.password), "\(status)")

            // The workers log their configuration first, then wait for Kafka (which they
            // cannot reach over SASL_SSL here): a few seconds of that log is enough.
            var environment = try AdminProcess.environment(
                schema: schema, group: TestServers.uniqueName("secrets"), extra: Self.security)
            environment["HUB_METRICS_PORT"] = "0"
            let log = try await Self.output(of: WorkerProcess.binary, environment: environment, for: .seconds(8))
            #expect(log.contains("sasl.password=<redacted>"), "\(log.prefix(3000))")
            #expect(log.contains("security.protocol=SASL_SSL"))
            #expect(!log.contains(Self.password), "\(log)")
        }
    }

    /// Runs `executable` for `duration`, then SIGTERM (SIGKILL if it lingers); its output.
    static func output(of executable: URL, environment: [String: String], for duration: Duration) async throws -> String {
        let process = Process()
        process.executableURL = executable
        process.environment = environment
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let handle = try FileHandle(forWritingTo: file)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try await Task.sleep(for: duration)
        if process.isRunning { process.terminate() }
        let end = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        }
        return (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }
}
