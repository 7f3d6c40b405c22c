import Foundation
import HubDomain
import HubPostgres
import HubSimulation
import Testing

/// Faults injected while hub-workers processes a synthetic stream. Runs in the second
/// `swift test` invocation of scripts/test.sh: it restarts PostgreSQL and freezes the broker.

///
/// What "the same as a run without faults" means here: records of different partitions have
/// no order between them, so two runs may interleave them differently (and, for example,
/// report a SISM clash on the other of the two proposals). What no fault may change, and
/// what each test checks:
/// - exactly the records that should be processed are, each once (inbox = the valid ones);
/// - the stored state is the rules' fold over the event log, in the order it was processed
///   (no effect lost, none applied twice, nothing half-written);
/// - the outbox holds that fold's notifications, each once, and hub.notifications carries
///   every one of them (a relay killed between the broker's acknowledgement and marking a
///   row sent may publish it again: consumers dedupe on ce_id).
extension SharedTopicsTests {
    @Suite("Faults under load")
    struct FaultTests {
        struct Scenario {
            var reference: ReferenceDataDocument
            /// CLSM declarations and first PTSM diagnostics, published and processed first.
            var setup: [OutboundRecord]
            /// SISM proposals and QPV actions (with invalid records and duplicates).
            var activity: [OutboundRecord]
            var processedIdentities: Set<EventIdentity>
            var deadLetters: Int
            /// "code: message" of each record the pure core refuses.
            var rejections: [String]
        }

        /// 1,500 records over a small synthetic territory. CLSM and PTSM updates are left out
        /// of the activity phase: across topics their order against SISM proposals is not
        /// defined, and with it whether a proposal meets an active CLSM.
        static let scenario: Scenario = {
            let territory = SyntheticTerritory.make(seed: 7, clsmCount: 40, qpvCount: 200)
            let options = SyntheticStreamOptions(
                invalidFraction: 0.02, duplicateFraction: 0.02, sismShare: 0.45,
                qpvActionShare: 0.55, clsmUpdateShare: 0, ptsmShare: 0)
            let stream = SyntheticEventStream(territory: territory, seed: 7, count: 1500, options: options)
            let messages = stream.map { $0.outboundRecord() }
            var state = HubState(reference: territory.reference)
            var rejections: [String] = []
            for message in messages {
                do {
                    let event = try InboundDecoder().decode(topic: message.topic, headers: message.headers, value: message.value)
                    state.apply(try RulesEngine().decide(event, in: state).changes)
                } catch {
                    rejections.append("\(error)")
                }
            }
            return Scenario(
                reference: territory.reference, setup: Array(messages.prefix(stream.setupCount)),
                activity: Array(messages.dropFirst(stream.setupCount)),
                processedIdentities: state.processedEvents, deadLetters: rejections.count,
                rejections: rejections.sorted())
        }()

        static func publish(_ messages: some Collection<OutboundRecord>, with run: HubTestRun) async throws {
            for chunk in stride(from: 0, to: messages.count, by: 500) {
                for result in try await run.producer.send(Array(messages.dropFirst(chunk).prefix(500))) { _ = try result.get() }
            }
        }

        /// Starts a run whose set-up phase is already processed by `worker`.
        static func startRun() async throws -> (HubTestRun, WorkerProcess) {
            let run = try await HubTestRun.start(reference: scenario.reference)
            let worker = try run.startWorker("first")
            try await publish(scenario.setup, with: run)
            #expect(try await run.waitUntilCaughtUp(), "set-up not processed; worker log:\n\(worker.log.suffix(3000))")
            return (run, worker)
        }

