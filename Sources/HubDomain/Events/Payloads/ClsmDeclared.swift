/// `clsm.declared.v1`: a CLSM declares (or re-declares) itself: territory, governance,
/// working groups. A later declaration with the same `clsmId` replaces the earlier one.
public struct ClsmDeclared: Sendable, Hashable, Codable, StrictlyDecodable {
    public struct Governance: Sendable, Hashable, Codable, StrictlyDecodable {
        /// A steering committee (COPIL) exists.
        public var copil: Bool
        public var plenaryAssembly: Bool
        /// Kinds of members (never people): the "quatre quarts" check reads this.
        public var members: [GovernanceMember]

        public init(copil: Bool, plenaryAssembly: Bool, members: [GovernanceMember]) {
            self.copil = copil
            self.plenaryAssembly = plenaryAssembly
            self.members = members
        }

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            guard let object = StrictObject(value, at: path, allowed: ["copil", "plenaryAssembly", "members"], violations: &violations)
            else { return nil }
            let copil = object.required("copil", Strict.bool, &violations)
            let plenary = object.required("plenaryAssembly", Strict.bool, &violations)
            let members = object.required("members", Strict.array(Strict.enumeration(GovernanceMember.self)), &violations)
            guard let copil, let plenary, let members else { return nil }
            return Self(copil: copil, plenaryAssembly: plenary, members: members)
        }
    }

    public struct PsychiatricSectors: Sendable, Hashable, Codable, StrictlyDecodable {
        public var adult: Int
        public var child: Int

        public init(adult: Int, child: Int) {
            self.adult = adult
            self.child = child
        }

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            guard let object = StrictObject(value, at: path, allowed: ["adult", "child"], violations: &violations) else { return nil }
            let adult = object.required("adult", Strict.integer(0...100), &violations)
            let child = object.required("child", Strict.integer(0...100), &violations)
            guard let adult, let child else { return nil }
            return Self(adult: adult, child: child)
        }
    }

    /// The coordinator post (never the coordinator's identity).
    public struct Coordinator: Sendable, Hashable, Codable, StrictlyDecodable {
        /// Full-time equivalent, 0...1.
        public var fte: Double
        /// The employing organisation (e.g. "Ville de Saint-Denis"), not a person.
        public var employer: String

        public init(fte: Double, employer: String) {
            self.fte = fte
            self.employer = employer
        }

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            guard let object = StrictObject(value, at: path, allowed: ["fte", "employer"], violations: &violations) else { return nil }
            let fte = object.required("fte", Strict.number(0...1), &violations)
            let employer = object.required("employer", Strict.string(maxLength: 200), &violations)
            guard let fte, let employer else { return nil }
            return Self(fte: fte, employer: employer)
        }
    }

    public var clsmId: String
    public var name: String
    public var region: String
    public var status: ClsmStatus
    public var scale: ClsmScale
    /// INSEE codes of the communes (or arrondissements) covered, at least one.
    public var communes: [String]
    public var governance: Governance
    public var createdOn: CalendarDate?
    public var population: Int?
    public var psychiatricSectors: PsychiatricSectors?
    public var coordinator: Coordinator?
    public var workingGroups: [ThemeCode]?

    public init(
        clsmId: String, name: String, region: String, status: ClsmStatus, scale: ClsmScale, communes: [String],
        governance: Governance, createdOn: CalendarDate? = nil, population: Int? = nil,
        psychiatricSectors: PsychiatricSectors? = nil, coordinator: Coordinator? = nil, workingGroups: [ThemeCode]? = nil
    ) {
        self.clsmId = clsmId
        self.name = name
        self.region = region
        self.status = status
        self.scale = scale
        self.communes = communes
        self.governance = governance
        self.createdOn = createdOn
        self.population = population
        self.psychiatricSectors = psychiatricSectors
        self.coordinator = coordinator
        self.workingGroups = workingGroups
    }

    public static let fields: Set<String> = [
        "clsmId", "name", "region", "status", "scale", "communes", "governance", "createdOn", "population",
        "psychiatricSectors", "coordinator", "workingGroups",
    ]

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
        let clsmId = object.required("clsmId", Strict.identifier, &violations)
        let name = object.required("name", Strict.string(maxLength: 200), &violations)
        let region = object.required("region", Strict.region, &violations)
        let status = object.required("status", Strict.enumeration(ClsmStatus.self), &violations)
        let scale = object.required("scale", Strict.enumeration(ClsmScale.self), &violations)
        let communes = object.required("communes", Strict.array(minCount: 1, maxCount: 2000, Strict.commune), &violations)
        let governance = object.required("governance", Strict.object(Governance.self), &violations)
        let createdOn = object.optional("createdOn", Strict.date, &violations)
        let population = object.optional("population", Strict.integer(0...20_000_000), &violations)
        let sectors = object.optional("psychiatricSectors", Strict.object(PsychiatricSectors.self), &violations)
        let coordinator = object.optional("coordinator", Strict.object(Coordinator.self), &violations)
        let workingGroups = object.optional("workingGroups", Strict.array(Strict.enumeration(ThemeCode.self)), &violations)
        guard let clsmId, let name, let region, let status, let scale, let communes, let governance else { return nil }
        return Self(
            clsmId: clsmId, name: name, region: region, status: status, scale: scale, communes: communes,
            governance: governance, createdOn: createdOn, population: population, psychiatricSectors: sectors,
            coordinator: coordinator, workingGroups: workingGroups)
    }
}
