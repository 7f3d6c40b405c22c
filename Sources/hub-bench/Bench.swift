import ArgumentParser
import Foundation
import HubCore
import HubDomain
import HubKafka
import HubPostgres
import HubSimulation
import Logging

/// One benchmark run: its schema, group, data, child process and figures.
final class Bench: @unchecked Sendable {
    static var defaultWorkersBinary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hub-workers")
    }

    let configuration: HubConfiguration
    let databaseURL: String
    let data: DataOptions
    let hostileMix: HostileMix
    let logger: Logger
    let schema: String
    let group: String
    let territory: SyntheticTerritory
    let stream: SyntheticEventStream
    let database: PostgresConnection
    let admin: KafkaAdmin
    var workers: Process?
    /// The pid hub-bench started the workers with (they are never restarted).
    var workersPid: Int32 = 0
    /// Where every published record was written.
    var ledger = PublishLedger()
    var workersLog: URL?
    var workersPeakRSS: Int?
    /// Publish instants (seconds since 1970) by stream sequence; NaN where not published (yet).
    var publishTimes: [Double]
    var expected = Expected()
    let clock = ContinuousClock()

    struct Expected {
        var processed = 0
        var deadLetters: [String: Int] = [:]
        var duplicates = 0
        /// Hostile records: processed or dead-lettered, which is for the hub to say.
        var hostile = 0
        var published = 0
        var accountable: Int { processed + deadLetters.values.reduce(0, +) + hostile }

        mutating func add(_ record: BenchRecord) {
            published += 1
            if record.hostile != nil {
                hostile += 1
                return
            }
            switch record.event.expectation {
            case .applied, .stale: processed += 1
            case .duplicate: duplicates += 1
            case .deadLetter(let code): deadLetters[code.rawValue, default: 0] += 1
            }
        }
    }

    private init(
        configuration: HubConfiguration, databaseURL: String, data: DataOptions, hostileMix: HostileMix, logger: Logger,
        schema: String, group: String, territory: SyntheticTerritory, database: PostgresConnection, admin: KafkaAdmin
    ) {
        self.configuration = configuration
        self.databaseURL = databaseURL
        self.data = data
        self.hostileMix = hostileMix
        self.logger = logger
        self.schema = schema
        self.group = group
        self.territory = territory
        self.stream = data.stream(territory)
        self.database = database
        self.admin = admin
        self.publishTimes = Array(repeating: .nan, count: data.events)
    }

    /// Schema migrated and loaded, topics created, the group's offsets at the end of the topics.
    static func prepare(
        configuration: HubConfiguration, databaseURL: String, data: DataOptions, hostileMix: HostileMix,
        logger: Logger
    ) async throws -> Bench {
        let stamp = Self.stamp()
        let schema = "bench_" + stamp
        let group = "hub-bench-" + stamp
        say(
            "hub-bench run: \(data.events) events, seed \(data.seed)"
                + (hostileMix.fraction > 0 ? ", hostile fraction \(hostileMix.fraction)" : "") + ", schema \(schema), group \(group)")
        say("  kafka \(configuration.kafka.brokers), database \(configuration.database)")

        let started = ContinuousClock.now
        let territory = data.territory
        say(
            "  synthetic territory: \(territory.reference.communes.count) communes, \(territory.reference.qpvs.count) QPVs, \(territory.clsms.count) CLSMs, \(territory.reference.cls.count) CLS, \(territory.reference.asvs.count) ASV (\(Self.seconds(ContinuousClock.now - started)) s)"
        )

        let setup = try await ServerConnections.connectDatabase(configuration.database, logger: logger)
        try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema, logger: logger).migrate(on: setup)
        await setup.close()
        let database = try await PostgresConnection.connect(configuration.database.withSearchPath([schema]), logger: logger)
        try await StateStore().importReference(territory.reference, on: database)
        say("  schema \(schema) migrated, reference data imported")

        let admin = try KafkaAdmin(configuration: configuration.kafka, logger: logger)
        try await ServerConnections.waitForKafka(admin, brokers: configuration.kafka.brokers, logger: logger)
        _ = try await admin.createTopics(HubTopics.specifications())
        let offsets = try await endOffsets(admin: admin, configuration: configuration, group: group, logger: logger)
        try await admin.commitOffsets(group: group, offsets)
        say("  group \(group) starts at the end of the inbound topics (\(offsets.map(\.offset).reduce(0, +)) earlier records skipped)")
        return Bench(
            configuration: configuration, databaseURL: databaseURL, data: data, hostileMix: hostileMix, logger: logger,
            schema: schema, group: group, territory: territory, database: database, admin: admin)
    }

    /// Where each inbound partition ends, so that the run's group reads only the run's
    /// records. The high watermark is not enough: Tansu 0.6 (memory storage) reports one
    /// that can lag behind the last record of a partition (by up to a produce batch). So a
    /// throw-away consumer also reads what is there until the topics go quiet, and the end
    /// is the larger of the two.
    /// The hub's configuration from the environment, and the database URL as given (each
    /// run makes its own schema on it); a usage error naming what is wrong otherwise.
    static func configurationFromEnvironment() throws -> (configuration: HubConfiguration, databaseURL: String) {
        let environment = HubEnvironment()
        let configuration: HubConfiguration
        do {
            configuration = try HubConfiguration(environment: environment)
        } catch {
            throw ValidationError("\(error)")
        }
        guard let databaseURL = environment["HUB_DATABASE_URL"] else { throw ValidationError("HUB_DATABASE_URL is not set") }
        return (configuration, databaseURL)
    }

    static func endOffsets(
        admin: KafkaAdmin, configuration: HubConfiguration, group: String, topics: [String] = HubTopics.inbound,
        logger: Logger
    ) async throws -> [TopicPartitionOffset] {
        var ends: [TopicPartition: Int64] = [:]
        for topic in topics {
            for partition in try await admin.partitions(of: topic) {
                let key = TopicPartition(topic: topic, partition: partition)
                ends[key] = try await admin.watermarks(of: key).high
            }
        }
        let consumer = try KafkaConsumer(
            configuration: configuration.kafka, groupID: group + "-skip",
            topics: topics, logger: logger)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(600))
        var quietSince = clock.now
        var read = 0
        while clock.now < deadline {
            let messages = try await consumer.poll(maxCount: 5000, timeout: .milliseconds(500))
            for message in messages {
                let key = TopicPartition(topic: message.topic, partition: message.partition)
                ends[key] = max(ends[key] ?? 0, message.offset + 1)
            }
            read += messages.count
            if !messages.isEmpty {
                quietSince = clock.now
            } else if try await consumer.assignment().count == ends.count, clock.now - quietSince > .seconds(2) {
                break
            }
        }
        try await consumer.close()
        if read > 0 { say("  read \(read) earlier records to find where the partitions of \(topics.joined(separator: ", ")) end") }
        return ends.keys.sorted().map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: ends[$0]!) }
    }

    static func stamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        return String(
            format: "%04d%02d%02d_%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    // MARK: - The workers

    func start(workersBinary: URL, batchSize: Int, logLevel: String) async throws {
        guard FileManager.default.isExecutableFile(atPath: workersBinary.path) else {
            throw ValidationError("no hub-workers executable at \(workersBinary.path) (build it, or give --workers-binary)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["HUB_GROUP_ID"] = group
        environment["HUB_DATABASE_URL"] = Self.url(databaseURL, searchPath: schema)
        environment["HUB_METRICS_PORT"] = String(try Self.freePort())
        environment["HUB_BATCH_SIZE"] = String(batchSize)
        environment["HUB_LOG_LEVEL"] = logLevel
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-\(schema)-workers.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = workersBinary
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        workers = process
        workersPid = process.processIdentifier
        workersLog = log
        say("  hub-workers started: pid \(process.processIdentifier), metrics port \(environment["HUB_METRICS_PORT"]!), log \(log.path)")
    }

    /// The libpq URL with `search_path` set through the `options` parameter.
    /// `settings` (name, value; plain words) are set the same way, after `search_path`.
    static func url(_ url: String, searchPath schema: String, settings: [(String, String)] = []) -> String {
        let options = [("search_path", schema)] + settings
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return url + (url.contains("?") ? "&" : "?") + "options="
                + options.map { "-c%20\($0.0)%3D\($0.1)" }.joined(separator: "%20")
        }
        return url + " options='" + options.map { "-c \($0.0)=\($0.1)" }.joined(separator: " ") + "'"
    }

    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ValidationError("cannot open a socket to find a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        guard bound == 0 else { throw ValidationError("cannot bind a socket to find a free port") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func checkWorkers() throws {
        guard let workers, workers.isRunning else {
            throw WorkersExited(fate: WorkersFate(workers, startedPid: workersPid), logTail: logTail())
        }
    }

    /// The workers are gone before the run's end (a failure of the hub, not of the usage).
    struct WorkersExited: Error, CustomStringConvertible {
        var fate: WorkersFate
        var logTail: String
        var description: String { "hub-workers \(fate.description); last lines of its log:\n\(logTail)" }
    }

    func logTail(lines: Int = 30) -> String {
        guard let workersLog, let text = try? String(contentsOf: workersLog, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    static func peakRSS(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        return nil
    }

    func finish(keep: Bool) async {
        if let workers {
            if workers.isRunning {
                workersPeakRSS = workersPeakRSS ?? Self.peakRSS(pid: workers.processIdentifier)
                workers.terminate()
                let deadline = clock.now.advanced(by: .seconds(30))
                while workers.isRunning, clock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
                if workers.isRunning {
                    kill(workers.processIdentifier, SIGKILL)
                    workers.waitUntilExit()
                }
            }
            say("  hub-workers stopped (exit status \(workers.terminationStatus))")
        }
        if keep {
            say("  kept schema \(schema)")
        } else {
            do {
                _ = try await database.execute("DROP SCHEMA \(identifier: schema) CASCADE")
                say("  dropped schema \(schema)")
            } catch {
                say("  could not drop schema \(schema): \(error)")
            }
        }
        await database.close()
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}

/// `print`, flushed at once: progress lines show up when the output is a log file.
func say(_ text: String) {
    print(text)
    fflush(nil)
}
