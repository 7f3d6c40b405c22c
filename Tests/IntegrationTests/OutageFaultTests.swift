import Foundation
import HubDomain
import HubPostgres
import Testing

/// PostgreSQL lost under the real hub-workers: killed with -9 in the middle of a batch
/// transaction, and down for longer than the consumer's `max.poll.interval.ms`. The worker
/// must neither exit nor lose or double an effect (`FaultTests.expectConsistentOutcome`).
extension SharedTopicsTests {
    @Suite("PostgreSQL outages under load")
    struct OutageFaultTests {
        typealias Faults = FaultTests

        @Test("PostgreSQL killed with -9 while a batch transaction is open")
        func postgresKilledMidBatch() async throws {
            let (run, worker) = try await Faults.startRun()
            let processedBefore = try await run.processedCount()
            try await Faults.publish(Faults.scenario.activity, with: run)
            try await Faults.waitForProgress(run, atLeast: processedBefore + Faults.scenario.activity.count / 10)
            let transaction = try await Self.waitForOpenWorkerTransaction(run)
            try TestServers.environmentScript("crash-postgres")
            #expect(transaction != nil, "no batch transaction of hub-workers seen open before the kill")
            try await Faults.expectConsistentOutcome(run, workers: [worker])
            #expect(worker.isRunning, "hub-workers exited after the crash:\n\(worker.log.suffix(3000))")
            #expect(await worker.stop() == 0)
            await run.finish()
        }

        @Test("PostgreSQL down for three times max.poll.interval.ms: the worker leaves the group, rejoins, loses nothing")
        func postgresDownLongerThanPollInterval() async throws {
            let pollInterval = 8
            let run = try await HubTestRun.start(reference: Faults.scenario.reference)
            let worker = try run.startWorker(
                "patient", settings: ["HUB_KAFKA_MAX_POLL_INTERVAL_MS": "\(pollInterval * 1000)"])
            try await Faults.publish(Faults.scenario.setup, with: run)
            #expect(try await run.waitUntilCaughtUp(), "set-up not processed; worker log:\n\(worker.log.suffix(3000))")
            let processedBefore = try await run.processedCount()
            let half = Faults.scenario.activity.count / 2
            try await Faults.publish(Faults.scenario.activity.prefix(half), with: run)
            try await Faults.waitForProgress(run, atLeast: processedBefore + half / 4)

            try TestServers.environmentScript("stop-postgres")
            var started = false
            defer { if !started { try? TestServers.environmentScript("start-postgres") } }
            // Records keep coming while the database is away.
            try await Faults.publish(Faults.scenario.activity.dropFirst(half), with: run)
            try await Task.sleep(for: .seconds(3 * pollInterval))
            #expect(worker.isRunning, "hub-workers exited during the outage:\n\(worker.log.suffix(3000))")
            try TestServers.environmentScript("start-postgres")
            started = true

            try await Faults.expectConsistentOutcome(run, workers: [worker])
            #expect(worker.isRunning, "hub-workers exited after the outage:\n\(worker.log.suffix(3000))")
            #expect(worker.log.contains("leaving the consumer group"), "no leave logged:\n\(worker.log.suffix(3000))")
            #expect(worker.log.contains("rejoined the consumer group"), "no rejoin logged:\n\(worker.log.suffix(3000))")
            #expect(await worker.stop() == 0)
            await run.finish()
        }

        /// Waits (up to 20 s) until a session of hub-workers other than this test's is inside
        /// a transaction, and returns its process id.
        static func waitForOpenWorkerTransaction(_ run: HubTestRun) async throws -> Int? {
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: .seconds(20))
            while clock.now < end {
                let open = try await run.database.query(
                    """
                    SELECT pid FROM pg_stat_activity
                     WHERE pid <> pg_backend_pid() AND datname = current_database()
                       AND backend_type = 'client backend' AND xact_start IS NOT NULL
                       AND query NOT ILIKE '%pg_stat_activity%'
                     LIMIT 1
                    """
                ).map { try $0.decode(Int.self, at: 0) }
                if let pid = open.first { return pid }
            }
            return nil
        }
    }
}
