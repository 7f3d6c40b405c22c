import Foundation
import HubDomain
import Testing

/// hub-workers with a tiny `HUB_BATCH_MAX_BYTES`: every poll is cut into many batches, the
/// rest of each poll carried over before anything newer, and the outcome is the same.
extension SharedTopicsTests {
    @Suite("Batches bounded by bytes")
    struct BatchBudgetWorkerTests {
        typealias Faults = FaultTests

        @Test("a 4 KiB budget: small batches, nothing lost, nothing doubled, order kept")
        func smallBudget() async throws {
            let run = try await HubTestRun.start(reference: Faults.scenario.reference)
            let worker = try run.startWorker("budget", settings: ["HUB_BATCH_MAX_BYTES": "4096"])
            try await Faults.publish(Faults.scenario.setup, with: run)
            #expect(try await run.waitUntilCaughtUp(), "set-up not processed; worker log:\n\(worker.log.suffix(3000))")
            try await Faults.publish(Faults.scenario.activity, with: run)
            try await Faults.expectConsistentOutcome(run, workers: [worker])

            let sizes = Self.batchSizes(in: worker.log)
            #expect(sizes.reduce(0, +) >= Faults.scenario.setup.count + Faults.scenario.activity.count)
            // A few kilobytes hold a handful of records (the smallest hostile ones are tens of
            // bytes): never the hundreds a poll brings.
            #expect(sizes.max() ?? 0 < 100, "largest batch \(sizes.max() ?? 0)")
            #expect(sizes.count > 30, "\(sizes.count) batches")
            #expect(await worker.stop() == 0)
            await run.finish()
        }

        /// The `records=` of each "batch committed" line.
        static func batchSizes(in log: String) -> [Int] {
            log.split(separator: "\n").filter { $0.contains("batch committed") }.compactMap { line in
                guard let range = line.range(of: "records=") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
    }
}
