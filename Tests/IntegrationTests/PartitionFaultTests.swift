import Foundation
import HubCore
import HubDomain
import HubPostgres
import Testing

/// A network partition between one of two real hub-workers and PostgreSQL, made with a
/// loopback proxy that goes silent (`TCPProxy.cut()`: sockets open, nothing forwarded, so
/// neither keepalives nor resets tell anyone). The cut worker's transaction holds the
/// schema's processing lock that the other worker needs; the server ends that transaction
/// (`idle_in_transaction_session_timeout`), the cut worker gives its statement up (reply
/// deadline) and leaves the group (`HUB_DATABASE_OUTAGE_GRACE`), and the other worker takes
/// its partitions over. All with the default timeouts.
extension SharedTopicsTests {
    @Suite("A partition between a worker and PostgreSQL")
    struct PartitionFaultTests {
        typealias Faults = FaultTests

        /// `application_name` of the cut worker's sessions, to find them in pg_stat_activity.
        static let cutApplication = "hub-partitioned"

        /// Key halves of `BatchProcessor.processingLockKey` as pg_locks shows a two-int4
        /// advisory lock: classid the first, objsubid 2.
        static let processingLockClass = Int(BatchProcessor.processingLockKey)

        @Test(
            "a worker cut from PostgreSQL mid-stream: the other takes its partitions over within 60 s; after heal nothing is lost or doubled"
        )
        func partitionedWorker() async throws {
            let run = try await HubTestRun.start(reference: Faults.scenario.reference)
            let base = try TestServers.requireDatabaseURL()
            let direct = try PostgresConfiguration(url: base)
            let proxy = try TCPProxy(targetHost: direct.host ?? "127.0.0.1", targetPort: Int(direct.port ?? "") ?? 5432)
            defer { proxy.close() }
            let proxied = try proxy.proxying(databaseURL: base)
            let cutURL =
                proxied + (proxied.contains("?") ? "&" : "?") + "application_name=\(Self.cutApplication)"
                + "&options=-c%20search_path%3D" + run.schema
            let first = try run.startWorker("cut", databaseURL: cutURL)
            try await Faults.publish(Faults.scenario.setup, with: run)
            #expect(try await run.waitUntilCaughtUp(), "set-up not processed; worker log:\n\(first.log.suffix(3000))")

            let second = try run.startWorker("direct")
            let clock = ContinuousClock()
            let joinDeadline = clock.now.advanced(by: .seconds(60))
            while !second.log.contains("event=assigned([") || !first.log.contains("event=revoked(["), clock.now < joinDeadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(second.log.contains("event=assigned(["), "the second worker got no partition:\n\(second.log.suffix(2000))")

            let redeclarations = Faults.redeclarations()
            let expected = Faults.scenario.processedIdentities.union(redeclarations.identities)
            try await Faults.publish(redeclarations.messages, with: run)
            let beforeCut = Faults.scenario.activity.count * 2 / 3
            try await Faults.publish(Faults.scenario.activity.prefix(beforeCut), with: run)

            // Cut while the first worker holds the processing lock (its transactions last
            // milliseconds: looked for up to 20 s), the case in which it stalls the other.
            let heldAtCut = try await Self.waitForProcessingLock(run)
            proxy.cut()
            let cutAt = clock.now
            let heldAfterCut = try await Self.cutWorkerHoldsProcessingLock(run)
            try await Faults.publish(Faults.scenario.activity.dropFirst(beforeCut), with: run)

            // Every record published, before and after the cut, is in the inbox or the dead
            // letters within 60 s: the second worker took the first one's partitions over.
            var takeover: Duration?
            while clock.now - cutAt < .seconds(60) {
                let processed = try await run.processedCount()
                let deadLetters = try await run.database.query("SELECT count(*) FROM hub_dead_letters").scalar(Int.self)
                if processed >= expected.count && deadLetters >= Faults.scenario.deadLetters {
                    takeover = clock.now - cutAt
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            let report =
                "partition: the cut worker held the processing lock just before the cut: \(heldAtCut), just after: \(heldAfterCut); "
                + "every record in the inbox or the dead letters \(takeover.map { "\($0) after the cut" } ?? "not within 60 s")"
            print(report)
            #expect(
                takeover != nil,
                "\(report)\ncut worker:\n\(first.log.suffix(3000))\n---\nother worker:\n\(second.log.suffix(3000))")
            #expect(first.log.contains("leaving the consumer group"), "the cut worker did not leave the group:\n\(first.log.suffix(3000))")

            proxy.heal()
            try await Faults.expectConsistentOutcome(run, workers: [first, second], alsoProcessed: redeclarations.identities)
            #expect(first.isRunning, "the cut worker exited:\n\(first.log.suffix(3000))")
            #expect(second.isRunning, "the other worker exited:\n\(second.log.suffix(3000))")
            #expect(await first.stop() == 0)
            #expect(await second.stop() == 0)
            await run.finish()
        }

        /// Waits (up to 20 s) until the cut worker's session holds the processing lock; false
        /// if it was not seen.
        static func waitForProcessingLock(_ run: HubTestRun) async throws -> Bool {
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: .seconds(20))
            while clock.now < end {
                if try await cutWorkerHoldsProcessingLock(run) { return true }
            }
            return false
        }

        static func cutWorkerHoldsProcessingLock(_ run: HubTestRun) async throws -> Bool {
            try await run.database.query(
                """
                SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE a.application_name = \(cutApplication) AND l.locktype = 'advisory' AND l.granted
                   AND l.classid = \(processingLockClass)::oid AND l.objsubid = 2
                """
            ).scalar(Int.self) > 0
        }
    }
}
