import Foundation
import HubCore
import HubDomain
import HubKafka
import Testing

/// `hub-admin replay rewind --topic T --from TIME` refuses what it cannot do before it
/// reaches a server (exit 65), preview or --execute. Runs with the first `swift test`
/// invocation: it touches no topic.
@Suite("hub-admin replay rewind: refused input", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct ReplayTopicInputTests {
    private func replay(_ topic: String, from time: String, execute: Bool = false) async throws -> AdminProcess.Result {
        try await AdminProcess.run(
            ["replay", "rewind", "--topic", topic, "--from", time] + (execute ? ["--execute"] : []),
            schema: nil, group: TestServers.uniqueName("replay-refused"))
    }

    @Test("a topic other than the five inbound ones is refused, naming them")
    func unknownTopic() async throws {
        for topic in ["hub.notifications", "hub.deadletter", "clsm.declare"] {
            let result = try await replay(topic, from: "2026-03-01T00:00:00Z", execute: topic == "clsm.declare")
            #expect(result.status == 65, "\(result)")
            #expect(
                result.standardError.contains(
                    "clsm.declared, sism.event.proposed, ptsm.diagnostic.published, qpv.action.recorded, clsm.activity.reported"),
                "\(result)")
        }
    }

    @Test("a time that is not RFC 3339 with an offset is refused")
    func badTime() async throws {
        for time in ["2026-03-01", "2026-03-01T00:00:00", "01/03/2026", "now"] {
            let result = try await replay("clsm.declared", from: time, execute: time == "now")
            #expect(result.status == 65, "\(time): \(result)")
            #expect(result.standardError.contains("RFC 3339"), "\(result)")
        }
    }

    @Test("a time in the future is refused")
    func futureTime() async throws {
        let result = try await replay("clsm.declared", from: SharedTopicsTests.ReplayTopicTests.rfc3339(Date().addingTimeInterval(3600)))
        #expect(result.status == 65, "\(result)")
        #expect(result.standardError.contains("in the future"), "\(result)")
    }

    @Test("--topic without --from, --dry-run with --execute, or the old flags are command-line errors")
    func usage() async throws {
        let alone = try await AdminProcess.run(["replay", "rewind", "--topic", "clsm.declared"], schema: nil)
        #expect(alone.status == 64, "\(alone)")
        let both = try await AdminProcess.run(
            [
                "replay", "rewind", "--topic", "clsm.declared", "--from", "2026-03-01T00:00:00Z",
                "--dry-run", "--execute",
            ], schema: nil)
        #expect(both.status == 64, "\(both)")
        #expect(both.standardError.contains("--dry-run and --execute"), "\(both)")
        for old in [["--rebuild"], ["--topic", "clsm.declared", "--from", "2026-03-01T00:00:00Z"]] {
            let result = try await AdminProcess.run(["replay"] + old, schema: nil)
            #expect(result.status == 64, "\(result)")
        }
    }
}

extension SharedTopicsTests {
    /// The consumer group moved back with real hub-workers: the preview commits nothing (while
    /// they run or not), --execute is refused while they run; once they are stopped, the offsets
    /// go back (checked with KafkaAdmin); restarted, the workers consume everything again as
    /// duplicates: state, inbox and outbox unchanged.
    @Suite("hub-admin replay rewind")
    struct ReplayTopicTests {
        static func rfc3339(_ date: Date) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.string(from: date)
        }

        static let topic = InboundTopic.clsmDeclared.rawValue

        private func committed(_ run: HubTestRun) async throws -> [Int32: Int64] {
            let partitions = try await run.admin.partitions(of: Self.topic).map { TopicPartition(topic: Self.topic, partition: $0) }
            let offsets = try await run.admin.committedOffsets(group: run.group, partitions: partitions)
            return Dictionary(uniqueKeysWithValues: offsets.map { ($0.key.partition, $0.value) })
        }

        private func outbox(_ run: HubTestRun) async throws -> [String] {
            try await run.database.query("SELECT sequence || ' ' || notification_id || ' ' || md5(value) FROM hub_outbox ORDER BY sequence")
                .map { try $0.decode(String.self, at: 0) }
        }

        private func replay(
            _ run: HubTestRun, from time: String, execute: Bool = true,
            format: String = "json"
        ) async throws -> AdminProcess.Result {
            try await AdminProcess.run(
                ["replay", "rewind", "--topic", Self.topic, "--from", time, "--format", format]
                    + (execute ? ["--execute"] : []),
                schema: run.schema, group: run.group)
        }

