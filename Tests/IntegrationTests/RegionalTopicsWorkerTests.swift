import Foundation
import HubCore
import HubDomain
import HubKafka
import HubPostgres
import Testing

/// Issue 17, part 2, on the real `hub-workers` and broker: with `HUB_REGIONAL_TOPICS=true`,
/// `hub.notifications.<region>` holds exactly that region's notifications, the records of
/// `hub.notifications` byte for byte; with it off, no regional topic receives anything.
///
/// It runs workers on the contract's topic names, so it belongs with the shared-topic
/// suites (serialized, alone in `scripts/test.sh`), but it neither restarts nor empties the
/// broker: a schema, consumer groups and `ce_source`s of its own, two regions no other test
/// uses (28 Normandie, 94 Corse), and everything read from the offsets it started at.
extension SharedTopicsTests {
    @Suite("Regional topics through hub-workers")
    struct RegionalTopicsWorkerTests {
        static let regions = ["28", "94"]
        static let reference = #"""
            {
              "regions": [{ "code": "28", "name": "Normandie" }, { "code": "94", "name": "Corse" }],
              "departements": [
                { "code": "76", "name": "Seine-Maritime", "region": "28" },
                { "code": "2A", "name": "Corse-du-Sud", "region": "94" }
              ],
              "communes": [
                { "code": "76540", "name": "Rouen", "departement": "76" },
                { "code": "2A004", "name": "Ajaccio", "departement": "2A" }
              ]
            }
            """#

        /// A CLSM declaration in binary mode: governance incomplete, so it notifies the ARS and
        /// the CLSM (four notifications, all in the CLSM's region).
        static func declaration(clsmId: String, region: String, commune: String, source: String) -> OutboundRecord {
            let payload = """
                {"clsmId":"\(clsmId)","name":"CLSM \(clsmId)","region":"\(region)","status":"active","scale":"communal",\
                "communes":["\(commune)"],"governance":{"copil":true,"plenaryAssembly":false,"members":["elected","users"]},\
                "createdOn":"2020-01-15","workingGroups":["housing"]}
                """
            return OutboundRecord(
                topic: InboundTopic.clsmDeclared.rawValue, key: Array(clsmId.utf8), value: Array(payload.utf8),
                headers: [
                    RecordHeader(name: "ce_specversion", string: "1.0"),
                    RecordHeader(name: "ce_id", string: UUID().uuidString.lowercased()),
                    RecordHeader(name: "ce_source", string: source),
                    RecordHeader(name: "ce_type", string: "clsm.declared.v1"),
                    RecordHeader(name: "ce_time", string: "2026-09-01T09:00:00+02:00"),
                    RecordHeader(name: "content-type", string: "application/json"),
                ])
        }

        /// The declarations of one phase: `perRegion` CLSMs in each region.
        static func declarations(perRegion: Int, source: String) -> [OutboundRecord] {
            (0..<perRegion).flatMap { index in
                [
                    declaration(clsmId: "clsm-rouen-\(index)-\(source.suffix(8))", region: "28", commune: "76540", source: source),
                    declaration(clsmId: "clsm-ajaccio-\(index)-\(source.suffix(8))", region: "94", commune: "2A004", source: source),
                ]
            }
        }

        /// What a notification's value says: its region and its cause's ce_source.
        static func regionAndCause(_ record: InboundRecord) -> (region: String, source: String)? {
            guard case .object(let members)? = try? JSONParser.parse(record.value),
                case .string(let region)? = members["region"], case .object(let cause)? = members["cause"],
                case .string(let source)? = cause["source"]
            else { return nil }
            return (region, source)
        }

        @Test("on: each region's topic holds exactly its notifications, as on hub.notifications; off: regional topics receive nothing")
        func regionalTopics() async throws {
            try await PostgresTestDatabase.withSchema { database, schema in
                _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: database)
                try await StateStore().importReference(try ReferenceDataDocument.decode(Array(Self.reference.utf8)), on: database)
                let admin = try KafkaTestSupport.admin()
                let regional = Self.regions.map { HubTopics.regionalNotifications(region: $0)! }

                // hub-admin topics create makes the regional topics of the reference data's regions.
                let created = try await AdminProcess.run(
                    ["topics", "create"], schema: schema, extra: ["HUB_REGIONAL_TOPICS": "true"])
                #expect(created.status == 0, "\(created)")
                for topic in regional + HubTopics.inbound + [HubTopics.notifications] {
                    #expect(created.standardOutput.contains("\(topic): "), "\(topic) in \(created)")
                }

                // Off: the declarations are notified on hub.notifications only.
                let regionalBefore = try await Self.ends(of: regional, admin: admin)
                let off = "urn:test:regional-off:\(UUID().uuidString.lowercased())"
                let offNotifications = try await Self.phase(
                    Self.declarations(perRegion: 1, source: off), source: off, regionalTopics: false, schema: schema,
                    database: database, admin: admin)
                #expect(!offNotifications.isEmpty)
                #expect(try await Self.ends(of: regional, admin: admin) == regionalBefore, "off: no regional topic received anything")

                // On: every notification also on its region's topic.
                let regionalStart = try await Self.ends(of: regional, admin: admin)
                let on = "urn:test:regional-on:\(UUID().uuidString.lowercased())"
                let main = try await Self.phase(
                    Self.declarations(perRegion: 2, source: on), source: on, regionalTopics: true, schema: schema,
                    database: database, admin: admin)
                let byRegion = Dictionary(grouping: main) { Self.regionAndCause($0)?.region ?? "?" }
                #expect(Set(byRegion.keys) == Set(Self.regions), "\(byRegion.keys)")
                for region in Self.regions {
                    let topic = HubTopics.regionalNotifications(region: region)!
                    let expected = byRegion[region] ?? []
                    let expectedIds = Set(expected.compactMap { $0.header("ce_id")?.stringValue })
                    // What the workers wrote for that region, as the outbox holds it.
                    let written = try await database.query(
                        """
                        SELECT notification_id::text FROM hub_outbox
                         WHERE topic = \(HubTopics.notifications) AND convert_from(value, 'UTF8')::jsonb->>'region' = \(region)
                           AND convert_from(value, 'UTF8')::jsonb->'cause'->>'source' = \(on)
                        """
                    ).map { try $0.decode(String.self, at: 0) }
                    #expect(expectedIds == Set(written) && !written.isEmpty, "\(region): hub.notifications has what the outbox holds")
                    let received = try await Self.read(
                        from: regionalStart.filter { $0.topic == topic },
                        until: { records in
                            expectedIds.isSubset(of: Set(records.compactMap { $0.header("ce_id")?.stringValue }))
                        })
                    let mine = received.filter { Self.regionAndCause($0)?.source == on }
                    #expect(Set(mine.compactMap { $0.header("ce_id")?.stringValue }) == expectedIds, "\(topic): exactly \(region)'s")
                    #expect(received.allSatisfy { Self.regionAndCause($0)?.region == region }, "\(topic): no other region's")
                    let mainById = Dictionary(expected.map { ($0.header("ce_id")?.stringValue ?? "", $0) }) { first, _ in first }
                    for record in mine {
                        let original = try #require(mainById[record.header("ce_id")?.stringValue ?? ""])
                        #expect(record.key == original.key)
                        #expect(record.value == original.value)
                        #expect(record.headers == original.headers)
                    }
                }
            }
        }

        /// Runs a worker on `schema` in a fresh group, publishes `declarations`, waits until
        /// they are processed and relayed, stops the worker; returns the notifications their
        /// processing put on hub.notifications.
        static func phase(
            _ declarations: [OutboundRecord], source: String, regionalTopics: Bool, schema: String,
            database: PostgresConnection, admin: KafkaAdmin
        ) async throws -> [InboundRecord] {
            let group = TestServers.uniqueName("regional")
            try await admin.commitOffsets(group: group, try await Self.ends(of: HubTopics.inbound, admin: admin))
            let notificationsStart = try await Self.ends(of: [HubTopics.notifications], admin: admin)
            let outboxBefore = try await database.query(
                "SELECT count(*) FROM hub_outbox WHERE topic = \(HubTopics.notifications)"
            ).scalar(Int.self)
            let worker = try WorkerProcess(
                schema: schema, group: group, name: "regional", settings: ["HUB_REGIONAL_TOPICS": regionalTopics ? "true" : "false"])
            do {
                let producer = try KafkaTestSupport.producer()
                for declaration in declarations { try await producer.send(declaration) }
                try producer.close(timeout: .seconds(5))
                let done = try await Eventually.wait(timeout: .seconds(120)) {
                    let processed = try await database.query(
                        "SELECT count(*) FROM hub_inbox WHERE event_source = \(source)"
                    ).scalar(Int.self)
                    let unsent = try await database.query("SELECT count(*) FROM hub_outbox_unsent").scalar(Int.self)
                    return processed == declarations.count && unsent == 0
                }
                #expect(done, "processed and relayed")
                #expect(worker.isRunning)
            } catch {
                Issue.record("worker log:\n\(worker.log.suffix(3000))")
                throw error
            }
            let status = await worker.stop()
            #expect(status == 0, "a SIGTERM ends the worker cleanly: \(worker.log.suffix(2000))")
            let written =
                try await database.query(
                    "SELECT count(*) FROM hub_outbox WHERE topic = \(HubTopics.notifications)"
                ).scalar(Int.self) - outboxBefore
            let received = try await read(from: notificationsStart) { records in
                records.filter { regionAndCause($0)?.source == source }.count >= written
            }
            return received.filter { regionAndCause($0)?.source == source }
        }

        static func ends(of topics: [String], admin: KafkaAdmin) async throws -> [TopicPartitionOffset] {
            try await HubTestRun.ends(of: topics, admin: admin)
        }

        /// Reads from `starts` until `done` holds for the records read (or 60 s passed).
        static func read(
            from starts: [TopicPartitionOffset], until done: ([InboundRecord]) -> Bool
        ) async throws -> [InboundRecord] {
            let group = TestServers.uniqueName("regional_reader")
            let admin = try KafkaTestSupport.admin()
            try await admin.commitOffsets(group: group, starts)
            let consumer = try KafkaTestSupport.consumer(group: group, topics: Array(Set(starts.map(\.topic))))
            var received: [InboundRecord] = []
            let end = ContinuousClock.now + .seconds(60)
            while !done(received), ContinuousClock.now < end {
                received += try await consumer.poll(maxCount: 500, timeout: .milliseconds(300))
            }
            // A little longer: anything that should not be there has time to show.
            received += try await consumer.poll(maxCount: 500, timeout: .milliseconds(500))
            try await consumer.close()
            return received
        }
    }
}
