import Foundation
import HubCore
import HubDomain
import HubPostgres
import Logging
import Testing

/// `hub-admin report survey`, the real executable, on the demo region with every example event
/// (two activity reports for 2025) processed by the real batch processor.
@Suite("hub-admin report survey", .enabled(if: TestServers.hasDatabase))
struct SurveyReportCommandTests {
    @Test("the 2025 indicators of region 11 and of France, with the response rate and the national figures")
    func survey() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            try await StateStore().importReference(try ExampleEvents.referenceDocument(), on: connection)
            let processor = BatchProcessor(logger: Logger(label: "tests.survey"))
            _ = try await processor.process(try ExampleEvents.consumedMessages(), on: connection)
            #expect(try await connection.query("SELECT count(*) FROM clsm_activity_reports").scalar(Int.self) == 2)

            let table = try await AdminProcess.run(["report", "survey", "--year", "2025", "--region", "11"], schema: schema)
            #expect(table.status == 0, "\(table)")
            let lines = table.standardOutput.components(separatedBy: "\n")
            #expect(lines[0].hasPrefix("Activity reports 2025, region 11 (Île-de-France): 2 of 2 active CLSMs"))
            #expect(lines.contains { $0.hasPrefix("governance") && $0.contains("governance.copil") && $0.contains("85%") })

            let json = try await AdminProcess.run(["report", "survey", "--year", "2025", "--format", "json"], schema: schema)
            #expect(json.status == 0, "\(json)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            #expect(document["scope"] as? String == "national")
            let response = try #require((document["response"] as? [[String: Any]])?.first)
            #expect(response["reports"] as? Int == 2)
            #expect(response["national2022"] as? String == "50%")
            let indicators = try #require(document["indicators"] as? [[String: Any]])
            func row(_ name: String) throws -> [String: Any] { try #require(indicators.first { $0["indicator"] as? String == name }) }
            #expect(try row("governance.copil")["count"] as? Int == 1)
            #expect(try row("governance.copil")["of"] as? Int == 2)
            #expect(try row("governance.copil")["national2018"] as? String == "90%")
            #expect(try row("coordination.vacant")["count"] as? Int == 1)
            #expect(try row("articulation.ptsm")["percent"] as? Int == 100)
            #expect(try row("articulation.ptsm")["source2022"] as? String == "seed 000 l. 1971-1975, 2026")

            let csv = try await AdminProcess.run(["report", "survey", "--year", "2025", "--format", "csv"], schema: schema)
            #expect(
                csv.standardOutput.hasPrefix("section,indicator,label,count,of,percent,national2022,national2018,source2022,source2018\r\n")
            )
            let none = try await AdminProcess.run(["report", "survey", "--year", "2024", "--region", "11"], schema: schema)
            #expect(none.status == 0 && none.standardOutput.contains("0 of 2 active CLSMs"), "\(none)")
            let unknown = try await AdminProcess.run(["report", "survey", "--year", "2025", "--region", "99"], schema: schema)
            #expect(unknown.status == 65, "\(unknown)")
        }
    }
}
