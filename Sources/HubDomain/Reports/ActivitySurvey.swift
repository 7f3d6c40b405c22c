/// A national figure of a CLSM survey, as its text gives it.
public struct SurveyFigure: Sendable, Hashable {
    /// Share of responding CLSMs, 0...1 (the middle of a range for "entre 20 et 30%").
    public var share: Double
    /// How the source puts it: "85%", "> 90%", "20–30%", "≈ 50%".
    public var text: String
    /// The seed and line the figure is read from (`shared/seeds/...`).
    public var source: String

    public init(_ share: Double, _ text: String? = nil, source: String) {
        self.share = share
        self.text = text ?? "\(Int((share * 100).rounded()))%"
        self.source = source
    }

    /// A figure read as a value (not a range or bound), which a sample can be checked against.
    public var isPointValue: Bool { text.hasSuffix("%") && text.dropLast().allSatisfy(\.isNumber) }
}

/// One indicator of the national survey of CLSMs, recomputed from the activity reports: which
/// reports it is about (`applies`), which of them count (`counts`), and the national 2022 and
/// 2018 figures where the seeds give them.
///
/// 2022: *État des lieux national du fonctionnement des CLSM* (CCOMS, 131 of 260 active CLSMs
/// answered, 50%), seed `000_17de29d25ad60c21.txt`; 2018: *État des lieux national des CLSM
/// 2018* (110 questionnaires, nearly 60% of CLSMs), seed `003_affbd0c7c67ca40b.txt`. Both are
/// shares of the responding CLSMs as they declared them; `docs/contract.md` ("report survey")
/// lists every indicator with its seed lines. Some 2022 figures are read from charts whose
/// text extraction keeps the values in the labels' order (said per indicator).
public struct SurveyIndicator: Sendable {
    public enum Section: String, Sendable, CaseIterable {
        case profile, governance, involvement, participation, coordination, means, diagnostic, articulation, themes, crisis
    }

    public var section: Section
    /// Stable name, e.g. `governance.copil`.
    public var name: String
    /// French, for the people reading the report.
    public var label: String
    public var national2022: SurveyFigure?
    public var national2018: SurveyFigure?
    /// The reports the share is taken over (all, unless the indicator is about a subset).
    let applies: @Sendable (ClsmActivityReported) -> Bool
    let counts: @Sendable (ClsmActivityReported) -> Bool
    /// Read from the CLSM's declaration rather than from its report (the scale).
    let fromDeclaration: (@Sendable (ClsmDeclared) -> Bool)?

    init(
        _ section: Section, _ name: String, _ label: String, _ national2022: SurveyFigure?, _ national2018: SurveyFigure? = nil,
        applies: @escaping @Sendable (ClsmActivityReported) -> Bool = { _ in true },
        counts: @escaping @Sendable (ClsmActivityReported) -> Bool
    ) {
        self.section = section
        self.name = name
        self.label = label
        self.national2022 = national2022
        self.national2018 = national2018
        self.applies = applies
        self.counts = counts
        self.fromDeclaration = nil
    }

    init(
        declared section: Section, _ name: String, _ label: String, _ national2022: SurveyFigure?, _ national2018: SurveyFigure?,
        counts: @escaping @Sendable (ClsmDeclared) -> Bool
    ) {
        self.section = section
        self.name = name
        self.label = label
        self.national2022 = national2022
        self.national2018 = national2018
        self.applies = { _ in true }
        self.counts = { _ in false }
        self.fromDeclaration = counts
    }

    /// Whether `report` (of a CLSM declared as `declaration`) is in the indicator's base and
    /// whether it counts.
    public func evaluate(_ report: ClsmActivityReported, declaration: ClsmDeclared?) -> (applies: Bool, counts: Bool) {
        if let fromDeclaration {
            guard let declaration else { return (false, false) }
            return (true, fromDeclaration(declaration))
        }
        guard applies(report) else { return (false, false) }
        return (true, counts(report))
    }
}

/// The indicators of the survey report, in the report's order.
public enum ActivitySurvey {
    static let s2022 = "seed 000"
    static let s2018 = "seed 003"

    static func y22(_ share: Double, _ lines: String, text: String? = nil) -> SurveyFigure {
        SurveyFigure(share, text, source: "\(s2022) l. \(lines)")
    }

    static func y18(_ share: Double, _ lines: String, text: String? = nil) -> SurveyFigure {
        SurveyFigure(share, text, source: "\(s2018) l. \(lines)")
    }

    /// Response rate: 131 of 260 active CLSMs in 2022 (seed 000 l. 87-88); 110 questionnaires,
    /// "près de 60%", in 2018 (seed 003 l. 55).
    public static let responseRate2022 = y22(0.50, "87-88", text: "50%")
    public static let responseRate2018 = y18(0.60, "55", text: "≈ 60%")