        static func waitForProgress(_ run: HubTestRun, atLeast count: Int) async throws {
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: .seconds(90))
            while try await run.processedCount() < count, clock.now < end {
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        static func expectConsistentOutcome(
            _ run: HubTestRun, workers: [WorkerProcess],
            alsoProcessed: Set<EventIdentity> = []
        ) async throws {
            let expectedIdentities = scenario.processedIdentities.union(alsoProcessed)
            let caughtUp = try await run.waitUntilCaughtUp()
            #expect(caughtUp, "worker logs:\n\(workers.map { String($0.log.suffix(2000)) }.joined(separator: "\n---\n"))")

            // The oracle: the pure core folded over the event log, in processing order.
            var folded = HubState(reference: scenario.reference)
            var notifications: Set<String> = []
            try await EventLog().forEach(on: run.database) { entry in
                let decision = try RulesEngine().decide(entry.event, in: folded)
                #expect(decision.outcome != .duplicate, "an event was logged twice: \(entry.event.identity)")
                folded.apply(decision.changes)
                notifications.formUnion(decision.notifications.map(\.notificationId))
            }
            #expect(
                folded.processedEvents == expectedIdentities,
                "log vs stream: \(difference(folded.processedEvents, expectedIdentities))")

            let stored = try await StateStore().loadEverything(on: run.database)
            #expect(
                stored.processedEvents == expectedIdentities,
                "inbox vs stream: \(difference(stored.processedEvents, expectedIdentities))")
            #expect(stored.clsms == folded.clsms)
            #expect(stored.ptsms == folded.ptsms)
            #expect(stored.sismProposals == folded.sismProposals)
            #expect(stored.sismProgrammes == folded.sismProgrammes)
            #expect(stored.qpvActions == folded.qpvActions)

            let outbox = try await run.database.query(
                "SELECT notification_id::text FROM hub_outbox WHERE topic = \(HubTopics.notifications)"
            )
            .map { try $0.decode(String.self, at: 0) }
            #expect(outbox.count == Set(outbox).count)
            #expect(Set(outbox) == notifications, "outbox vs log fold: \(difference(Set(outbox), notifications))")
            let received = try await run.notifications(expecting: notifications)
            let relayed = Set(received.compactMap { $0.header("ce_id")?.stringValue })
            #expect(relayed == notifications, "hub.notifications vs log fold: \(difference(relayed, notifications))")
        }

        /// Lines of a worker's log that report a committed batch.
        static func committedBatches(_ worker: WorkerProcess) -> Int {
            worker.log.split(separator: "\n").filter { $0.contains("batch committed") }.count
        }

        /// The set-up's CLSM declarations sent again under new ids (same content: they change no
        /// decision whatever their order against the activity), so that every inbound topic has
        /// records during the activity, whichever member holds it.
        static func redeclarations() -> (messages: [OutboundRecord], identities: Set<EventIdentity>) {
            var identities: Set<EventIdentity> = []
            func header(_ name: String, of message: OutboundRecord) -> String {
                message.headers.first { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            }
            let declarations = scenario.setup.filter { message in
                message.topic == InboundTopic.clsmDeclared.rawValue
                    && scenario.processedIdentities.contains(
                        EventIdentity(source: header("ce_source", of: message), id: header("ce_id", of: message)))
            }
            let messages = declarations.enumerated().map { index, original in
                var message = original
                let id = "redeclared-\(index)"
                message.headers = message.headers.map { $0.name == "ce_id" ? RecordHeader(name: "ce_id", string: id) : $0 }
                identities.insert(EventIdentity(source: header("ce_source", of: message), id: id))
                return message
            }
            return (messages, identities)
        }

        @Test("two workers at the same time share the partitions of one stream")
        func twoWorkersAtOnce() async throws {
            let (run, first) = try await Self.startRun()
            let second = try run.startWorker("second")
            // The second member joins (Tansu lets a join wait for the session timeout), and the
            // group is rebalanced so that each member holds some of the partitions (the
            // cooperative-sticky assignor may give a member whole topics).
            let clock = ContinuousClock()
            let joinDeadline = clock.now.advanced(by: .seconds(60))
            while !second.log.contains("event=assigned([") || !first.log.contains("event=revoked(["), clock.now < joinDeadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(second.log.contains("event=assigned(["), "the second worker got no partition:\n\(second.log.suffix(2000))")
            let firstBefore = Self.committedBatches(first)
            let redeclarations = Self.redeclarations()
            try await Self.publish(redeclarations.messages, with: run)
            try await Self.publish(Self.scenario.activity, with: run)
            try await Self.expectConsistentOutcome(run, workers: [first, second], alsoProcessed: redeclarations.identities)
            #expect(Self.committedBatches(first) > firstBefore, "the first worker processed nothing after the second joined")
            #expect(Self.committedBatches(second) > 0, "the second worker processed nothing:\n\(second.log.suffix(2000))")
            #expect(await second.stop() == 0)
            #expect(await first.stop() == 0)
            await run.finish()
        }

        @Test("kill -9 of a worker in the middle of the stream, then a restart")
        func killedWorker() async throws {
            let (run, first) = try await Self.startRun()
            let processedBefore = try await run.processedCount()
            let half = Self.scenario.activity.count / 2
            try await Self.publish(Self.scenario.activity.prefix(half), with: run)
            try await Self.waitForProgress(run, atLeast: processedBefore + half / 4)
            await first.kill()
            try await Self.publish(Self.scenario.activity.dropFirst(half), with: run)
            let second = try run.startWorker("second")
            try await Self.expectConsistentOutcome(run, workers: [first, second])
            let deadLetters = try await run.database.query("SELECT count(*) FROM hub_dead_letters").scalar(Int.self)
            let stored = try await run.database.query("SELECT error_code || ': ' || error_message FROM hub_dead_letters")
                .map { try $0.decode(String.self, at: 0) }
            let storedCounts = Dictionary(stored.map { ($0, 1) }, uniquingKeysWith: +)
            let expectedCounts = Dictionary(Self.scenario.rejections.map { ($0, 1) }, uniquingKeysWith: +)
            #expect(
                deadLetters == Self.scenario.deadLetters,
                "dead letters vs pure core: \(storedCounts.filter { expectedCounts[$0.key] != $0.value }.map { "\($0.value) vs \(expectedCounts[$0.key] ?? 0): \($0.key.prefix(150))" })"
            )
            #expect(await second.stop() == 0)
            await run.finish()
        }

