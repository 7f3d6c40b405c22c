/// `clsm.activity.reported.v1` (contract v1.1): a CLSM's yearly activity report, its fields
/// the questions of the 2022 national survey of CLSMs (CCOMS, seed 000): meetings of each
/// body, involvement of the "quatre quarts" and of child psychiatry, user participation, the
/// coordinator post, own budget, local needs diagnostic, declared articulation with the other
/// dispositifs, actions per theme, SISM participation and continuity in a crisis.
///
/// One report per (clsmId, year) counts: a report whose `version` is not newer than the
/// stored one for the same CLSM and year changes nothing (as PTSM diagnostic versions), a
/// newer one replaces it. Counts and kinds only, never people.
public struct ClsmActivityReported: Sendable, Hashable, Codable, StrictlyDecodable {
    /// Meetings held in the year, per body.
    public struct Meetings: Sendable, Hashable, Codable, StrictlyDecodable {
        /// Steering committee (COPIL).
        public var copil: Int
        public var plenaryAssembly: Int
        /// Intermediate body (COTECH, restricted COPIL).
        public var technicalCommittee: Int
        /// Meetings of all the working groups together.
        public var workingGroups: Int

        public init(copil: Int, plenaryAssembly: Int, technicalCommittee: Int, workingGroups: Int) {
            self.copil = copil
            self.plenaryAssembly = plenaryAssembly
            self.technicalCommittee = technicalCommittee
            self.workingGroups = workingGroups
        }

