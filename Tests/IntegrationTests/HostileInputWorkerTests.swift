import Foundation
import HubCore
import HubDomain
import HubKafka
import HubSimulation
import Testing

/// Issue 15 on the real `hub-workers`: each record that once stopped the worker or ended as
/// an `internal` dead letter, alone on a quiet hub, is dead-lettered with its own code, and
/// the valid record that follows is processed and notified; a record that fails inside
/// PostgreSQL, alone in its batch, is isolated; a dead letter too large for Kafka is parked
/// and the relay goes on.
extension SharedTopicsTests {
    @Suite("Hostile input through hub-workers")
    struct HostileInputWorkerTests {
        /// Runs `body` with a worker on a run with the examples' reference data and the
        /// Saint-Denis CLSM declared (the hostile proposals are its own); then the worker must
        /// stop cleanly. Its log is printed when `body` throws.
        static func withWorker(_ body: (HubTestRun, WorkerProcess) async throws -> Void) async throws {
            let run = try await HubTestRun.start(reference: try ExampleEvents.referenceDocument())
            let worker = try run.startWorker()
            do {
                let declaration = try #require(try ExampleEvents.outgoing().first { $0.topic == "clsm.declared" })
                try await run.producer.send(declaration)
                #expect(try await run.waitUntilCaughtUp(within: .seconds(60)))
                try await body(run, worker)
                #expect(worker.isRunning)
            } catch {
                Issue.record("worker log:\n\(worker.log.suffix(3000))")
                throw error
            }
            #expect(await worker.stop() == 0, "a SIGTERM ends the worker cleanly")
            await run.finish()
        }

        static func deadLetter(at report: DeliveryReport, in run: HubTestRun) async throws -> (code: String, message: String)? {
            let rows = try await run.database.query(
                """
                SELECT error_code, error_message FROM hub_dead_letters
                 WHERE topic = \(report.topic) AND kafka_partition = \(Int64(report.partition)) AND kafka_offset = \(report.offset)
                """)
            return try rows.first.map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
        }

        static func processed(_ id: String, in run: HubTestRun) async throws -> Bool {
            try await run.database.query("SELECT count(*) FROM hub_inbox WHERE event_id = \(id)").scalar(Int.self) == 1
        }

        @Test("each hostile record alone is dead-lettered with its code; the valid one after it is processed and notified")
        func eachAloneThenValid() async throws {
            try await Self.withWorker { run, worker in
                var valid: [OutboundRecord] = []
                for example in HostileInputExamples.all() {
                    let report = try await run.producer.send(example.outgoing)
                    #expect(try await run.waitUntilCaughtUp(within: .seconds(60)), "\(example.name)")
                    let letter = try await Self.deadLetter(at: report, in: run)
                    #expect(letter?.code == example.expectedCode.rawValue, "\(example.name): \(String(describing: letter))")
                    #expect(letter?.message.contains(example.namedField) == true, "\(example.name): \(String(describing: letter))")
                    #expect(worker.isRunning, "the worker stopped on \(example.name)")

                    let next = HostileInputExamples.valid(example.name)
                    valid.append(next)
                    try await run.producer.send(next)
                    #expect(try await run.waitUntilCaughtUp(within: .seconds(60)))
                    #expect(try await Self.processed("valid-\(example.name)", in: run), "after \(example.name)")
                }
                let internalLetters = try await run.database.query(
                    "SELECT count(*) FROM hub_dead_letters WHERE error_code = 'internal'"
                ).scalar(Int.self)
                #expect(internalLetters == 0)
                // The valid proposals' notifications, as the pure core decides them, reached Kafka.
                let declaration = try #require(try ExampleEvents.outgoing().first { $0.topic == "clsm.declared" })
                let records = ([declaration] + valid).map { ($0.topic, $0.value, $0.headers) }
                let expected = try WorkersEndToEndTests.expected(records, reference: try ExampleEvents.referenceDocument())
                let received = try await run.notifications(expecting: expected.notificationIds)
                let ids = Set(received.compactMap { $0.header("ce_id")?.stringValue })
                #expect(expected.notificationIds.isSubset(of: ids), "missing: \(expected.notificationIds.subtracting(ids))")
                #expect(worker.isRunning)
            }
        }