        @Test("PostgreSQL restarted under load")
        func postgresRestarted() async throws {
            let (run, worker) = try await Self.startRun()
            let processedBefore = try await run.processedCount()
            try await Self.publish(Self.scenario.activity, with: run)
            try await Self.waitForProgress(run, atLeast: processedBefore + Self.scenario.activity.count / 5)
            try TestServers.environmentScript("restart-postgres")
            try await Self.expectConsistentOutcome(run, workers: [worker])
            #expect(await worker.stop() == 0)
            await run.finish()
        }

        @Test("the broker frozen (SIGSTOP) then resumed")
        func brokerFrozen() async throws {
            let (run, worker) = try await Self.startRun()
            let processedBefore = try await run.processedCount()
            let half = Self.scenario.activity.count / 2
            try await Self.publish(Self.scenario.activity.prefix(half), with: run)
            try await Self.waitForProgress(run, atLeast: processedBefore + half / 4)
            try TestServers.environmentScript("freeze-kafka")
            var thawed = false
            defer { if !thawed { try? TestServers.environmentScript("thaw-kafka") } }
            try await Task.sleep(for: .seconds(8))
            try TestServers.environmentScript("thaw-kafka")
            thawed = true
            try await Self.publish(Self.scenario.activity.dropFirst(half), with: run)
            try await Self.expectConsistentOutcome(run, workers: [worker])
            #expect(await worker.stop() == 0)
            await run.finish()
        }

        @Test("the same records published twice take effect once")
        func publishedTwice() async throws {
            let (run, worker) = try await Self.startRun()
            try await Self.publish(Self.scenario.activity, with: run)
            try await Self.publish(Self.scenario.activity, with: run)
            try await Self.expectConsistentOutcome(run, workers: [worker])
            #expect(await worker.stop() == 0)
            await run.finish()
        }
    }
}

/// A short account of how two sets differ, for failure messages.
func difference<T: Hashable>(_ actual: Set<T>, _ expected: Set<T>) -> String {
    let extra = actual.subtracting(expected)
    let missing = expected.subtracting(actual)
    return "\(actual.count) vs \(expected.count): \(missing.count) missing (e.g. \(Array(missing.prefix(3)))), "
        + "\(extra.count) extra (e.g. \(Array(extra.prefix(3))))"
}