        static let fields: Set<String> = ["copil", "plenaryAssembly", "technicalCommittee", "workingGroups"]

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
            let copil = object.required("copil", Strict.integer(0...366), &violations)
            let plenary = object.required("plenaryAssembly", Strict.integer(0...366), &violations)
            let technical = object.required("technicalCommittee", Strict.integer(0...366), &violations)
            let groups = object.required("workingGroups", Strict.integer(0...10_000), &violations)
            guard let copil, let plenary, let technical, let groups else { return nil }
            return Self(copil: copil, plenaryAssembly: plenary, technicalCommittee: technical, workingGroups: groups)
        }
    }

    /// How each of the "quatre quarts", and child psychiatry, took part in the year (the
    /// survey's "Oui / Non car pas sollicité / Non malgré les sollicitations / Non car pas
    /// présents sur le territoire").
    public struct Involvement: Sendable, Hashable, Codable, StrictlyDecodable {
        public var elected: InvolvementStatus
        public var adultPsychiatry: InvolvementStatus
        public var childPsychiatry: InvolvementStatus
        public var users: InvolvementStatus
        public var carers: InvolvementStatus

        public init(
            elected: InvolvementStatus, adultPsychiatry: InvolvementStatus, childPsychiatry: InvolvementStatus,
            users: InvolvementStatus, carers: InvolvementStatus
        ) {
            self.elected = elected
            self.adultPsychiatry = adultPsychiatry
            self.childPsychiatry = childPsychiatry
            self.users = users
            self.carers = carers
        }

        /// Every member asked about, in the order of `GovernanceMember`.
        public var byMember: [(GovernanceMember, InvolvementStatus)] {
            [
                (.elected, elected), (.adultPsychiatry, adultPsychiatry), (.childPsychiatry, childPsychiatry), (.users, users),
                (.carers, carers),
            ]
        }

        public func status(of member: GovernanceMember) -> InvolvementStatus? {
            byMember.first { $0.0 == member }?.1
        }

        static let fields: Set<String> = ["elected", "adultPsychiatry", "childPsychiatry", "users", "carers"]

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
            let status = Strict.enumeration(InvolvementStatus.self)
            let elected = object.required("elected", status, &violations)
            let adult = object.required("adultPsychiatry", status, &violations)
            let child = object.required("childPsychiatry", status, &violations)
            let users = object.required("users", status, &violations)
            let carers = object.required("carers", status, &violations)
            guard let elected, let adult, let child, let users, let carers else { return nil }
            return Self(elected: elected, adultPsychiatry: adult, childPsychiatry: child, users: users, carers: carers)
        }
    }

    /// The coordinator post (never the coordinator's identity).
    public struct CoordinatorPost: Sendable, Hashable, Codable, StrictlyDecodable {
        /// Full-time equivalent of the post, 0...1 (budgeted, even when vacant).
        public var fte: Double
        /// The post is unfilled at the time of the report.
        public var vacant: Bool
        /// How many CLSMs the post coordinates, this one included (1: this one only).
        public var clsmsCoordinated: Int
        public var employer: CoordinatorEmployer?
        /// Who funds the post (each kind once).
        public var funders: [CoordinatorFunder]

        public init(
            fte: Double, vacant: Bool, clsmsCoordinated: Int = 1, employer: CoordinatorEmployer? = nil, funders: [CoordinatorFunder] = []
        ) {
            self.fte = fte
            self.vacant = vacant
            self.clsmsCoordinated = clsmsCoordinated
            self.employer = employer
            self.funders = funders
        }

        /// The post is shared with other CLSMs.
        public var isShared: Bool { clsmsCoordinated > 1 }

        static let fields: Set<String> = ["fte", "vacant", "clsmsCoordinated", "employer", "funders"]

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
            let fte = object.required("fte", Strict.number(0...1), &violations)
            let vacant = object.required("vacant", Strict.bool, &violations)
            let coordinated = object.required("clsmsCoordinated", Strict.integer(1...100), &violations)
            let employer = object.optional("employer", Strict.enumeration(CoordinatorEmployer.self), &violations)
            let funders = object.required("funders", Strict.array(maxCount: 10, Strict.enumeration(CoordinatorFunder.self)), &violations)
            guard let fte, let vacant, let coordinated, let funders else { return nil }
            return Self(fte: fte, vacant: vacant, clsmsCoordinated: coordinated, employer: employer, funders: funders)
        }
    }

    /// The CLSM's own answer on its articulation with each dispositif (the survey's "Oui /
    /// Non / Dispositif non présent sur le territoire"), beside the geographic articulation
    /// the hub computes from reference data.
    public struct DeclaredArticulation: Sendable, Hashable, Codable, StrictlyDecodable {
        public var ptsm: ArticulationAnswer
        public var cls: ArticulationAnswer
        public var clspd: ArticulationAnswer
        public var asv: ArticulationAnswer
        public var cpts: ArticulationAnswer
        public var pre: ArticulationAnswer
        public var dac: ArticulationAnswer
        public var contratDeVille: ArticulationAnswer

        public init(
            ptsm: ArticulationAnswer, cls: ArticulationAnswer, clspd: ArticulationAnswer, asv: ArticulationAnswer,
            cpts: ArticulationAnswer, pre: ArticulationAnswer, dac: ArticulationAnswer, contratDeVille: ArticulationAnswer
        ) {
            self.ptsm = ptsm
            self.cls = cls
            self.clspd = clspd
            self.asv = asv
            self.cpts = cpts
            self.pre = pre
            self.dac = dac
            self.contratDeVille = contratDeVille
        }

        /// The answer for each dispositif, in the order of `ArticulatedDispositif`.
        public var byDispositif: [(ArticulatedDispositif, ArticulationAnswer)] {
            [
                (.ptsm, ptsm), (.cls, cls), (.clspd, clspd), (.asv, asv), (.cpts, cpts), (.pre, pre), (.dac, dac),
                (.contratDeVille, contratDeVille),
            ]
        }

        public func answer(for dispositif: ArticulatedDispositif) -> ArticulationAnswer {
            switch dispositif {
            case .ptsm: ptsm
            case .cls: cls
            case .clspd: clspd
            case .asv: asv
            case .cpts: cpts
            case .pre: pre
            case .dac: dac
            case .contratDeVille: contratDeVille
            }
        }

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            let fields = Set(ArticulatedDispositif.allCases.map(\.rawValue))
            guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
            let answer = Strict.enumeration(ArticulationAnswer.self)
            let answers = ArticulatedDispositif.allCases.map { object.required($0.rawValue, answer, &violations) }
            let a = answers.compactMap { $0 }
            guard a.count == answers.count else { return nil }
            return Self(ptsm: a[0], cls: a[1], clspd: a[2], asv: a[3], cpts: a[4], pre: a[5], dac: a[6], contratDeVille: a[7])
        }
    }

    /// Actions carried out in the year on one theme.
    public struct ThemeActions: Sendable, Hashable, Codable, StrictlyDecodable {
        public var theme: ThemeCode
        /// How many actions (at least one: a theme without action is not listed).
        public var count: Int

        public init(theme: ThemeCode, count: Int) {
            self.theme = theme
            self.count = count
        }

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            guard let object = StrictObject(value, at: path, allowed: ["theme", "count"], violations: &violations) else { return nil }
            let theme = object.required("theme", Strict.enumeration(ThemeCode.self), &violations)
            let count = object.required("count", Strict.integer(1...10_000), &violations)
            guard let theme, let count else { return nil }
            return Self(theme: theme, count: count)
        }
    }

    /// How the CLSM kept going through a crisis in the year (the Covid-19 confinements,
    /// seed 002); absent when the year had none.
    public struct CrisisContinuity: Sendable, Hashable, Codable, StrictlyDecodable {
        /// The bodies (COPIL, plenary, working groups) stopped meeting.
        public var bodiesSuspended: Bool
        /// Meetings and work went on remotely.
        public var remoteWorking: Bool
        /// A listening or support line was opened or relayed.
        public var listeningLine: Bool

        public init(bodiesSuspended: Bool, remoteWorking: Bool, listeningLine: Bool) {
            self.bodiesSuspended = bodiesSuspended
            self.remoteWorking = remoteWorking
            self.listeningLine = listeningLine
        }

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            guard
                let object = StrictObject(
                    value, at: path, allowed: ["bodiesSuspended", "remoteWorking", "listeningLine"], violations: &violations)
            else { return nil }
            let suspended = object.required("bodiesSuspended", Strict.bool, &violations)
            let remote = object.required("remoteWorking", Strict.bool, &violations)
            let line = object.required("listeningLine", Strict.bool, &violations)
            guard let suspended, let remote, let line else { return nil }
            return Self(bodiesSuspended: suspended, remoteWorking: remote, listeningLine: line)
        }
    }

    public var clsmId: String
    /// The year reported on.
    public var year: Int
    /// Orders the reports of one CLSM and year: only a newer version changes anything.
    public var version: Int
    public var reportedOn: CalendarDate
    public var meetings: Meetings
    public var involvement: Involvement
    public var userParticipation: UserParticipation
    public var coordinator: CoordinatorPost
    public var ownBudget: Bool
    public var needsDiagnostic: NeedsDiagnostic
    public var articulation: DeclaredArticulation
    /// Themes worked on in the year, each once.
    public var actions: [ThemeActions]
    public var sismParticipation: Bool
    public var crisis: CrisisContinuity?

    public init(
        clsmId: String, year: Int, version: Int, reportedOn: CalendarDate, meetings: Meetings, involvement: Involvement,
        userParticipation: UserParticipation, coordinator: CoordinatorPost, ownBudget: Bool, needsDiagnostic: NeedsDiagnostic,
        articulation: DeclaredArticulation, actions: [ThemeActions], sismParticipation: Bool, crisis: CrisisContinuity? = nil
    ) {
        self.clsmId = clsmId
        self.year = year
        self.version = version
        self.reportedOn = reportedOn
        self.meetings = meetings
        self.involvement = involvement
        self.userParticipation = userParticipation
        self.coordinator = coordinator
        self.ownBudget = ownBudget
        self.needsDiagnostic = needsDiagnostic
        self.articulation = articulation
        self.actions = actions
        self.sismParticipation = sismParticipation
        self.crisis = crisis
    }

    /// Where the report is kept: one per CLSM and year.
    public var key: ActivityReportKey { ActivityReportKey(clsmId: clsmId, year: year) }

    /// Neither the COPIL nor the plenary assembly met in the year.
    public var governanceInactive: Bool { meetings.copil == 0 && meetings.plenaryAssembly == 0 }

    /// The themes with at least one action.
    public var themes: Set<ThemeCode> { Set(actions.map(\.theme)) }

    public static let fields: Set<String> = [
        "clsmId", "year", "version", "reportedOn", "meetings", "involvement", "userParticipation", "coordinator", "ownBudget",
        "needsDiagnostic", "articulation", "actions", "sismParticipation", "crisis",
    ]

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
        let clsmId = object.required("clsmId", Strict.identifier, &violations)
        let year = object.required("year", Strict.integer(2000...2999), &violations)
        let version = object.required("version", Strict.integer(1...1_000_000), &violations)
        let reportedOn = object.required("reportedOn", Strict.date, &violations)
        let meetings = object.required("meetings", Strict.object(Meetings.self), &violations)
        let involvement = object.required("involvement", Strict.object(Involvement.self), &violations)
        let participation = object.required("userParticipation", Strict.enumeration(UserParticipation.self), &violations)
        let coordinator = object.required("coordinator", Strict.object(CoordinatorPost.self), &violations)
        let ownBudget = object.required("ownBudget", Strict.bool, &violations)
        let diagnostic = object.required("needsDiagnostic", Strict.enumeration(NeedsDiagnostic.self), &violations)
        let articulation = object.required("articulation", Strict.object(DeclaredArticulation.self), &violations)
        var actions = object.required("actions", Strict.array(maxCount: 100, Strict.object(ThemeActions.self)), &violations)
        let sism = object.required("sismParticipation", Strict.bool, &violations)
        let crisis = object.optional("crisis", Strict.object(CrisisContinuity.self), &violations)
        if let listed = actions {
            var seen: Set<ThemeCode> = []
            for (position, entry) in listed.enumerated() where !seen.insert(entry.theme).inserted {
                violations.append(
                    Violation(path: path.key("actions").index(position).key("theme").description, reason: "repeats an earlier theme"))
                actions = nil
            }
        }
        if let reportedOn, let year, reportedOn.year < year {
            violations.append(
                Violation(path: path.key("reportedOn").description, reason: "must not be before the year reported on (\(year))"))
            return nil
        }
        guard let clsmId, let year, let version, let reportedOn, let meetings, let involvement, let participation, let coordinator,
            let ownBudget, let diagnostic, let articulation, let actions, let sism
        else { return nil }
        return Self(
            clsmId: clsmId, year: year, version: version, reportedOn: reportedOn, meetings: meetings, involvement: involvement,
            userParticipation: participation, coordinator: coordinator, ownBudget: ownBudget, needsDiagnostic: diagnostic,
            articulation: articulation, actions: actions, sismParticipation: sism, crisis: crisis)
    }
}

