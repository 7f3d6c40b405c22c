/// Closed vocabularies of the contract. Raw values are the wire values.

/// Theme codes shared by CLSM working groups, PTSM priorities and SISM topics (domain.md).
public enum ThemeCode: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case sism, housing, complexCases, professionalAwareness, publicAwareness, adolescents, children, parenting
    case perinatal, elderly, accessToCare, precarity, suicidePrevention, addictions, leisureCulture, coercion
    case observation, crossTraining, primaryCare, participation, earlyPrevention, work, rights, justice
    case inequalities, environment, employment, other

    public static func < (lhs: ThemeCode, rhs: ThemeCode) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum ClsmStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active, project, starting, stopped
}

public enum ClsmScale: String, Sendable, Hashable, Codable, CaseIterable {
    case communal, intercommunal, other
}

/// Who sits in a CLSM's governance. The first four are the "quatre quarts" (the sine qua
/// non); child psychiatry is recommended by the 2016 instruction.
public enum GovernanceMember: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case elected, adultPsychiatry, childPsychiatry, users, carers
    case socialServices, housing, education, police, justice, primaryCare, associations, other

    /// The "quatre quarts": elected officials, public psychiatry, service users, carers.
    public static let quatreQuarts: Set<GovernanceMember> = [.elected, .adultPsychiatry, .users, .carers]

    public static func < (lhs: GovernanceMember, rhs: GovernanceMember) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum SismFormat: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case conference, exhibition, screening, workshop, stand, sport, other

    public static func < (lhs: SismFormat, rhs: SismFormat) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Which kind of dispositif recorded a QPV action.
public enum RecorderKind: String, Sendable, Hashable, Codable, CaseIterable {
    case clsm, asv, cls
}

public enum QpvActionType: String, Sendable, Hashable, Codable, CaseIterable {
    case awareness, firstAidTraining, listeningPoint, outreach, training, other
}