        @Test(
            "a record that fails in PostgreSQL alone is dead-lettered as internal; a dead letter that cannot be stored is retried, never skipped"
        )
        func poisonAloneIsIsolated() async throws {
            try await Self.withWorker { run, worker in
                // A failure no decoder check foresees: PostgreSQL refuses this one event, and,
                // until the test lifts it, refuses every dead letter too.
                try await run.database.executeScript(
                    """
                    CREATE TABLE poison_switch (on_ boolean);
                    INSERT INTO poison_switch VALUES (true);
                    CREATE FUNCTION poison_event() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF NEW.event_id = 'poison-1' THEN RAISE EXCEPTION 'poison record for the test'; END IF;
                        RETURN NEW;
                    END $$;
                    CREATE FUNCTION refuse_dead_letters() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF EXISTS (SELECT 1 FROM poison_switch) THEN RAISE EXCEPTION 'dead letters refused for the test'; END IF;
                        RETURN NEW;
                    END $$;
                    CREATE TRIGGER poison BEFORE INSERT ON hub_event_log FOR EACH ROW EXECUTE FUNCTION poison_event();
                    CREATE TRIGGER poison BEFORE INSERT ON hub_dead_letters FOR EACH ROW EXECUTE FUNCTION refuse_dead_letters();
                    """)
                let poison = OutboundRecord(
                    topic: HostileInputExamples.topic, key: Array(HostileInputExamples.clsmId.utf8),
                    value: HostileInputExamples.proposalJSON(id: "poison-1"), headers: HostileInputExamples.headers(id: "poison-1"))
                let report = try await run.producer.send(poison)
                // The worker retries storing the dead letter: it neither exits nor commits.
                try await Task.sleep(for: .seconds(6))
                #expect(worker.isRunning)
                #expect(worker.log.contains("cannot store a dead letter"), "\(worker.log.suffix(2000))")
                let committed = try await run.admin.committedOffsets(
                    group: run.group, partitions: [TopicPartition(topic: report.topic, partition: report.partition)])
                #expect((committed[TopicPartition(topic: report.topic, partition: report.partition)] ?? 0) <= report.offset)

                try await run.database.execute("DELETE FROM poison_switch")
                #expect(try await run.waitUntilCaughtUp(within: .seconds(60)))
                let letter = try await Self.deadLetter(at: report, in: run)
                #expect(letter?.code == "internal", "\(String(describing: letter))")
                #expect(letter?.message.contains("poison record for the test") == true, "\(String(describing: letter))")

                try await run.producer.send(HostileInputExamples.valid("after-poison"))
                #expect(try await run.waitUntilCaughtUp(within: .seconds(60)))
                #expect(try await Self.processed("valid-after-poison", in: run), "\(worker.log.suffix(3000))")
                #expect(worker.isRunning)
            }
        }

        @Test("a dead letter over Kafka's message size is parked, counted, shown, and the rows behind it go on")
        func oversizedDeadLetterIsParked() async throws {
            try await Self.withWorker { run, worker in
                // The largest record the producer takes (message.max.bytes, 1,000,000 by
                // default), found by trying: its dead letter adds five headers and goes over.
                var size = 1_000_000
                var report: DeliveryReport?
                while report == nil, size > 990_000 {
                    size -= 25
                    let record = OutboundRecord(
                        topic: HostileInputExamples.topic, key: Array(HostileInputExamples.clsmId.utf8),
                        value: Array(repeating: UInt8(ascii: " "), count: size),
                        headers: HostileInputExamples.headers(id: "oversized"))
                    do {
                        report = try await run.producer.send(record)
                    } catch let error as KafkaError where error.isRecordRefused {
                        continue
                    }
                }
                let published = try #require(report, "no record under 1,000,000 bytes was taken")
                try await run.producer.send(HostileInputExamples.valid("after-oversized"))
                #expect(try await run.waitUntilCaughtUp(within: .seconds(90)))
                #expect(try await Self.deadLetter(at: published, in: run)?.code == "too_large")
                #expect(try await Self.processed("valid-after-oversized", in: run))

                let parked = try await run.database.query("SELECT topic, error FROM hub_outbox_parked")
                #expect(parked.count == 1)
                #expect(try parked.first?.decode(String.self, at: 0) == HubTopics.deadLetter)
                #expect(try parked.first?.decode(String.self, at: 1).contains("MSG_SIZE_TOO_LARGE") == true)
                let status = try await HubStatusQueries.outbox(on: run.database)
                #expect(status.first { $0.topic == HubTopics.deadLetter }?.parked == 1)
                #expect(status.allSatisfy { $0.unsent == 0 })
                let delivered = try await run.database.query(
                    "SELECT count(*) FROM hub_outbox_deliveries WHERE parked_at IS NOT NULL AND sent_at IS NULL"
                ).scalar(Int.self)
                #expect(delivered == 1)

                let port = try await worker.metricsPort()
                let metrics = try await HTTPProbe.get(port: port, path: "/metrics")
                #expect(metrics.body.contains(#"hub_outbox_parked_total{topic="hub.deadletter"} 1"#), "\(metrics.body.prefix(3000))")
                #expect(worker.isRunning)
            }
        }
    }
}
