import ArgumentParser
import Foundation
import HubCore
import HubDomain
import HubSimulation
import Logging

/// `hub-bench core`: the workers' own CPU work on one thread, without Kafka or PostgreSQL.
///
/// End-to-end runs share two cores between the workers, PostgreSQL, the broker and the
/// publisher, and their figures move by a third from one run to the next on this host.
/// These two stages are most of the workers' time; timed alone, a change to them can be
/// compared by running the old and new binaries one after the other.
struct Core: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Time the workers' CPU stages on one thread, without servers: decoding (BatchProcessor.prepare) and deciding on the resident state (slices, rules, rows to write).",
        discussion:
            "Batches go through both stages in stream order (set-up first), as hub-workers would take them; nothing is written anywhere.")

    @OptionGroup var data: DataOptions

    @Option(help: "Records per batch (as HUB_BATCH_SIZE).")
    var batchSize: Int = HubConfiguration.defaultBatchSize

    func validate() throws {
        guard HubConfiguration.batchSizes.contains(batchSize) else {
            throw ValidationError("--batch-size must be in \(HubConfiguration.batchSizes)")
        }
    }

    func run() async throws {
        let territory = data.territory
        let processor = BatchProcessor(logger: Logger(label: "hub-bench.core"))
        var resident = ResidentState(HubState(reference: territory.reference))
        var nonResident = HubState()
        var outcome = BatchOutcome()
        var decoding = Duration.zero
        var deciding = Duration.zero
        var records = 0
        var batch: [InboundRecord] = []
        let clock = ContinuousClock()

        func runBatch() {
            var prepared: PreparedBatch?
            decoding += clock.measure { prepared = processor.prepare(batch) }
            deciding += clock.measure {
                outcome = outcome + processor.decideInMemory(prepared!, resident: &resident, nonResident: &nonResident)
            }
            records += batch.count
            batch.removeAll(keepingCapacity: true)
        }
        for event in data.stream(territory) {
            batch.append(event.consumed(at: Int64(records + batch.count)))
            if batch.count == batchSize { runBatch() }
        }
        if !batch.isEmpty { runBatch() }

        func perRecord(_ duration: Duration) -> String {
            let micros = Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
            return String(
                format: "%.1f µs/record (%.0f records/s on one core)", micros / Double(max(records, 1)),
                Double(records) / max(micros / 1e6, 1e-9))
        }
        print("## hub-bench core (\(records) records, batches of \(batchSize), seed \(data.seed))")
        print("")
        print("| stage | time |")
        print("| --- | --- |")
        print("| decode (prepare) | \(perRecord(decoding)) |")
        print("| decide (slices, rules, rows) | \(perRecord(deciding)) |")
        print("| both | \(perRecord(decoding + deciding)) |")
        print("")
        print(
            "applied \(outcome.applied), stale \(outcome.stale), duplicates \(outcome.duplicates), dead letters \(outcome.deadLettered), notifications \(outcome.notifications), state loads \(outcome.stateLoads)"
        )
        print(
            "state at the end: \(resident.state.clsms.count) CLSMs, \(resident.state.sismProposals.count) SISM proposals, \(nonResident.qpvActions.count) QPV actions; peak RSS \(Bench.peakRSS(pid: getpid()).map(Bench.mebibytes) ?? "?")"
        )
    }
}
