import Foundation
import HubDomain
import HubKafka
import HubPostgres
import Testing

/// The outbox relay killed between the broker's acknowledgement of a batch and the write of
/// its position (`hub_outbox_relayed`): the one place where the hub publishes a record twice
/// by design. The next relay starts from the last position written, so it sends that batch
/// again; consumers deduplicate on `ce_id`, which is the outbox row's `notification_id`.
/// What must hold: nothing lost, and every record seen twice carries the `ce_id` of an
/// outbox row (never a second identity for one notification).
///
/// How the kill lands exactly there without a hook in production code: the test holds
/// `LOCK TABLE hub_outbox_relayed IN SHARE MODE` in an open transaction. SHARE conflicts
/// only with writers of that table (ROW EXCLUSIVE and above): the relay's position INSERT
/// waits, while its reads of the position (ACCESS SHARE) and the workers' batches, which
/// never write that table, go on. Once the relay waits on the lock (seen in `pg_locks`),
/// its batch is acknowledged (the position is written only after the delivery reports),
/// and the test kills hub-workers with SIGKILL. The waiting backend would otherwise write
/// the position as soon as the lock is released (PostgreSQL notices a vanished client only
/// when it next talks to it), so the test ends it first, as a server that noticed the
/// dead client would. One of the `SharedTopicsTests`: it runs hub-workers on the contract's
/// topics.
extension SharedTopicsTests {
    @Suite("Relay killed between acknowledgement and position")
    struct RelayKillFaultTests {
        typealias Faults = SharedTopicsTests.FaultTests

        @Test("kill -9 after the broker acknowledged a batch, before its position: duplicates only with the same ce_id")
        func killedBeforePositionWrite() async throws {
            let (run, first) = try await Faults.startRun()
            let locker = try await PostgresConnection.connect(
                try PostgresConfiguration(url: try TestServers.requireDatabaseURL()).withSearchPath([run.schema]))
            // The lock is held for tens of seconds by an idle transaction: no timeout of the
            // hub's defaults may end it.
            try await locker.executeScript("SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0")

            var acknowledgedNotRecorded: Set<String> = []
            try await locker.transaction { transaction in
                try await transaction.executeScript("LOCK TABLE hub_outbox_relayed IN SHARE MODE")
                try await Faults.publish(Faults.scenario.activity, with: run)

                let waiting = try await Self.relayWaitingOnPosition(on: transaction)
                #expect(waiting != nil, "the relay never waited on its position write; log:\n\(first.log.suffix(3000))")
                // Acknowledged: on the topic. Not recorded: after the last position written.
                let onTopic = try await Self.notificationIDs(of: run)
                let unsent = try await Self.outboxIDs(on: transaction, unsentOnly: true)
                acknowledgedNotRecorded = Set(onTopic.ids).intersection(unsent)
                #expect(!acknowledgedNotRecorded.isEmpty, "no notification was acknowledged and left unrecorded")

                // The lock stops the relay's position only: the worker's batches go on.
                try await Faults.waitForProgress(run, atLeast: Faults.scenario.processedIdentities.count)
                #expect(try await run.processedCount() == Faults.scenario.processedIdentities.count)

                await first.kill()
                // The waiting INSERT of the dead worker must not land when the lock goes.
                try await Self.endSessionsWaitingOnPosition(on: transaction)
            }
            await locker.close()

            let second = try run.startWorker("second")
            try await Faults.expectConsistentOutcome(run, workers: [first, second])

            let outbox = try await Self.outboxIDs(on: run.database, unsentOnly: false)
            let topic = try await Self.notificationIDs(of: run, expecting: outbox)
            let counts = Dictionary(topic.ids.map { ($0, 1) }, uniquingKeysWith: +)
            let duplicated = Set(counts.filter { $0.value > 1 }.keys)
            #expect(Set(topic.ids) == outbox, "hub.notifications vs outbox: \(difference(Set(topic.ids), outbox))")
            #expect(duplicated.isSubset(of: outbox), "records seen twice without an outbox ce_id: \(duplicated.subtracting(outbox))")
            #expect(topic.withoutID == 0, "\(topic.withoutID) records on hub.notifications without a ce_id")
            // The batch left unrecorded was sent again, and only it could be.
            #expect(acknowledgedNotRecorded.isSubset(of: duplicated))
            #expect(duplicated.isSubset(of: acknowledgedNotRecorded))
            print(
                "relay killed before its position: \(outbox.count) notifications, \(topic.ids.count) records on "
                    + "hub.notifications, \(duplicated.count) sent twice (\(acknowledgedNotRecorded.count) acknowledged, not recorded)")
            #expect(await second.stop() == 0)
            await run.finish()
        }

