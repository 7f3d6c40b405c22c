import Foundation
import HubCore
import HubDomain
import HubPostgres
import Logging
import Testing

/// Issue 17, the read side: the roles `hub-admin roles` grants, on a real server. The
/// workers' role processes but runs no DDL; a reporting role sees its regions' read models,
/// through SQL and through `hub-admin report`, and none of the infrastructure tables.
@Suite("Roles and regional row-level security", .enabled(if: TestServers.hasDatabase))
struct RegionalRolesTests {
    let processor = BatchProcessor(logger: Logger(label: "tests.roles"))

    /// A migrated schema holding the demo region (11) processed by the real batch processor,
    /// plus a copy of its read models in another region (84, Lyon) written directly.
    private func withTwoRegions(_ body: (PostgresConnection, String) async throws -> Void) async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            try await StateStore().importReference(try ExampleEvents.referenceDocument(), on: connection)
            let outcome = try await processor.process(try ExampleEvents.consumedMessages(), on: connection)
            try #require(outcome.applied == 11)
            try await connection.executeScript(Self.otherRegion)
            try await body(connection, schema)
        }
    }

    /// Region 84's rows: the demo's read models copied onto a commune and QPV of Lyon.
    static let otherRegion = """
        INSERT INTO ref_regions (code, doc) VALUES ('84', '{"code": "84", "name": "Auvergne-Rhône-Alpes"}');
        INSERT INTO ref_departements (code, region, doc) VALUES ('69', '84', '{"code": "69", "name": "Rhône", "region": "84"}');
        INSERT INTO ref_communes (code, departement, doc) VALUES ('69123', '69', '{"code": "69123", "name": "Lyon", "departement": "69"}');
        INSERT INTO ref_qpvs (code, communes, doc) SELECT 'QN06901M', ARRAY['69123'], doc FROM ref_qpvs LIMIT 1;
        INSERT INTO clsms (id, region, status, communes, departements, record)
            SELECT id || '-lyon', '84', status, ARRAY['69123'], ARRAY['69'], record FROM clsms;
        INSERT INTO ptsms (id, region, version, departements, record)
            SELECT id || '-lyon', '84', version, ARRAY['69'], record FROM ptsms;
        INSERT INTO ptsm_diagnostics (ptsm_id, version, event_source, event_id, diagnostic)
            SELECT ptsm_id || '-lyon', version, event_source, event_id, diagnostic FROM ptsm_diagnostics;
        INSERT INTO sism_proposals (id, clsm_id, edition, commune, region, accepted, cancelled, record)
            SELECT id || '-lyon', clsm_id || '-lyon', edition, '69123', '84', accepted, cancelled, record FROM sism_proposals;
        INSERT INTO sism_programmes (edition, region, tally) SELECT edition, '84', tally FROM sism_programmes;
        INSERT INTO qpv_actions (id, qpv, record) SELECT id || '-lyon', 'QN06901M', record FROM qpv_actions;
        INSERT INTO clsm_activity_reports (clsm_id, year, region, version, record)
            SELECT clsm_id || '-lyon', year, '84', version, record FROM clsm_activity_reports;
        """

    private func strings(_ sql: PostgresQuery, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(sql).map { try $0.decode(String.self, at: 0) }
    }

    private func count(_ table: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM \(identifier: table)").scalar(Int.self)
    }

    @Test("a reporting role sees only its region's read models, and neither the inbox, event log, outbox nor dead letters")
    func readerSeesItsRegion() async throws {
        try await withTwoRegions { owner, schema in
            let ileDeFrance = TestRole("hub_reader11")
            let lyon = TestRole("hub_reader84")
            try await TestRole.with([ileDeFrance, lyon]) {
                let granted = try await HubRoles.grantReader(ileDeFrance.name, regions: ["11"], on: owner)
                #expect(granted.created && !granted.mayCreateInSchema && granted.schema == schema)
                try await HubRoles.grantReader(lyon.name, regions: ["84"], on: owner)
                try await ileDeFrance.allowLogin(using: owner)
                try await lyon.allowLogin(using: owner)

                let reader = try await ileDeFrance.connect(schema: schema)
                defer { Task { await reader.close() } }
                // The owner sees both regions; the reader only its own, table by table.
                #expect(try await strings("SELECT DISTINCT region FROM clsms ORDER BY 1", on: owner) == ["11", "84"])
                #expect(try await strings("SELECT DISTINCT region FROM clsms ORDER BY 1", on: reader) == ["11"])
                #expect(
                    try await strings("SELECT id FROM clsms ORDER BY 1", on: reader)
                        == strings("SELECT id FROM clsms WHERE region = '11' ORDER BY 1", on: owner))
                #expect(try await count("clsms", on: reader) == 2)
                #expect(try await strings("SELECT DISTINCT region FROM ptsms", on: reader) == ["11"])
                #expect(try await strings("SELECT DISTINCT region FROM sism_proposals", on: reader) == ["11"])
                #expect(try await strings("SELECT DISTINCT region FROM sism_programmes", on: reader) == ["11"])
                #expect(try await count("sism_programmes", on: owner) == 2 * count("sism_programmes", on: reader))
                #expect(try await strings("SELECT DISTINCT ptsm_id FROM ptsm_diagnostics", on: reader) == ["ptsm-93"])
                #expect(try await strings("SELECT DISTINCT region FROM clsm_activity_reports", on: reader) == ["11"])
                #expect(try await count("clsm_activity_reports", on: owner) == 2 * count("clsm_activity_reports", on: reader))
                let actions = try await strings("SELECT DISTINCT qpv FROM qpv_actions", on: reader)
                #expect(!actions.isEmpty && !actions.contains("QN06901M"))
                #expect(try await count("qpv_actions", on: owner) == 2 * count("qpv_actions", on: reader))
                // The view reads clsms with the reader's rights (security_invoker), not its owner's.
                #expect(try await strings("SELECT DISTINCT region FROM clsm_articulation", on: owner) == ["11", "84"])
                #expect(try await strings("SELECT DISTINCT region FROM clsm_articulation", on: reader) == ["11"])
                // Reference data is public: every region of it.
                #expect(try await count("ref_regions", on: reader) == 2)

                // The other reader sees the other region only.
                let other = try await lyon.connect(schema: schema)
                #expect(try await strings("SELECT DISTINCT region FROM clsms", on: other) == ["84"])
                #expect(try await strings("SELECT DISTINCT region FROM clsm_articulation", on: other) == ["84"])
                #expect(try await strings("SELECT qpv FROM qpv_actions", on: other).allSatisfy { $0 == "QN06901M" })
                await other.close()

                // No access at all to what carries every region's payloads, nor writing.
                let refused = [
                    "hub_event_log", "hub_inbox", "hub_outbox", "hub_dead_letters", "hub_outbox_deliveries", "hub_schema_migrations",
                ]
                for table in refused {
                    let error = await #expect(throws: PostgresError.self, "\(table)") { try await count(table, on: reader) }
                    #expect(error?.sqlState == "42501", "\(table): \(String(describing: error))")
                    #expect(error?.description.contains("permission denied") == true, "\(String(describing: error))")
                }
                let write = await #expect(throws: PostgresError.self) {
                    try await reader.execute("UPDATE clsms SET status = 'closed'")
                }
                #expect(write?.sqlState == "42501")
                let create = await #expect(throws: PostgresError.self) {
                    try await reader.executeScript("CREATE TABLE \(PostgresIdentifier.quote(schema)).reader_table (x int)")
                }
                #expect(create?.sqlState == "42501")
            }
        }
    }

    @Test("hub-admin report as a reporting role: its region like the owner's report, another region refused")
    func readerRunsReports() async throws {
        try await withTwoRegions { owner, schema in
            let role = TestRole("hub_reader11")
            try await TestRole.with([role]) {
                try await HubRoles.grantReader(role.name, regions: ["11"], on: owner)
                try await role.allowLogin(using: owner)
                let asReader = ["HUB_DATABASE_URL": try role.databaseURL(schema: schema)]

                let arguments = ["report", "articulation", "--region", "11", "--format", "json"]
                let byOwner = try await AdminProcess.run(arguments, schema: schema)
                let byReader = try await AdminProcess.run(arguments, schema: schema, extra: asReader)
                #expect(byOwner.status == 0, "\(byOwner)")
                #expect(byReader.status == 0, "\(byReader)")
                #expect(byReader.standardOutput.contains("\"clsm-saint-denis\""))
                #expect(byReader.standardOutput.contains("\"clsm-aubervilliers\""))
                #expect(!byReader.standardOutput.contains("-lyon"))
                #expect(byReader.standardOutput == byOwner.standardOutput)

                let programme = try await AdminProcess.run(
                    ["report", "sism", "--region", "11", "--edition", "2026", "--format", "json"], schema: schema, extra: asReader)
                #expect(programme.status == 0, "\(programme)")
                #expect(programme.standardOutput.contains("\"events\""))

                // The survey: the reader's national report is its region's, as the owner sees it.
                let surveyArguments = ["report", "survey", "--year", "2025", "--format", "csv"]
                let surveyByOwner = try await AdminProcess.run(surveyArguments + ["--region", "11"], schema: schema)
                let surveyByReader = try await AdminProcess.run(surveyArguments + ["--region", "11"], schema: schema, extra: asReader)
                let nationalByReader = try await AdminProcess.run(surveyArguments, schema: schema, extra: asReader)
                #expect(surveyByReader.status == 0 && nationalByReader.status == 0, "\(surveyByReader) \(nationalByReader)")
                #expect(surveyByReader.standardOutput == surveyByOwner.standardOutput)
                #expect(nationalByReader.standardOutput == surveyByReader.standardOutput)
                #expect(surveyByReader.standardOutput.contains("\r\ngovernance,governance.copil,"))
                let surveyElsewhere = try await AdminProcess.run(
                    ["report", "survey", "--year", "2025", "--region", "84"], schema: schema, extra: asReader)
                #expect(surveyElsewhere.status == 65, "\(surveyElsewhere)")

                // A region the role may not read is refused, not shown empty.
                let elsewhere = try await AdminProcess.run(
                    ["report", "articulation", "--region", "84"], schema: schema, extra: asReader)
                #expect(elsewhere.status == 65, "\(elsewhere)")
                #expect(elsewhere.standardError.contains("may not read region 84"), "\(elsewhere)")
                #expect(elsewhere.standardError.contains("its regions: 11"), "\(elsewhere)")
                // The owner reads region 84 as any region.
                let ownerElsewhere = try await AdminProcess.run(["report", "articulation", "--region", "84"], schema: schema)
                #expect(ownerElsewhere.status == 0, "\(ownerElsewhere)")
            }
        }
    }

    @Test("the workers' role processes every region through row-level security but cannot create or alter a table")
    func workersRoleProcessesWithoutDDL() async throws {
        try await PostgresTestDatabase.withSchema { owner, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: owner)
            try await StateStore().importReference(try ExampleEvents.referenceDocument(), on: owner)
            let role = TestRole("hub_workers")
            try await TestRole.with([role]) {
                let outcome = try await HubRoles.grantWorkers(role.name, on: owner)
                #expect(outcome.created && !outcome.mayCreateInSchema)
                try await role.allowLogin(using: owner)
                let workers = try await role.connect(schema: schema)
                defer { Task { await workers.close() } }

                // What hub-workers does at start-up, then a batch through the real processor.
                let latest = HubSchema.migrations.map(\.version).max()
                #expect(try await PostgresMigrator(migrations: HubSchema.migrations).requireCurrent(on: workers) == latest)
                let processed = try await processor.process(try ExampleEvents.consumedMessages(), on: workers)
                #expect(processed.applied == 11)
                #expect(try await count("clsms", on: workers) == 2)
                #expect(try await count("hub_outbox", on: owner) > 0)
                #expect(try await count("hub_event_log", on: workers) == 11)

                for statement in [
                    "CREATE TABLE \(PostgresIdentifier.quote(schema)).intruder (x int)",
                    "CREATE TABLE intruder (x int)",
                    "ALTER TABLE clsms ADD COLUMN intruder int",
                    "DROP TABLE hub_inbox",
                    "TRUNCATE hub_event_log",
                    "CREATE INDEX intruder ON clsms (status)",
                    "DELETE FROM hub_schema_migrations",
                    "INSERT INTO hub_processing_roles (role) VALUES ('someone')",
                ] {
                    let error = await #expect(throws: PostgresError.self, "\(statement)") { try await workers.executeScript(statement) }
                    #expect(["42501"].contains(error?.sqlState), "\(statement): \(String(describing: error))")
                }
                let ddl = await #expect(throws: PostgresError.self) { try await workers.executeScript("CREATE TABLE intruder (x int)") }
                #expect(ddl?.description.contains("permission denied for schema") == true, "\(String(describing: ddl))")
            }
        }
    }

    @Test("hub-admin migrate grants again: a table a later migration adds is the workers' too")
    func migrateGrantsNewTables() async throws {
        try await PostgresTestDatabase.withSchema { owner, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: owner)
            let role = TestRole("hub_workers")
            try await TestRole.with([role]) {
                try await HubRoles.grantWorkers(role.name, on: owner)
                try await role.allowLogin(using: owner)
                let later = Migration(version: 99, name: "a later table", sql: "CREATE TABLE later_table (x int)")
                _ = try await PostgresMigrator(migrations: HubSchema.migrations + [later], schema: schema).migrate(on: owner)
                let workers = try await role.connect(schema: schema)
                defer { Task { await workers.close() } }
                await #expect(throws: PostgresError.self) { try await workers.execute("INSERT INTO later_table VALUES (1)") }
                #expect(try await HubRoles.grantAgain(on: owner) == [role.name])
                #expect(try await workers.execute("INSERT INTO later_table VALUES (1)") == 1)
                // ...and a schema ahead of the build is refused by the workers' check.
                let ahead = await #expect(throws: PostgresError.self) {
                    try await PostgresMigrator(migrations: HubSchema.migrations).requireCurrent(on: workers)
                }
                #expect(ahead?.description.contains("does not know") == true, "\(String(describing: ahead))")
            }
        }
    }

    @Test("hub-admin roles: workers, reader, list, revoke, as an administrator runs them")
    func rolesCommands() async throws {
        try await PostgresTestDatabase.withSchema { owner, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: owner)
            let workers = TestRole("hub_workers")
            let reader = TestRole("hub_reader")
            try await TestRole.with([workers, reader]) {
                let made = try await AdminProcess.run(["roles", "workers", workers.name], schema: schema)
                #expect(made.status == 0, "\(made)")
                #expect(made.standardOutput.contains("\(workers.name): workers' role"), "\(made)")
                #expect(made.standardOutput.contains("created NOLOGIN"), "\(made)")
                let granted = try await AdminProcess.run(
                    ["roles", "reader", reader.name, "--region", "11", "--region", "93x"], schema: schema)
                #expect(granted.status == 0, "\(granted)")
                #expect(granted.standardError.contains("region 93x is not in the reference data"), "\(granted)")
                let again = try await AdminProcess.run(["roles", "reader", reader.name, "--region", "11"], schema: schema)
                #expect(again.status == 0 && !again.standardOutput.contains("created"), "\(again)")

                let listed = try await AdminProcess.run(["roles", "list", "--format", "csv"], schema: schema)
                #expect(listed.status == 0, "\(listed)")
                #expect(
                    listed.standardOutput
                        == "role,kind,regions,exists,login\r\n\(workers.name),workers,,yes,no\r\n\(reader.name),reader,11 93x,yes,no\r\n",
                    "\(listed)")

                let refused = try await AdminProcess.run(["roles", "reader", reader.name], schema: schema)
                #expect(refused.status == 64, "\(refused)")
                let badName = try await AdminProcess.run(["roles", "workers", "pg_signal_backend"], schema: schema)
                #expect(badName.status == 64, "\(badName)")

                let revoked = try await AdminProcess.run(["roles", "revoke", reader.name, "--region", "93x"], schema: schema)
                #expect(revoked.status == 0, "\(revoked)")
                #expect(try await HubRoles.list(on: owner).first { $0.role == reader.name }?.regions == ["11"])
                let gone = try await AdminProcess.run(["roles", "revoke", workers.name], schema: schema)
                #expect(gone.status == 0, "\(gone)")
                #expect(try await HubRoles.list(on: owner).map(\.role) == [reader.name])
                let privileges = try await owner.query(
                    "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = \(workers.name)"
                ).scalar(Int.self)
                #expect(privileges == 0)
            }
        }
    }

    @Test("every table and view of the migrated schema is either readable by reporting roles or not, by decision")
    func everyTableClassified() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            let relations = try await strings(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \(schema) ORDER BY 1", on: connection)
            let classified = HubRoles.readableByReporting + HubRoles.notReadableByReporting
            #expect(Set(relations) == Set(classified), "unclassified: \(Set(relations).subtracting(classified))")
            #expect(Set(HubRoles.readableByReporting).isDisjoint(with: HubRoles.notReadableByReporting))
            // The read models reporting roles read all have row-level security.
            let secured = try await strings(
                """
                SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = \(schema) AND c.relrowsecurity ORDER BY 1
                """, on: connection)
            #expect(
                Set(secured)
                    == [
                        "clsms", "ptsms", "ptsm_diagnostics", "sism_proposals", "sism_programmes", "qpv_actions", "hub_region_grants",
                        "hub_processing_roles", "clsm_activity_reports",
                    ])
        }
    }

    @Test(
        "hub-workers refuses to start on a schema that is not migrated, and says to run hub-admin migrate",
        .enabled(if: TestServers.hasKafka))
    func workersRefuseUnmigratedSchema() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            let empty = try WorkerProcess(schema: schema, group: TestServers.uniqueName("unmigrated"), name: "unmigrated")
            #expect(await empty.waitForExit(timeout: .seconds(30)) == 1)
            #expect(empty.log.contains("hub_schema_migrations is missing"), "\(empty.log)")
            #expect(empty.log.contains("run hub-admin migrate"), "\(empty.log)")

            _ = try await PostgresMigrator(migrations: Array(HubSchema.migrations.prefix(8)), schema: schema).migrate(on: connection)
            let behind = try WorkerProcess(schema: schema, group: TestServers.uniqueName("behind"), name: "behind")
            #expect(await behind.waitForExit(timeout: .seconds(30)) == 1)
            let latest = HubSchema.migrations.map(\.version).max() ?? 0
            #expect(behind.log.contains("the schema is at version 8 and this hub needs version \(latest)"), "\(behind.log)")
            #expect(behind.log.contains("run hub-admin migrate"), "\(behind.log)")
            // Nothing was created: the workers ran no DDL.
            let tables = try await connection.query(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = \(schema) AND table_name = 'hub_region_grants'"
            ).scalar(Int.self)
            #expect(tables == 0)
        }
    }
}
