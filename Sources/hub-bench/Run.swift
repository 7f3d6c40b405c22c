import ArgumentParser
import Foundation
import HubCore
import HubDomain
import HubKafka
import HubPostgres
import HubSimulation
import Logging

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Publish a synthetic stream to Kafka, let a hub-workers child process handle it, and report throughput, latency and memory.",
        discussion: """
            Steps: fresh schema bench_<timestamp> (migrated, synthetic reference data imported), \
            topics created, a fresh consumer group whose offsets start at the current end of the \
            five inbound topics, hub-workers started on them; then the set-up records (CLSM \
            declarations, PTSM diagnostics) are published and awaited, then the activity records \
            as fast as the idempotent producer acknowledges them. The run ends when every record \
            is in hub_inbox or hub_dead_letters (duplicates aside) and the outbox is drained.
            """)

    @OptionGroup var data: DataOptions

    @Option(help: "Records per inbound batch in the workers (passed as HUB_BATCH_SIZE).")
    var batchSize: Int = HubConfiguration.defaultBatchSize

    @Option(help: "Records per producer send (each send awaits the broker's acknowledgements).")
    var publishChunk: Int = 5000

    @Option(
        help:
            "Publish at most this many activity records per second (default: as fast as the broker acknowledges). A rate the hub sustains measures latency without a backlog."
    )
    var rate: Int?

    @Option(help: "The hub-workers executable (default: next to hub-bench).")
    var workersBinary: String?

    @Option(help: "HUB_LOG_LEVEL of the workers.")
    var workersLogLevel: String = "info"

    @Option(help: "Seconds to wait for the hub to catch up after the last record is published.")
    var timeout: Int = 3600

    @Flag(help: "Keep the bench schema (dropped by default).")
    var keep = false

    @Option(
        help:
            "Share of the activity records replaced by hostile ones (random bytes, deep nesting, NUL, invalid UTF-8, hostile headers, out-of-range times, oversize...), 0...1. The run then fails if a record is unaccounted for, a dead letter is internal, or the workers exit."
    )
    var hostileFraction: Double = 0

    func validate() throws {
        guard (0...1).contains(hostileFraction) else { throw ValidationError("--hostile-fraction must be in 0...1") }
    }

    func run() async throws {
        let (configuration, databaseURL) = try Bench.configurationFromEnvironment()
        var logger = Logger(label: "hub.bench")
        logger.logLevel = .warning
        let bench = try await Bench.prepare(
            configuration: configuration, databaseURL: databaseURL, data: data,
            hostileMix: HostileMix(seed: data.seed, fraction: hostileFraction), logger: logger)
        var failure: Error?
        do {
            try await bench.start(
                workersBinary: workersBinary.map { URL(fileURLWithPath: $0) } ?? Bench.defaultWorkersBinary,
                batchSize: batchSize, logLevel: workersLogLevel)
            try await bench.publishAndMeasure(publishChunk: publishChunk, rate: rate, timeout: .seconds(timeout))
            try await bench.checkEveryRecord()
        } catch {
            failure = error
            say("hub-bench: \(error)")
            // What became of each record so far says which one stopped or broke the workers.
            if !(error is RunFailure) { await bench.printAccountingAfterFailure() }
        }
        await bench.finish(keep: keep)
        if let failure { throw failure }
    }
}