        /// partition -> [committed, would commit, records to re-read] from a preview's JSON listing.
        private func preview(_ result: AdminProcess.Result) throws -> [String: [Int?]] {
            let rows = try #require(
                try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]],
                "\(result)")
            var moves: [String: [Int?]] = [:]
            for row in rows {
                moves[row["partition"] as! String] = [
                    row["committed"] as? Int, row["would commit"] as? Int,
                    row["records to re-read"] as? Int,
                ]
            }
            return moves
        }

        /// partition -> [committed before, committed after] from hub-admin's JSON listing.
        private func moves(_ result: AdminProcess.Result) throws -> [String: [Int?]] {
            let rows = try #require(
                try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]],
                "\(result)")
            var moves: [String: [Int?]] = [:]
            for row in rows {
                moves[row["partition"] as! String] = [row["committed before"] as? Int, row["committed after"] as? Int]
            }
            return moves
        }

        @Test("refused while workers run; then the group goes back, and the records come again as duplicates")
        func rewindAndReprocess() async throws {
            let reference = try ExampleEvents.referenceDocument()
            let run = try await HubTestRun.start(reference: reference)
            let before = Date()
            var worker = try run.startWorker("first")
            do {
                // The two CLSM declarations on partitions of their own (1 and 2), the other
                // examples as keyed; one at a time, as they build on each other.
                var declarations = 0
                for var message in try ExampleEvents.outgoing() {
                    if message.topic == Self.topic {
                        declarations += 1
                        message.partition = Int32(declarations)
                    }
                    _ = try await run.producer.send(message)
                    #expect(try await run.waitUntilCaughtUp(within: .seconds(90)))
                }
                #expect(declarations == 2)
                // After `middle`, only partition 1 gets a record: the first declaration again.
                try await Task.sleep(for: .milliseconds(20))
                let middle = Date()
                try await Task.sleep(for: .milliseconds(20))
                var again = try #require(try ExampleEvents.outgoing().first { $0.topic == Self.topic })
                again.partition = 1
                _ = try await run.producer.send(again)
                #expect(try await run.waitUntilCaughtUp(within: .seconds(90)))
                let caughtUp = try await committed(run)
                #expect(caughtUp[1] == 2 && caughtUp[2] == 1, "\(caughtUp)")

                let checksum = try await StateChecksum.compute(on: run.database)
                let processed = try await run.processedCount()
                let outboxBefore = try await outbox(run)
                #expect(outboxBefore.count > 20)

                // While the worker runs: the preview shows and says so, --execute is refused;
                // nothing moved.
                let runningPreview = try await replay(run, from: Self.rfc3339(before), execute: false)
                #expect(runningPreview.status == 0, "\(runningPreview)")
                #expect(runningPreview.standardError.contains("hub-workers are running"), "\(runningPreview)")
                #expect(try preview(runningPreview)["\(Self.topic)[1]"] == [2, 0, 2])
                let refused = try await replay(run, from: Self.rfc3339(before))
                #expect(refused.status == 75, "\(refused)")
                #expect(refused.standardError.contains("hub-workers are running"), "\(refused)")
                #expect(try await committed(run) == caughtUp)

                #expect(await worker.stop() == 0)

                // Stopped, without --execute: per partition the committed offset, the target and
                // the records to read again; the broker's committed offsets are unchanged.
                let previewBefore = try await replay(run, from: Self.rfc3339(before), execute: false)
                #expect(previewBefore.status == 0, "\(previewBefore)")
                #expect(previewBefore.standardError.isEmpty, "\(previewBefore)")
                let planned = try preview(previewBefore)
                #expect(planned["\(Self.topic)[1]"] == [2, 0, 2])
                #expect(planned["\(Self.topic)[2]"] == [1, 0, 1])
                // The partitions without a record: nothing to read again.
                #expect(
                    planned.filter { !$0.key.hasSuffix("[1]") && !$0.key.hasSuffix("[2]") }.allSatisfy { ($0.value[2] ?? 0) == 0 },
                    "\(planned)")
                let table = try await replay(run, from: Self.rfc3339(middle), execute: false, format: "table")
                #expect(table.status == 0, "\(table)")
                #expect(table.standardOutput.contains("would commit"), "\(table)")
                #expect(
                    table.standardOutput.contains("preview, nothing committed: group \(run.group) would move back on 1 of "),
                    "\(table)")
                #expect(table.standardOutput.contains(", 1 records to read again; --execute commits it"), "\(table)")
                #expect(try await committed(run) == caughtUp)

                // To `middle`: partition 1 back to its second record; partition 2, whose only
                // record is older, stays at its end (Tansu answers 0 there: checked, not trusted).
                let toMiddle = try await replay(run, from: Self.rfc3339(middle))
                #expect(toMiddle.status == 0, "\(toMiddle)")
                var expected = caughtUp
                expected[1] = 1
                #expect(try await committed(run) == expected)
                let middleMoves = try moves(toMiddle)
                #expect(middleMoves["\(Self.topic)[1]"] == [2, 1])
                #expect(middleMoves["\(Self.topic)[2]"] == [1, 1])

                // To `before`: every declaration again.
                let toBefore = try await replay(run, from: Self.rfc3339(before))
                #expect(toBefore.status == 0, "\(toBefore)")
                expected[1] = 0
                expected[2] = 0
                #expect(try await committed(run) == expected)
                #expect(try moves(toBefore)["\(Self.topic)[2]"] == [1, 0])

                // Restarted, the worker consumes the three records again (its commits show it)...
                worker = try run.startWorker("second")
                #expect(try await run.waitUntilCaughtUp(within: .seconds(180)))
                #expect(try await committed(run) == caughtUp)
                // ...as duplicates: same inbox, same state, same outbox, no new notification id.
                #expect(try await run.processedCount() == processed)
                #expect(try await StateChecksum.compute(on: run.database) == checksum)
                #expect(try await outbox(run) == outboxBefore)
            } catch {
                Issue.record("worker log:\n\(worker.log.suffix(3000))")
                await worker.stop()
                await run.finish()
                throw error
            }
            #expect(await worker.stop() == 0)
            await run.finish()
        }
    }
}
