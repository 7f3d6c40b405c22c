import Foundation
import HubCore
import HubDomain
import HubPostgres
import Testing

/// The real hub-workers logged in as the workers' role of `hub-admin roles workers`: data
/// rights only, under row-level security, no DDL. On the contract's topic names, so in the
/// serialized shared-topics suite.
extension SharedTopicsTests {
    @Suite("Workers as the workers' role")
    struct WorkersRoleEndToEndTests {
        @Test("hub-workers as a role with data rights only processes a declaration into its notifications")
        func processesAsTheWorkersRole() async throws {
            let run = try await HubTestRun.start(reference: try ExampleEvents.referenceDocument())
            let role = TestRole("hub_workers")
            try await TestRole.with([role]) {
                // As an administrator would: the owner grants (hub-admin), a DBA lets it log in.
                let granted = try await AdminProcess.run(["roles", "workers", role.name], schema: run.schema)
                #expect(granted.status == 0, "\(granted)")
                try await role.allowLogin(using: run.database)

                let worker = try run.startWorker(databaseURL: try role.databaseURL(schema: run.schema))
                do {
                    let declaration = try #require(try ExampleEvents.outgoing().first { $0.topic == "clsm.declared" })
                    try await run.producer.send(declaration)
                    #expect(try await run.waitUntilCaughtUp(within: .seconds(90)), "\(worker.log.suffix(2000))")
                    #expect(try await run.processedCount() == 1)
                    let clsms = try await run.database.query("SELECT id FROM clsms").map { try $0.decode(String.self, at: 0) }
                    #expect(clsms == ["clsm-saint-denis"])
                    let notifications = try await run.database.query(
                        "SELECT count(*) FROM hub_outbox WHERE topic = \(HubTopics.notifications)"
                    ).scalar(Int.self)
                    #expect(notifications > 0)
                    // The rows were written by the role (its session), not by the owner.
                    let writers = try await run.database.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE usename = \(role.name) AND datname = current_database()"
                    ).scalar(Int.self)
                    #expect(writers >= 1)
                    let latest = HubSchema.migrations.map(\.version).max() ?? 0
                    #expect(worker.log.contains("schemaVersion=\(latest)"), "\(worker.log.prefix(3000))")
                } catch {
                    Issue.record("worker log:\n\(worker.log.suffix(3000))")
                    throw error
                }
                #expect(await worker.stop() == 0, "a SIGTERM ends the worker cleanly")
            }
            await run.finish()
        }
    }
}