    public static let indicators: [SurveyIndicator] =
        profile + governance + involvement + participation + coordination + means
        + diagnostic + articulation + themes + crisis

    static let profile: [SurveyIndicator] = [
        SurveyIndicator(
            declared: .profile, "profile.communal", "Échelle communale (déclaration)", y22(0.52, "121-122"), y22(0.58, "122"),
            counts: { $0.scale == .communal }),
        SurveyIndicator(
            declared: .profile, "profile.intercommunal", "Échelle intercommunale (déclaration)", y22(0.34, "123-124"),
            y22(0.16, "124"), counts: { $0.scale == .intercommunal }),
    ]

    static let governance: [SurveyIndicator] = [
        SurveyIndicator(
            .governance, "governance.copil", "COPIL réuni au moins une fois dans l'année", y22(0.85, "277-278"), y18(0.90, "183"),
            counts: { $0.meetings.copil > 0 }),
        SurveyIndicator(
            .governance, "governance.plenaryAssembly", "Assemblée plénière réunie dans l'année", y22(0.74, "772"), y18(0.86, "220"),
            counts: { $0.meetings.plenaryAssembly > 0 }),
        SurveyIndicator(
            .governance, "governance.technicalCommittee", "Instance intermédiaire (COTECH, COPIL restreint) réunie",
            y22(0.25, "832-835", text: "20–30%"), counts: { $0.meetings.technicalCommittee > 0 }),
        SurveyIndicator(
            .governance, "governance.workingGroups", "Groupes de travail réunis dans l'année", nil,
            counts: { $0.meetings.workingGroups > 0 }),
        SurveyIndicator(
            .governance, "governance.inactive", "Ni COPIL ni assemblée plénière dans l'année", nil, counts: \.governanceInactive),
    ]

    static let involvement: [SurveyIndicator] = [
        // Chart "Les acteurs suivants participent-ils au COPIL du CLSM ?" (l. 429-451; the
        // breakdown of child psychiatry, 64/19/12/5, with l. 359-364), 2018 l. 203 of seed 003.
        SurveyIndicator(
            .involvement, "involvement.elected", "Élus impliqués", y22(0.96, "441"), y18(0.90, "203", text: "> 90%"),
            counts: { $0.involvement.elected == .involved }),
        SurveyIndicator(
            .involvement, "involvement.adultPsychiatry", "Psychiatrie adulte impliquée", y22(0.96, "441"), y18(0.90, "203", text: "> 90%"),
            counts: { $0.involvement.adultPsychiatry == .involved }),
        SurveyIndicator(
            .involvement, "involvement.childPsychiatry", "Psychiatrie infanto-juvénile impliquée", y22(0.64, "359-360, 443"),
            y18(0.72, "203"), counts: { $0.involvement.childPsychiatry == .involved }),
        SurveyIndicator(
            .involvement, "involvement.childPsychiatry.notAsked", "Psychiatrie infanto-juvénile pas sollicitée",
            y22(0.19, "361-362, 445"), counts: { $0.involvement.childPsychiatry == .notAsked }),
        SurveyIndicator(
            .involvement, "involvement.childPsychiatry.declined", "Psychiatrie infanto-juvénile absente malgré les sollicitations",
            y22(0.12, "363-364"), counts: { $0.involvement.childPsychiatry == .declined }),
        SurveyIndicator(
            .involvement, "involvement.childPsychiatry.absentFromTerritory",
            "Psychiatrie infanto-juvénile pas présente sur le territoire", y22(0.05, "449 (chart, labels' order)"),
            counts: { $0.involvement.childPsychiatry == .absentFromTerritory }),
        SurveyIndicator(
            .involvement, "involvement.users", "Usagers impliqués", y22(0.72, "372, 383"), y22(0.60, "383"),
            counts: { $0.involvement.users == .involved }),
        SurveyIndicator(
            .involvement, "involvement.carers", "Aidants impliqués", y22(0.78, "372, 384"), y22(0.90, "384"),
            counts: { $0.involvement.carers == .involved }),
    ]

    static let participation: [SurveyIndicator] = [
        SurveyIndicator(
            .participation, "participation.operational", "Participation des usagers opérationnelle", y22(0.68, "1003-1005, 1020"),
            counts: { $0.userParticipation == .operational }),
        SurveyIndicator(
            .participation, "participation.starting", "Participation des usagers en cours de démarrage", y22(0.22, "1007-1009, 1022"),
            counts: { $0.userParticipation == .starting }),
        SurveyIndicator(
            .participation, "participation.none", "Participation des usagers inexistante", y22(0.10, "1024"),
            counts: { $0.userParticipation == .nonexistent }),
    ]

