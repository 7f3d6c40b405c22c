import ArgumentParser
import Foundation
import HubCore
import HubDomain
import HubKafka
import HubSimulation
import Logging

/// `hub-bench soak`: the hub under a steady load for a long time, with large records, while
/// `hub-admin purge` applies the retention: whether hub-workers' memory stays flat and the
/// tables stay bounded (issue 18).
struct Soak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Publish at a steady rate for a long time (a share of large records) through hub-workers, sampling its RSS and the tables' sizes and running hub-admin purge periodically.",
        discussion: """
            Works in a fresh schema and group, like `run`. Large records are valid ones whose JSON \
            value is padded with trailing whitespace to --large-bytes (the contract allows 256 KiB \
            per record; the event log keeps them as jsonb, without the padding). The purge deletes \
            inbox identities, so records are not accounted for one by one at the end; the run \
            waits until the group has committed past the last record and the outbox is drained. \
            Exits non-zero when a purge fails, a worker exits by itself, or the workers' RSS at the \
            end is more than --rss-tolerance above its value at --rss-reference-minute.
            """)

    @Option(help: "Minutes of steady publishing.")
    var minutes: Int = 60

    @Option(help: "Activity records published per second.")
    var rate: Int = 150

    @Option(help: "Share of the valid activity records made large, 0...1.")
    var largeFraction: Double = 0.05

    @Option(help: "Size of a large record's value in bytes (padded JSON).")
    var largeBytes: Int = 100_000

    @Option(help: "Share of invalid records (dead letters, which the purge deletes too), 0...1.")
    var invalidFraction: Double = 0.02

    @Option(help: "hub-workers processes in the group.")
    var workers: Int = 1

    @Option(help: "Seconds between samples (RSS, table sizes, lag, load average).")
    var sampleEvery: Int = 60

    @Option(help: "Seconds between purges (0: never).")
    var purgeEvery: Int = 300

    @Option(help: "The purge's horizon (hub-admin purge --older-than; under a day it is run with --force).")
    var purgeOlderThan: String = "5m"

    @Option(help: "Minute whose RSS is the reference of the flatness check (the first minutes include warm-up).")
    var rssReferenceMinute: Int = 10

    @Option(help: "Largest rise of the RSS from the reference minute to the end, as a share (0.10: 10%).")
    var rssTolerance: Double = 0.10

    @Option(help: "Seed of the territory, the stream and which records are large.")
    var seed: UInt64 = 1

    @Option(
        help: """
            Length of the synthetic stream the records are taken from (default: the run's \
            records). The stream's five SISM editions are spread over its whole length, each \
            adding its programme's proposals to the state the workers keep in memory: by \
            default a soak goes through all five; five times its records keeps it within the \
            first edition.
            """)
    var streamEvents: Int?

    @Option(help: "Records per batch for the workers (HUB_BATCH_SIZE).")
    var batchSize: Int = HubConfiguration.defaultBatchSize

    @Option(help: "The hub-workers executable (default: next to hub-bench).")
    var workersBinary: String?

    @Option(help: "The hub-admin executable (default: next to hub-bench).")
    var adminBinary: String?

    @Option(help: "Also write the samples to this file, tab-separated.")
    var samplesFile: String?

    @Flag(help: "Keep the run's schema (dropped by default).")
    var keep = false

    func validate() throws {
        guard minutes > 0, rate > 0, workers > 0, sampleEvery > 0, purgeEvery >= 0, rssReferenceMinute >= 0 else {
            throw ValidationError("--minutes, --rate, --workers and --sample-every must be positive")
        }
        guard (0...1).contains(largeFraction), (0...1).contains(invalidFraction) else {
            throw ValidationError("--large-fraction and --invalid-fraction must be in 0...1")
        }
        guard (1...InboundDecoder.defaultMaxRecordBytes - 4096).contains(largeBytes) else {
            throw ValidationError("--large-bytes must leave room for the headers under the record limit")
        }
        guard HubConfiguration.batchSizes.contains(batchSize) else {
            throw ValidationError("--batch-size must be in \(HubConfiguration.batchSizes)")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let (configuration, databaseURL) = try Bench.configurationFromEnvironment()
        let admin =
            adminBinary.map { URL(fileURLWithPath: $0) }
            ?? Bench.defaultWorkersBinary.deletingLastPathComponent()
            .appendingPathComponent("hub-admin")
        guard FileManager.default.isExecutableFile(atPath: admin.path) else {
            throw ValidationError("no hub-admin executable at \(admin.path) (build it, or give --admin-binary)")
        }
        // Enough records for the whole run; publishing stops when the time is up.
        let events = max(streamEvents ?? 0, rate * minutes * 60 + 2000)
        let data = try DataOptions.parse([
            "--events", String(events), "--seed", String(seed), "--invalid-fraction", String(invalidFraction),
        ])
        var logger = Logger(label: "hub.bench.soak")
        logger.logLevel = .warning
        let bench = try await Bench.prepare(
            configuration: configuration, databaseURL: databaseURL, data: data,
            hostileMix: HostileMix(seed: seed, fraction: 0), logger: logger)
        let run = SoakRun(bench: bench, options: self, adminBinary: admin)
        var failure: Error?
        do {
            try await run.start(
                workersBinary: workersBinary.map { URL(fileURLWithPath: $0) } ?? Bench.defaultWorkersBinary, environment: environment)
            try await run.soak()
            try run.verdict()
        } catch {
            failure = error
            say("hub-bench soak: \(error)")
        }
        await run.stop()
        await bench.finish(keep: keep)
        if let failure { throw failure }
    }
}