        /// The pid of the session waiting for the lock on this schema's `hub_outbox_relayed`
        /// (the relay's position write), once there is one; nil after 60 s.
        static func relayWaitingOnPosition(on connection: PostgresConnection) async throws -> Int? {
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: .seconds(60))
            while clock.now < end {
                let waiting = try await connection.query(
                    "SELECT pid FROM pg_locks WHERE relation = 'hub_outbox_relayed'::regclass AND NOT granted"
                ).map { try $0.decode(Int.self, at: 0) }
                if let pid = waiting.first { return pid }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }

        /// Ends every session still waiting to write a position, and waits until they are gone.
        /// With the hub's statement timeout, the dead relay's session may be between two tries
        /// (idle: it ends by itself on the closed socket) or waiting again: both are covered.
        static func endSessionsWaitingOnPosition(on connection: PostgresConnection) async throws {
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: .seconds(10))
            while clock.now < end {
                let ended = try await connection.query(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_locks
                     WHERE relation = 'hub_outbox_relayed'::regclass AND NOT granted
                    """
                ).count
                if ended == 0 { try await Task.sleep(for: .milliseconds(200)) }
            }
            let remaining = try await connection.query(
                "SELECT count(*) FROM pg_locks WHERE relation = 'hub_outbox_relayed'::regclass AND NOT granted"
            ).scalar(Int.self)
            #expect(remaining == 0)
        }

        /// The `notification_id`s of the outbox's rows to hub.notifications: all, or only those
        /// after the relay's last recorded position.
        static func outboxIDs(on connection: PostgresConnection, unsentOnly: Bool) async throws -> Set<String> {
            let table = unsentOnly ? "hub_outbox_unsent" : "hub_outbox"
            return Set(
                try await connection.query(
                    "SELECT notification_id::text FROM \(identifier: table) WHERE topic = \(HubTopics.notifications)"
                ).map { try $0.decode(String.self, at: 0) })
        }

        /// Every record on hub.notifications since the run started: the `ce_id`s, repeats
        /// included, and how many had none. Read until every id of `expecting` came and
        /// nothing more for `quiet` (Tansu's high watermarks may lag what a consumer reads,
        /// so the end is not taken from them).
        static func notificationIDs(
            of run: HubTestRun, expecting expected: Set<String> = [], quiet: Duration = .seconds(5)
        ) async throws -> (ids: [String], withoutID: Int) {
            let group = TestServers.uniqueName("relay_kill_reader")
            try await run.admin.commitOffsets(group: group, run.notificationsStart)
            let consumer = try KafkaTestSupport.consumer(group: group, topics: [HubTopics.notifications])
            var ids: [String] = []
            var withoutID = 0
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(120))
            var lastRecord: ContinuousClock.Instant?
            while clock.now < deadline {
                let records = try await consumer.poll(maxCount: 500, timeout: .milliseconds(300))
                for record in records {
                    if let id = record.header("ce_id")?.stringValue { ids.append(id) } else { withoutID += 1 }
                }
                if !records.isEmpty { lastRecord = clock.now }
                if let lastRecord, clock.now - lastRecord >= quiet, expected.isSubset(of: Set(ids)) { break }
            }
            try await consumer.close()
            #expect(lastRecord != nil, "nothing read from hub.notifications")
            return (ids, withoutID)
        }
    }
}