    static let coordination: [SurveyIndicator] = [
        // Chart "Temps de travail des coordonnateur·rices" (l. 1722-1745: 2018 39/31/7/22,
        // 2022 22/39/4/35; text l. 1686-1700: 61% half-time or less, -17 points under 0.5,
        // +13 points full-time).
        SurveyIndicator(
            .coordination, "coordination.halfTimeOrLess", "Poste de coordination à mi-temps ou moins", y22(0.61, "1690"),
            y22(0.70, "1728-1745 (39% + 31%)"), counts: { $0.coordinator.fte <= 0.5 }),
        SurveyIndicator(
            .coordination, "coordination.underHalfTime", "Poste à moins de 0,5 ETP", y22(0.22, "1694-1697, 1743"),
            y22(0.39, "1735"), counts: { $0.coordinator.fte < 0.5 }),
        SurveyIndicator(
            .coordination, "coordination.fullTime", "Poste à temps plein (1 ETP)", y22(0.35, "1697-1698, 1741"), y22(0.22, "1745"),
            counts: { $0.coordinator.fte >= 1 }),
        SurveyIndicator(
            .coordination, "coordination.vacant", "Poste de coordination vacant", nil, counts: \.coordinator.vacant),
        SurveyIndicator(
            .coordination, "coordination.singleClsm", "Coordonnateur·rice d'un seul CLSM", y22(0.87, "1753"),
            counts: { !$0.coordinator.isShared }),
        SurveyIndicator(
            .coordination, "coordination.employer.localAuthority", "Employeur : collectivité territoriale", y22(0.70, "1767"),
            y22(0.57, "1767"), applies: { $0.coordinator.employer != nil }, counts: { $0.coordinator.employer == .localAuthority }),
        SurveyIndicator(
            .coordination, "coordination.employer.hospital", "Employeur : hôpital", y22(0.22, "1768"), y22(0.34, "1768"),
            applies: { $0.coordinator.employer != nil }, counts: { $0.coordinator.employer == .hospital }),
        SurveyIndicator(
            .coordination, "coordination.funder.localAuthority", "Poste financé par la collectivité", y22(0.75, "1911-1912"),
            counts: { $0.coordinator.funders.contains(.localAuthority) }),
        SurveyIndicator(
            .coordination, "coordination.funder.ars", "Poste financé par l'ARS", y22(0.70, "1912-1913"),
            counts: { $0.coordinator.funders.contains(.ars) }),
        SurveyIndicator(
            .coordination, "coordination.funder.hospital", "Poste financé par l'hôpital", y22(0.21, "1913-1914"),
            counts: { $0.coordinator.funders.contains(.hospital) }),
        SurveyIndicator(
            .coordination, "coordination.funder.politiqueDeLaVille", "Poste financé par la politique de la ville",
            y22(0.06, "1922-1961 (chart, labels' order)"), counts: { $0.coordinator.funders.contains(.politiqueDeLaVille) }),
        SurveyIndicator(
            .coordination, "coordination.coFunded", "Poste co-financé (deux financeurs ou plus)", y22(0.70, "1916-1917"),
            counts: { $0.coordinator.funders.count >= 2 }),
    ]

    static let means: [SurveyIndicator] = [
        SurveyIndicator(.means, "means.ownBudget", "Budget propre pour les actions", y22(0.45, "1390-1392"), counts: \.ownBudget)
    ]

    static let diagnostic: [SurveyIndicator] = [
        // Chart "Votre CLSM a-t-il réalisé un diagnostic local des besoins ?" (l. 1182-1187:
        // 61% oui, 34% non, 5% en cours), text l. 1152-1153 (66% done or under way).
        SurveyIndicator(
            .diagnostic, "diagnostic.doneOrInProgress", "Diagnostic local des besoins réalisé ou en cours", y22(0.66, "1152-1153"),
            counts: { $0.needsDiagnostic != .notDone }),
        SurveyIndicator(
            .diagnostic, "diagnostic.done", "Diagnostic local réalisé", y22(0.61, "1182"), counts: { $0.needsDiagnostic == .done }),
        SurveyIndicator(
            .diagnostic, "diagnostic.inProgress", "Diagnostic local en cours", y22(0.05, "1185"),
            counts: { $0.needsDiagnostic == .inProgress }),
    ]

    static let articulation: [SurveyIndicator] = ArticulatedDispositif.allCases.map { dispositif in
        // Chart "Articulation effective" (l. 2014-2040): PTSM 91% (6% non, 3% absent), CLS 77%;
        // CLSPD "la moitié" (l. 1981-1983). The other bars' values are not attributable in
        // the extracted text; contrat de ville was not asked in these words.
        let national: SurveyFigure? =
            switch dispositif {
            case .ptsm: y22(0.91, "1971-1975, 2026")
            case .cls: y22(0.77, "1975-1978, 2030")
            case .clspd: y22(0.50, "1981-1983", text: "≈ 50%")
            default: nil
            }
        return SurveyIndicator(
            .articulation, "articulation.\(dispositif.rawValue)", "Articulation déclarée avec \(label(dispositif))", national,
            counts: { $0.articulation.answer(for: dispositif) == .yes })
    }

