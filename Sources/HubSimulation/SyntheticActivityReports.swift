import HubDomain

/// Yearly activity reports (`clsm.activity.reported`) for the active CLSMs of a synthetic
/// territory, each answer drawn at the national 2022 survey's rates (`ActivitySurvey`): half
/// of the CLSMs report (the survey's 50% response rate), and `report survey` on them should
/// give back each rate within sampling error.
///
/// Categorical answers are drawn from the survey's distributions (child psychiatry
/// 64/19/12/5, user participation 68/22/10, the coordinator's time 22/39/4/35, the
/// diagnostic 61/5/34, the employer 70/22/5/3); the rest independently (funders, themes,
/// articulation, meetings). Rates the seeds do not give are drawn at plausible values.
public enum SyntheticActivityReports {
    public static func make(
        territory: SyntheticTerritory, year: Int, seed: UInt64, responseRate: Double = ActivitySurvey.responseRate2022.share
    ) -> [ClsmActivityReported] {
        var random = SeededRandom(seed: seed, stream: "activity-reports-\(year)")
        var reports: [ClsmActivityReported] = []
        for clsm in territory.clsms.sorted(by: { $0.clsmId < $1.clsmId }) where clsm.status == .active {
            guard random.chance(responseRate) else { continue }
            reports.append(report(for: clsm.clsmId, year: year, random: &random))
        }
        return reports
    }

    static func rate(_ name: String) -> Double {
        guard let figure = ActivitySurvey.indicators.first(where: { $0.name == name })?.national2022 else {
            preconditionFailure("no national 2022 figure for \(name)")
        }
        return figure.share
    }

    static func draw<T>(_ options: [(T, Double)], _ random: inout SeededRandom) -> T {
        options[random.weightedIndex(options.map(\.1))].0
    }

    static func report(for clsmId: String, year: Int, random: inout SeededRandom) -> ClsmActivityReported {
        let meetings = ClsmActivityReported.Meetings(
            copil: random.chance(rate("governance.copil")) ? random.int(1...3) : 0,
            plenaryAssembly: random.chance(rate("governance.plenaryAssembly")) ? random.int(1...2) : 0,
            technicalCommittee: random.chance(rate("governance.technicalCommittee")) ? random.int(1...6) : 0,
            workingGroups: random.chance(0.9) ? random.int(2...40) : 0)
        func quarter(_ name: String) -> InvolvementStatus {
            random.chance(rate(name)) ? .involved : draw([(.notAsked, 0.5), (.declined, 0.3), (.absentFromTerritory, 0.2)], &random)
        }
        let involvement = ClsmActivityReported.Involvement(
            elected: quarter("involvement.elected"), adultPsychiatry: quarter("involvement.adultPsychiatry"),
            childPsychiatry: draw(
                [
                    (.involved, rate("involvement.childPsychiatry")), (.notAsked, rate("involvement.childPsychiatry.notAsked")),
                    (.declined, rate("involvement.childPsychiatry.declined")),
                    (.absentFromTerritory, rate("involvement.childPsychiatry.absentFromTerritory")),
                ], &random),
            users: quarter("involvement.users"), carers: quarter("involvement.carers"))
        let participation: UserParticipation = draw(
            [
                (.operational, rate("participation.operational")), (.starting, rate("participation.starting")),
                (.nonexistent, rate("participation.none")),
            ], &random)
        let fte: Double = draw([(0.3, 0.22), (0.5, 0.39), (0.8, 0.04), (1.0, 0.35)], &random)
        let employer: CoordinatorEmployer = draw(
            [(.localAuthority, 0.70), (.hospital, 0.22), (.localAuthorityAndHospital, 0.05), (.association, 0.03)], &random)
        var funders: [CoordinatorFunder] = []
        for (funder, name) in [
            (CoordinatorFunder.localAuthority, "coordination.funder.localAuthority"), (.ars, "coordination.funder.ars"),
            (.hospital, "coordination.funder.hospital"), (.politiqueDeLaVille, "coordination.funder.politiqueDeLaVille"),
        ] where random.chance(rate(name)) {
            funders.append(funder)
        }
        let coordinator = ClsmActivityReported.CoordinatorPost(
            fte: fte, vacant: random.chance(0.08), clsmsCoordinated: random.chance(rate("coordination.singleClsm")) ? 1 : random.int(2...8),
            employer: employer, funders: funders)
        let diagnostic: NeedsDiagnostic = draw(
            [(.done, rate("diagnostic.done")), (.inProgress, rate("diagnostic.inProgress")), (.notDone, 0.34)], &random)
        func answer(_ name: String, yes: Double) -> ArticulationAnswer {
            random.chance(yes) ? .yes : (random.chance(0.6) ? .no : .notOnTerritory)
        }
        let articulation = ClsmActivityReported.DeclaredArticulation(
            ptsm: answer("ptsm", yes: rate("articulation.ptsm")), cls: answer("cls", yes: rate("articulation.cls")),
            clspd: answer("clspd", yes: rate("articulation.clspd")), asv: answer("asv", yes: 0.45), cpts: answer("cpts", yes: 0.40),
            pre: answer("pre", yes: 0.38), dac: answer("dac", yes: 0.43), contratDeVille: answer("contratDeVille", yes: 0.6))
        var actions: [ClsmActivityReported.ThemeActions] = []
        for theme in ThemeCode.allCases where random.chance(rate("themes.\(theme.rawValue)")) {
            actions.append(.init(theme: theme, count: random.int(1...12)))
        }
        let reportedOn = CalendarDate(year: year + 1, month: random.int(1...3), day: random.int(1...28))!
        return ClsmActivityReported(
            clsmId: clsmId, year: year, version: 1, reportedOn: reportedOn, meetings: meetings, involvement: involvement,
            userParticipation: participation, coordinator: coordinator, ownBudget: random.chance(rate("means.ownBudget")),
            needsDiagnostic: diagnostic, articulation: articulation, actions: actions,
            sismParticipation: random.chance(rate("themes.sismParticipation")),
            crisis: year == 2020 || year == 2021
                ? .init(bodiesSuspended: random.chance(0.25), remoteWorking: random.chance(0.8), listeningLine: random.chance(0.3)) : nil)
    }
}
