import HubDomain
import HubSimulation
import HubTestSupport
import Testing

/// Activity reports drawn at the 2022 survey's rates on the synthetic national territory:
/// `report survey` gives every rate back within sampling error.
@Suite("Simulation: activity reports and the survey report")
struct SyntheticActivityReportsTests {
    @Test("report survey gives back each 2022 rate within sampling error, and the response rate")
    func ratesWithinSamplingError() throws {
        let territory = SyntheticTerritory.make(seed: 7, clsmCount: 1000)
        let engine = RulesEngine()
        var state = HubState(reference: territory.reference)
        var counter = 0
        func send(_ payload: InboundEvent) throws {
            counter += 1
            _ = try engine.process(Fixture.event(payload, id: "e\(counter)", source: "urn:synthetic"), state: &state)
        }
        for clsm in territory.clsms { try send(.clsmDeclared(clsm)) }
        let reports = SyntheticActivityReports.make(territory: territory, year: 2025, seed: 7)
        for report in reports { try send(.clsmActivityReported(report)) }

        let survey = try SurveyReport(state: state, year: 2025)
        #expect(survey.reports == reports.count)
        let active = territory.clsms.filter { $0.status == .active }.count
        #expect(survey.activeClsms == active)
        #expect(survey.reports > 300)
        try expectWithin(count: survey.reports, base: active, of: ActivitySurvey.responseRate2022.share, name: "response rate")

        // Drawn from the reports: every indicator with a national 2022 value (not a range or a
        // bound) and no declaration behind it; the coordinator's co-funding is derived from
        // independent funders, not drawn at its own rate.
        var checked = 0
        for row in survey.rows {
            guard let figure = row.national2022, figure.isPointValue, !row.indicator.hasPrefix("profile."),
                row.indicator != "coordination.coFunded"
            else { continue }
            try expectWithin(count: row.count, base: row.base, of: figure.share, name: row.indicator)
            checked += 1
        }
        #expect(checked >= 50)
        // The same seed gives the same reports.
        #expect(SyntheticActivityReports.make(territory: territory, year: 2025, seed: 7) == reports)
    }

    /// `count / base` within 4.5 standard errors of `share` (binomial): a sampling error, not a
    /// wrong computation (a swapped category or a wrong base is many errors away).
    func expectWithin(count: Int, base: Int, of share: Double, name: String) throws {
        try #require(base > 0, "\(name): empty base")
        let observed = Double(count) / Double(base)
        let error = (share * (1 - share) / Double(base)).squareRoot()
        #expect(abs(observed - share) <= max(4.5 * error, 0.01), "\(name): \(observed) over \(base), expected \(share) ± \(4.5 * error)")
    }
}