    static func label(_ dispositif: ArticulatedDispositif) -> String {
        switch dispositif {
        case .ptsm: "le PTSM"
        case .cls: "un CLS"
        case .clspd: "un CLSPD"
        case .asv: "un ASV"
        case .cpts: "une CPTS"
        case .pre: "un PRE"
        case .dac: "un DAC"
        case .contratDeVille: "le contrat de ville"
        }
    }

    /// Chart "Les thématiques de travail" (seed 000 l. 1316-1386): SISM 76%, housing 65%,
    /// complex cases 64%, adolescents 55% are confirmed by the text (l. 1292-1301, 1398); the
    /// others are read in the order of the chart's labels. 2018: seed 003 l. 255-647.
    static let themeFigures: [ThemeCode: (SurveyFigure, SurveyFigure?)] = [
        .sism: (y22(0.76, "1386"), y18(0.73, "256, 501")),
        .housing: (y22(0.65, "1387"), y18(0.73, "257, 355")),
        .complexCases: (y22(0.64, "1343"), y18(0.84, "255")),
        .professionalAwareness: (y22(0.59, "1344"), nil),
        .adolescents: (y22(0.55, "1346, 1398"), y18(0.47, "535")),
        .publicAwareness: (y22(0.45, "1347"), nil),
        .children: (y22(0.39, "1384"), y18(0.36, "520")),
        .accessToCare: (y22(0.28, "1349"), y18(0.47, "332")),
        .precarity: (y22(0.27, "1350"), y18(0.34, "635")),
        .suicidePrevention: (y22(0.26, "1352"), y18(0.30, "612")),
        .elderly: (y22(0.22, "1353"), y18(0.25, "577")),
        .addictions: (y22(0.22, "1354"), y18(0.28, "647")),
        .leisureCulture: (y22(0.22, "1382"), y18(0.26, "400")),
        .parenting: (y22(0.20, "1356"), y18(0.36, "560")),
        .other: (y22(0.18, "1380, 1395"), nil),
        .coercion: (y22(0.15, "1358"), y18(0.35, "594")),
        .observation: (y22(0.14, "1359"), y18(0.40, "288", text: "> 40%")),
        .employment: (y22(0.14, "1378"), y18(0.17, "385")),
        .perinatal: (y22(0.12, "1361"), nil),
        .crossTraining: (y22(0.12, "1362"), nil),
        .primaryCare: (y22(0.12, "1364"), nil),
        .participation: (y22(0.11, "1365"), nil),
        .environment: (y22(0.11, "1376"), nil),
        .earlyPrevention: (y22(0.10, "1367"), nil),
        .inequalities: (y22(0.10, "1374"), nil),
        .work: (y22(0.09, "1369"), y18(0.18, "626")),
        .rights: (y22(0.09, "1370"), y18(0.20, "434")),
        .justice: (y22(0.05, "1372"), nil),
    ]

    static let themes: [SurveyIndicator] =
        [
            SurveyIndicator(
                .themes, "themes.sismParticipation", "Participation aux SISM", y22(0.76, "1386"), y18(0.73, "501"),
                counts: \.sismParticipation)
        ]
        + ThemeCode.allCases.sorted { (themeFigures[$0]?.0.share ?? 0, $1.rawValue) > (themeFigures[$1]?.0.share ?? 0, $0.rawValue) }
        .map { theme in
            SurveyIndicator(
                .themes, "themes.\(theme.rawValue)", "Actions : \(French.theme(theme))", themeFigures[theme]?.0, themeFigures[theme]?.1,
                counts: { $0.themes.contains(theme) })
        }

    static let crisis: [SurveyIndicator] = [
        // Not asked by the 2022 survey; seed 002 (CLSMs facing Covid-19) gives no comparable share.
        SurveyIndicator(
            .crisis, "crisis.bodiesSuspended", "Crise : instances suspendues", nil, applies: { $0.crisis != nil },
            counts: { $0.crisis?.bodiesSuspended == true }),
        SurveyIndicator(
            .crisis, "crisis.remoteWorking", "Crise : travail à distance", nil, applies: { $0.crisis != nil },
            counts: { $0.crisis?.remoteWorking == true }),
        SurveyIndicator(
            .crisis, "crisis.listeningLine", "Crise : ligne d'écoute", nil, applies: { $0.crisis != nil },
            counts: { $0.crisis?.listeningLine == true }),
    ]
}