/// One minute's look at the hub during a soak.
struct SoakSample: Sendable {
    var minute: Double
    /// VmRSS of each running worker, bytes.
    var rss: [Int]
    /// pg_total_relation_size (table, indexes, TOAST) and live rows (statistics), by table.
    var sizes: [String: Int]
    var rows: [String: Int]
    var published: Int
    var large: Int
    /// Records published but not yet committed by the group.
    var lag: Int64?
    var loadAverage: String

    static let tables = ["hub_inbox", "hub_event_log", "hub_outbox", "hub_outbox_relayed", "hub_dead_letters"]

    static var header: String {
        (["minute", "published", "large", "lag", "rss_mib"] + tables.flatMap { ["\($0)_mib", "\($0)_rows"] } + ["load"])
            .joined(separator: "\t")
    }

    var tsv: String {
        var fields = [String(format: "%.1f", minute), String(published), String(large), lag.map(String.init) ?? "?", rssText]
        for table in Self.tables {
            fields.append(sizes[table].map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "?")
            fields.append(rows[table].map(String.init) ?? "?")
        }
        fields.append(loadAverage)
        return fields.joined(separator: "\t")
    }

    var rssText: String { rss.isEmpty ? "?" : rss.map { String(format: "%.0f", Double($0) / 1_048_576) }.joined(separator: "+") }

    var markdownRow: String {
        let tables = Self.tables.map { table in
            "\(sizes[table].map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "?") MiB / \(rows[table].map(String.init) ?? "?")"
        }
        return "| \(String(format: "%.1f", minute)) | \(published) | \(lag.map(String.init) ?? "?") | \(rssText) MiB | "
            + tables.joined(separator: " | ") + " | \(loadAverage) |"
    }
}

/// One purge during a soak.
struct SoakPurge: Sendable {
    var minute: Double
    var status: Int32
    var took: Double
    var output: String
}