/// One activity report's place: a CLSM and a year.
public struct ActivityReportKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var clsmId: String
    public var year: Int

    public init(clsmId: String, year: Int) {
        self.clsmId = clsmId
        self.year = year
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.clsmId, lhs.year) < (rhs.clsmId, rhs.year) }

    public var description: String { "\(clsmId)/\(year)" }
}

/// How one of the "quatre quarts" (or child psychiatry) took part in the CLSM in the year.
public enum InvolvementStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case involved
    /// Not asked to take part ("pas sollicité").
    case notAsked
    /// Asked, and did not come ("malgré les sollicitations").
    case declined
    /// No such representatives on the territory ("pas présents / non identifiés").
    case absentFromTerritory
}

/// Participation of service users in the CLSM (the survey's "Opérationnelle / En cours de
/// réflexion-démarrage / Inexistante").
public enum UserParticipation: String, Sendable, Hashable, Codable, CaseIterable {
    case operational, starting
    case nonexistent = "none"
}

/// The local needs diagnostic in mental health ("Oui / En cours / Non").
public enum NeedsDiagnostic: String, Sendable, Hashable, Codable, CaseIterable {
    case done, inProgress
    case notDone = "none"
}

/// The employer of the coordinator post.
public enum CoordinatorEmployer: String, Sendable, Hashable, Codable, CaseIterable {
    case localAuthority, hospital, localAuthorityAndHospital, association, other
}

/// A funder of the coordinator post.
public enum CoordinatorFunder: String, Sendable, Hashable, Codable, DeclarationOrdered {
    case localAuthority, ars, hospital, politiqueDeLaVille, other
}

/// The dispositifs a CLSM declares its articulation with.
public enum ArticulatedDispositif: String, Sendable, Hashable, Codable, CaseIterable {
    case ptsm, cls, clspd, asv, cpts, pre, dac, contratDeVille
}

/// A declared articulation: yes, no, or the dispositif does not exist on the territory.
public enum ArticulationAnswer: String, Sendable, Hashable, Codable, CaseIterable {
    case yes, no, notOnTerritory
}
