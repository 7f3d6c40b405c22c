/// `hub-admin report survey --year Y [--region R]`: the indicators of the national survey of
/// CLSMs (`ActivitySurvey`), recomputed from the latest activity report of each CLSM for the
/// year, national or for one region, with the response rate and the national 2022 and 2018
/// figures beside each.
///
/// The base of a rate is the reports the indicator is about (every report, or those that give
/// a coordinator's employer, or those that had a crisis); the response rate is the reports of
/// the year over the CLSMs active now (a CLSM that reported and has since stopped counts in the
/// reports, not in the active ones). The region of a report is the one it was recorded with.
public struct SurveyReport: Sendable {
    public struct Row: Sendable, Hashable {
        public var section: String
        public var indicator: String
        public var label: String
        public var count: Int
        public var base: Int
        public var national2022: SurveyFigure?
        public var national2018: SurveyFigure?

        /// count / base, or nil for an empty base.
        public var share: Double? { base == 0 ? nil : Double(count) / Double(base) }
    }

    public var year: Int
    /// Nil: national.
    public var region: Region?
    public var reports: Int
    public var activeClsms: Int
    public var rows: [Row]

    /// Builds the report from `state`, which must hold the CLSMs and activity reports of the
    /// scope (a region's, or all); reports and CLSMs of other regions are left out.
    public init(state: HubState, year: Int, region code: String? = nil) throws(RegionReportRefusal) {
        self.year = year
        self.region = try code.map { code throws(RegionReportRefusal) in try state.reportRegion(code) }
        let inScope = { (region: String) in code == nil || region == code }
        let reports = state.activityReports.values.filter { $0.report.year == year && inScope($0.region) }.sorted { $0.id < $1.id }
        self.reports = reports.count
        self.activeClsms = state.clsms.values.filter { $0.isActive && inScope($0.declaration.region) }.count
        self.rows = ActivitySurvey.indicators.map { indicator in
            var count = 0
            var base = 0
            for record in reports {
                let result = indicator.evaluate(record.report, declaration: state.clsms[record.report.clsmId]?.declaration)
                if result.applies { base += 1 }
                if result.applies, result.counts { count += 1 }
            }
            return Row(
                section: indicator.section.rawValue, indicator: indicator.name, label: indicator.label, count: count, base: base,
                national2022: indicator.national2022, national2018: indicator.national2018)
        }
    }

    public func row(_ indicator: String) -> Row? { rows.first { $0.indicator == indicator } }

    public var document: ListingDocument {
        var listing = Listing(columns: [
            "section", "indicator", "label", "count", "of", "percent", "national2022", "national2018", "source2022", "source2018",
        ])
        for row in rows {
            listing.append([
                .text(row.section), .text(row.indicator), .text(row.label), ListingValue(row.count), ListingValue(row.base),
                ReportText.percent(row.count, of: row.base), ListingValue(row.national2022?.text),
                ListingValue(row.national2018?.text), ListingValue(row.national2022?.source), ListingValue(row.national2018?.source),
            ])
        }
        var response = Listing(columns: ["reports", "activeClsms", "percent", "national2022", "national2018"])
        response.append([
            ListingValue(reports), ListingValue(activeClsms), ReportText.percent(reports, of: activeClsms),
            .text(ActivitySurvey.responseRate2022.text), .text(ActivitySurvey.responseRate2018.text),
        ])
        let scope = region.map { "region \($0.code) (\($0.name))" } ?? "France"
        let facts: [ListingDocument.Fact] =
            [.init("report", "survey"), .init("year", "\(year)")] + (region.map(ReportText.regionFacts) ?? [.init("scope", "national")])
        return ListingDocument(
            title:
                "Activity reports \(year), \(scope): \(reports) of \(activeClsms) active CLSMs, beside the national surveys of 2022 and 2018",
            facts: facts,
            sections: [
                .init(name: "response", title: "Response rate", listing: response),
                .init(name: "indicators", title: "Indicators (shares of the reports)", listing: listing),
            ])
    }
}