/// A soak: the bench, the workers, the samples and the purges.
final class SoakRun: @unchecked Sendable {
    // @unchecked: samples and purges are appended under `lock` by their own tasks.
    let bench: Bench
    let options: Soak
    let adminBinary: URL
    let clock = ContinuousClock()
    var workers: ChaosWorkers?
    var supervisor: Task<Void, Never>?
    var activityStart = ContinuousClock.now
    private let lock = NSLock()
    private var samples: [SoakSample] = []
    private var purges: [SoakPurge] = []
    private var published = 0
    private var large = 0
    private var largeBytesPublished = 0
    /// One past the last offset published in each inbound partition, kept by the publisher
    /// (the sampler must not read the bench's ledger while the publisher appends to it).
    private var ends: [TopicPartition: Int64] = [:]

    init(bench: Bench, options: Soak, adminBinary: URL) {
        self.bench = bench
        self.options = options
        self.adminBinary = adminBinary
    }

    var schemaURL: String { Bench.url(bench.databaseURL, searchPath: bench.schema) }

    func minutes() -> Double { Bench.elapsed(clock.now - activityStart) / 60 }

    func start(workersBinary: URL, environment: [String: String]) async throws {
        var workerEnvironment = environment
        workerEnvironment["HUB_GROUP_ID"] = bench.group
        workerEnvironment["HUB_DATABASE_URL"] = schemaURL
        workerEnvironment["HUB_METRICS_PORT"] = "0"
        workerEnvironment["HUB_BATCH_SIZE"] = String(options.batchSize)
        workerEnvironment["HUB_LOG_LEVEL"] = "info"
        let workers = try ChaosWorkers(
            binary: workersBinary, environment: workerEnvironment, count: options.workers, logPrefix: "hub-bench-\(bench.schema)")
        self.workers = workers
        supervisor = Task { [clock] in
            let started = clock.now
            while !Task.isCancelled {
                workers.restartUnexpectedExits(at: Bench.elapsed(clock.now - started))
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    func soak() async throws {
        let producer = try KafkaProducer(configuration: bench.configuration.kafka, logger: bench.logger)
        defer { try? producer.close() }
        let setupCount = bench.stream.setupCount
        var (setup, next) = Bench.take(bench.stream.makeIterator(), setupCount, mix: bench.hostileMix)
        try await bench.publish(setup, with: producer)
        setup = []
        try await bench.waitUntilDrained(label: "set-up", stall: .seconds(300), timeout: .seconds(600)) { self.workers?.logTails() ?? "" }
        say(
            "  soak: \(options.minutes) min at \(options.rate) records/s, \(Int(options.largeFraction * 100))% of \(options.largeBytes) bytes, "
                + "purge --older-than \(options.purgeOlderThan) every \(options.purgeEvery) s, a sample every \(options.sampleEvery) s")
        say("  " + SoakSample.header)

        activityStart = clock.now
        let sampler = Task { await self.sampleEveryPeriod() }
        let purger = Task { await self.purgeEveryPeriod() }
        do {
            try await publishSteadily(from: next, with: producer)
        } catch {
            sampler.cancel()
            purger.cancel()
            throw error
        }
        let publishedFor = minutes()
        say(String(format: "  published for %.1f min; waiting for the hub to drain", publishedFor))
        try await bench.waitUntilDrained(label: "drain", stall: .seconds(600), timeout: .seconds(1800)) { self.workers?.logTails() ?? "" }
        sampler.cancel()
        purger.cancel()
        _ = await (sampler.value, purger.value)
        await takeSample()
    }

    /// Publishes at `rate` in chunks of a tenth of a second until the minutes are up; a
    /// seeded share of the valid activity records is padded to `largeBytes`.
    private func publishSteadily(from start: SyntheticEventStream.Iterator, with producer: KafkaProducer) async throws {
        let chunkSize = max(1, options.rate / 10)
        let end = activityStart.advanced(by: .seconds(options.minutes * 60))
        var random = SeededRandom(seed: options.seed, stream: "soak large records")
        var iterator = start
        var sent = 0
        while clock.now < end {
            var (chunk, rest) = Bench.take(iterator, chunkSize, mix: bench.hostileMix)
            guard !chunk.isEmpty else { break }
            iterator = rest
            var largeInChunk = 0
            for index in chunk.indices where chunk[index].event.expectation.isProcessed && random.chance(options.largeFraction) {
                Self.pad(&chunk[index].message, to: options.largeBytes)
                largeInChunk += 1
            }
            let due = activityStart.advanced(by: .seconds(Double(sent) / Double(options.rate)))
            if due > clock.now { try await Task.sleep(until: due, clock: clock) }
            try await bench.publish(chunk, with: producer)
            sent += chunk.count
            let positions = bench.ledger.entries.suffix(chunk.count).map(\.position)
            lock.withLock {
                for position in positions {
                    let key = TopicPartition(topic: position.topic, partition: position.partition)
                    ends[key] = max(ends[key] ?? 0, position.offset + 1)
                }
                published = sent
                large += largeInChunk
                largeBytesPublished += largeInChunk * options.largeBytes
            }
        }
    }

    /// Trailing whitespace: still the same JSON document, as large as wanted.
    static func pad(_ message: inout OutboundRecord, to size: Int) {
        guard message.value.count < size else { return }
        message.value.append(contentsOf: repeatElement(UInt8(ascii: " "), count: size - message.value.count))
    }

    // MARK: - Samples

    private func sampleEveryPeriod() async {
        while !Task.isCancelled {
            await takeSample()
            try? await Task.sleep(for: .seconds(options.sampleEvery))
        }
    }

    private func takeSample() async {
        let rss = (workers?.running ?? []).compactMap { Self.residentBytes(pid: $0.pid) }
        var sizes: [String: Int] = [:]
        var rows: [String: Int] = [:]
        do {
            for row in try await bench.database.query(
                """
                SELECT c.relname::text, pg_total_relation_size(c.oid)::bigint, coalesce(s.n_live_tup, 0)::bigint
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
                 WHERE n.nspname = \(bench.schema) AND c.relname = ANY(\(SoakSample.tables))
                """)
            {
                let name = try row.decode(String.self, at: 0)
                sizes[name] = try row.decode(Int.self, at: 1)
                rows[name] = try row.decode(Int.self, at: 2)
            }
        } catch {
            say("  [sample] tables not readable now: \(error)")
        }
        let lag = try? await groupLag()
        let counts = lock.withLock { (published, large) }
        let loadAverage =
            (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "?"
        let sample = SoakSample(
            minute: minutes(), rss: rss, sizes: sizes, rows: rows, published: counts.0, large: counts.1, lag: lag,
            loadAverage: loadAverage)
        lock.withLock { samples.append(sample) }
        say("  " + sample.tsv)
        if let file = options.samplesFile { Self.append(sample, to: file) }
    }

    private func groupLag() async throws -> Int64 {
        let ends = lock.withLock { self.ends }
        let committed = try await bench.admin.committedOffsets(group: bench.group, partitions: Array(ends.keys))
        return ends.reduce(Int64(0)) { $0 + max(0, $1.value - (committed[$1.key] ?? 0)) }
    }

    static func append(_ sample: SoakSample, to file: String) {
        if !FileManager.default.fileExists(atPath: file) {
            _ = FileManager.default.createFile(atPath: file, contents: Data((SoakSample.header + "\n").utf8))
        }
        guard let handle = FileHandle(forWritingAtPath: file) else { return }
        handle.seekToEndOfFile()
        handle.write(Data((sample.tsv + "\n").utf8))
        try? handle.close()
    }

    /// VmRSS of `pid` in bytes, from /proc.
    static func residentBytes(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        return nil
    }

    // MARK: - Purges

    private func purgeEveryPeriod() async {
        guard options.purgeEvery > 0 else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(options.purgeEvery)) } catch { return }
            await purgeOnce()
        }
    }

    /// `hub-admin purge --older-than H [--force]` on the run's schema; its output kept.
    private func purgeOnce() async {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-\(bench.schema)-purge.out").path
        try? FileManager.default.removeItem(atPath: output)
        var environment = ProcessInfo.processInfo.environment
        environment["HUB_DATABASE_URL"] = schemaURL
        let started = clock.now
        let minute = minutes()
        let status = await ChildProcess.run(
            [adminBinary.path, "purge", "--older-than", options.purgeOlderThan, "--force", "--format", "csv"],
            environment: environment, output: output)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let purge = SoakPurge(
            minute: minute, status: status, took: Bench.elapsed(clock.now - started),
            output: status == 0 ? Self.deletedRows(csv: text) : text.split(whereSeparator: \.isNewline).joined(separator: " / "))
        lock.withLock { purges.append(purge) }
        say(String(format: "  [purge] %.1f min: exit %d in %.1f s: %@", minute, status, purge.took, purge.output))
    }

    /// "table rows, ..." from the purge's CSV listing (table,deleted,seconds; CRLF lines).
    static func deletedRows(csv: String) -> String {
        csv.split(whereSeparator: \.isNewline).dropFirst().map { line in
            line.split(separator: ",").prefix(2).joined(separator: " ")
        }.joined(separator: ", ")
    }

    // MARK: - Verdict

    func stop() async {
        supervisor?.cancel()
        await supervisor?.value
        _ = await workers?.stopAll()
    }

    /// Prints the samples and purges; fails when a purge failed, a worker exited by itself
    /// or the RSS rose more than the tolerance.
    func verdict() throws {
        let (samples, purges, large, largeBytes) = lock.withLock { (self.samples, self.purges, self.large, largeBytesPublished) }
        let published = lock.withLock { self.published }
        say("")
        say("## hub-bench soak (seed \(options.seed))")
        say("")
        say(
            "\(published) activity records published in \(options.minutes) min at \(options.rate)/s (\(Int(options.invalidFraction * 100))% invalid), \(large) large (\(Bench.mebibytes(largeBytes)) of large values); \(options.workers) hub-workers; purge --older-than \(options.purgeOlderThan) every \(options.purgeEvery) s"
        )
        say("")
        say(
            "| minute | published | lag | hub-workers RSS | " + SoakSample.tables.map { "\($0) size / rows" }.joined(separator: " | ")
                + " | load average |")
        say("| ---" + String(repeating: " | ---", count: 4 + SoakSample.tables.count) + " |")
        for sample in samples { say(sample.markdownRow) }
        say("")
        say("| purge at | exit | took | output |")
        say("| --- | --- | --- | --- |")
        for purge in purges { say(String(format: "| %.1f min | %d | %.1f s | %@ |", purge.minute, purge.status, purge.took, purge.output)) }

        var failures: [String] = []
        if options.purgeEvery > 0, purges.isEmpty { failures.append("no purge ran") }
        for purge in purges where purge.status != 0 {
            failures.append(String(format: "the purge at %.1f min exited with %d: %@", purge.minute, purge.status, purge.output))
        }
        for exit in workers?.unexpectedExits ?? [] { failures.append("a worker exited by itself: \(exit)") }
        let reference = samples.first { $0.minute >= Double(options.rssReferenceMinute) }
        if let reference, let last = samples.last, !reference.rss.isEmpty, !last.rss.isEmpty {
            let before = reference.rss.reduce(0, +)
            let after = last.rss.reduce(0, +)
            let change = Double(after - before) / Double(max(before, 1))
            say("")
            say(
                String(
                    format: "RSS: %@ at %.0f min, %@ at the end (%+.1f%%, tolerance %.0f%%)", Bench.mebibytes(before), reference.minute,
                    Bench.mebibytes(after), change * 100, options.rssTolerance * 100))
            if change > options.rssTolerance {
                failures.append(String(format: "the workers' RSS rose %.1f%% from minute %.0f to the end", change * 100, reference.minute))
            }
        } else {
            say("RSS: no sample at or after minute \(options.rssReferenceMinute) to compare with the end")
        }
        for failure in failures { say("FAILED: \(failure)") }
        if !failures.isEmpty { throw RunVerdictFailure(failures: failures, logs: "") }
    }
}
