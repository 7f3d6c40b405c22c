import Foundation
import HubDomain
import HubPostgres
import Testing

/// `hub-admin migrate`, `topics create`, `topics list` and `health`: the real executable
/// against the real servers.
@Suite("hub-admin migrate, topics and health", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct SetupCommandTests {
    static let latestVersion = HubSchema.migrations.map(\.version).max()!

    @Test("migrate brings an empty schema to the latest version, then has nothing to do")
    func migrate() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            let first = try await AdminProcess.run(["migrate"], schema: schema)
            #expect(first.status == 0, "\(first)")
            #expect(
                first.standardOutput.contains(
                    "schema at version \(Self.latestVersion) (\(HubSchema.migrations.count) applied now, 0 before)"),
                "\(first)")
            let tables = try await connection.query(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = \(schema) AND table_name IN ('hub_inbox', 'hub_outbox', 'sism_programmes')"
            ).scalar(Int.self)
            #expect(tables == 3)
            let again = try await AdminProcess.run(["migrate"], schema: schema)
            #expect(again.status == 0, "\(again)")
            #expect(again.standardOutput.contains("(0 applied now, \(HubSchema.migrations.count) before)"), "\(again)")
        }
    }

    @Test("topics create makes every hub topic (idempotent), topics list shows them")
    func topics() async throws {
        let created = try await AdminProcess.run(["topics", "create"], schema: nil)
        #expect(created.status == 0, "\(created)")
        let again = try await AdminProcess.run(["topics", "create"], schema: nil)
        #expect(again.status == 0, "\(again)")
        let listed = try await AdminProcess.run(["topics", "list", "--format", "csv"], schema: nil)
        #expect(listed.status == 0, "\(listed)")
        let lines = listed.standardOutput.split(whereSeparator: \.isNewline)  // CSV lines end in CRLF
        #expect(lines.first == "topic,partitions", "\(listed)")
        let names = Set(lines.dropFirst().compactMap { $0.split(separator: ",").first.map(String.init) })
        for topic in HubTopics.inbound + [HubTopics.notifications, HubTopics.deadLetter] {
            #expect(names.contains(topic), "\(topic) missing from:\n\(listed.standardOutput)")
        }
    }

    @Test("health says ok for both servers, and exits 1 naming the one that does not answer")
    func health() async throws {
        let healthy = try await AdminProcess.run(["health"], schema: nil)
        #expect(healthy.status == 0, "\(healthy)")
        #expect(healthy.standardOutput.contains("postgresql: ok") && healthy.standardOutput.contains("kafka: ok"), "\(healthy)")
        // A port nothing listens on (the discard port).
        let noBroker = try await AdminProcess.run(
            ["health"], schema: nil, extra: ["HUB_KAFKA_BROKERS": "127.0.0.1:9"],
            timeout: .seconds(60))
        #expect(noBroker.status == 1, "\(noBroker)")
        #expect(noBroker.standardOutput.contains("postgresql: ok"), "\(noBroker)")
        #expect(!noBroker.standardOutput.contains("kafka: ok"), "\(noBroker)")
    }
}
