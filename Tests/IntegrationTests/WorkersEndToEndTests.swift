import Foundation
import HubCore
import HubDomain
import HubPostgres
import Testing

/// The suites that run hub-workers on the contract's topic names: they would read each
/// other's records, so they run one test at a time (`.serialized` applies to every suite
/// nested here), in their own `swift test` invocation (scripts/test.sh), because some
/// also freeze or restart the servers. Two such runs against one broker at the same time
/// (two developers, say) interfere the same way.
@Suite("Shared topics", .serialized, .enabled(if: TestServers.hasKafka && TestServers.hasDatabase))
enum SharedTopicsTests {}

/// hub-workers as users run it: the real executable, real Kafka, real PostgreSQL.
extension SharedTopicsTests {
    @Suite("Workers end to end")
    struct WorkersEndToEndTests {
        /// What the pure core decides for `records`, folded in order over the reference data.
        static func expected(
            _ records: [(topic: String, value: [UInt8], headers: [RecordHeader])],
            reference: ReferenceDataDocument
        ) throws -> (state: HubState, notificationIds: Set<String>) {
            var state = HubState(reference: reference)
            var ids: Set<String> = []
            for record in records {
                guard let event = try? InboundDecoder().decode(topic: record.topic, headers: record.headers, value: record.value),
                    let decision = try? RulesEngine().decide(event, in: state)
                else { continue }
                state.apply(decision.changes)
                ids.formUnion(decision.notifications.map(\.notificationId))
            }
            return (state, ids)
        }

        @Test("declared CLSMs and the other examples come out as notifications on hub.notifications")
        func examplesProduceNotifications() async throws {
            let reference = try ExampleEvents.referenceDocument()
            let run = try await HubTestRun.start(reference: reference)
            let worker = try run.startWorker()
            do {
                let messages = try ExampleEvents.outgoing()
                let records = messages.map { ($0.topic, $0.value, $0.headers) }
                let expected = try Self.expected(records, reference: reference)
                #expect(expected.notificationIds.count > 20)
                // One at a time: records of different topics and partitions have no order
                // between them, and the examples build on each other (a SISM proposal needs its
                // CLSM; a clash is reported on the later of two proposals).
                for message in messages {
                    try await run.producer.send(message)
                    #expect(try await run.waitUntilCaughtUp(within: .seconds(60)))
                }
                let received = try await run.notifications(expecting: expected.notificationIds)
                let ids = Set(received.compactMap { $0.header("ce_id")?.stringValue })
                #expect(
                    ids == expected.notificationIds,
                    "missing: \(expected.notificationIds.subtracting(ids)), unexpected: \(ids.subtracting(expected.notificationIds))")
                // Every notification is a binary-mode CloudEvent keyed by its recipient.
                for message in received {
                    #expect(message.header("ce_type")?.stringValue == "hub.notification.v1")
                    #expect(message.keyString?.contains(":") == true)
                }
                let stored = try await StateStore().loadEverything(on: run.database)
                #expect(stored.clsms == expected.state.clsms)
                #expect(stored.sismProposals == expected.state.sismProposals)
                #expect(stored.processedEvents == expected.state.processedEvents)

                // What operators see: the metrics count what happened, the probes say ok.
                let port = try await worker.metricsPort()
                let metrics = try await HTTPProbe.get(port: port, path: "/metrics")
                #expect(metrics.status == 200)
                let applied = metrics.body.split(separator: "\n").first {
                    $0.hasPrefix("hub_events_total{") && $0.contains(#"topic="clsm.declared""#) && $0.contains(#"outcome="applied""#)
                }
                #expect(applied.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } == 2, "\(applied ?? "no line")")
                // From the third batch on (the second reads the state whole), each is decided
                // on the kept state before its transaction.
                #expect(metrics.body.contains(#"hub_batches_total{decided="before_transaction"}"#), "\(metrics.body.prefix(2000))")
                #expect(metrics.body.contains("hub_outbox_backlog"))
                // Which build runs: the version `--version` prints, the compiler, value 1.
                let buildInfo = metrics.body.split(separator: "\n").first { $0.hasPrefix("hub_build_info{") }
                #expect(buildInfo?.contains(#"version="\#(HubBuild.version)""#) == true, "\(buildInfo ?? "no hub_build_info line")")
                #expect(buildInfo?.contains(#"swift="\#(HubBuild.swiftCompiler)""#) == true, "\(buildInfo ?? "no hub_build_info line")")
                #expect(buildInfo.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } == 1, "\(buildInfo ?? "no line")")
                // Live and ready, each part ready; /health is still /readyz for the older probes.
                for path in ["/livez", "/readyz", "/health"] {
                    let probe = try await HTTPProbe.get(port: port, path: path)
                    #expect(probe.status == 200 && probe.body.contains(#""status":"ok""#), "\(path): \(probe)")
                    #expect(probe.body.contains(#""consumer":{"status":"ready""#), "\(path): \(probe)")
                    #expect(probe.body.contains(#""outbox-relay":{"detail":"active"#), "\(path): \(probe)")
                }
                // No source registered: the start-up log says the hub runs open.
                #expect(worker.log.contains("no source registered: the hub runs open"), "\(worker.log.prefix(3000))")
            } catch {
                Issue.record("worker log:\n\(worker.log.suffix(3000))")
                throw error
            }
            #expect(await worker.stop() == 0, "a SIGTERM ends the worker cleanly")
            await run.finish()
        }
    }
}
