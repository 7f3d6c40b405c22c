import ArgumentParser
import HubDomain
import HubPostgres

extension Report {
    /// `report survey --year Y [--region R]`: the national survey's indicators recomputed
    /// from the latest activity reports (`SurveyReport`).
    struct Survey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "The 2022 national survey's indicators recomputed from the year's activity reports, national or for a region, beside the 2022 and 2018 national figures.",
            discussion: """
                Sections: response (reports of the year over active CLSMs), indicators (one row per indicator: \
                count, base, percent, national 2022 and 2018 figures and their seed lines). Without --region, \
                every region the role may read. --format csv prints one section: indicators unless --section response.
                """)

        @Option(help: "The year reported on.")
        var year: Int

        @Option(help: "INSEE region code (also the ARS id); national without it.")
        var region: String?

        @OptionGroup var output: OutputOptions
        @OptionGroup var destination: ReportDestination

        func run() async throws {
            let state = try await AdminContext().withDatabase(doing: "read the activity reports of \(year) from PostgreSQL") { database in
                if let region, let readable = try await HubRoles.readableRegions(on: database), !readable.contains(region) {
                    throw AdminFailure.refusedInput(
                        "this PostgreSQL role may not read region \(region) (row-level security; its regions: "
                            + "\(readable.isEmpty ? "none" : readable.joined(separator: ", "))); hub-admin roles reader grants regions")
                }
                return try await StateStore().loadSurvey(year: year, region: region, on: database)
            }
            let report = try RegionOptions.refusing { () throws(RegionReportRefusal) in
                try SurveyReport(state: state, year: year, region: region)
            }
            let section = destination.section ?? (output.format == .csv ? "indicators" : nil)
            try destination.write(try report.document.text(as: output.format, section: section))
        }
    }
}
