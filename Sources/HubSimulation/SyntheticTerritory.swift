import HubDomain

/// A deterministic synthetic national territory: the real 18 regions and 101 départements,
/// then synthetic communes, QPVs, CLS, ASV, SISM editions and CLSM declarations drawn from a
/// seed with the proportions the seeds report (domain.md). Everything below the département
/// is labelled synthetic ("Commune synthétique 93017", "CLSM synthétique 0042").
///
/// The same seed (and sizes) gives the same values, hence the same bytes once encoded.
public struct SyntheticTerritory: Sendable, Hashable {
    public var seed: UInt64
    /// Reference data, as `hub-admin reference import` reads it.
    public var reference: ReferenceDataDocument
    /// One declaration per CLSM, in id order (`clsm-synth-0001`...).
    public var clsms: [ClsmDeclared]
    /// Communes drawn as urban (QPVs are concentrated there).
    public var urbanCommunes: Set<String>

    public init(seed: UInt64, reference: ReferenceDataDocument, clsms: [ClsmDeclared], urbanCommunes: Set<String>) {
        self.seed = seed
        self.reference = reference
        self.clsms = clsms
        self.urbanCommunes = urbanCommunes
    }

    /// Rates the generator draws with. Those marked (2022) come from the national survey
    /// quoted in domain.md; the others are the simulation's own choices.
    public enum Rates {
        /// Scale (2022): 52% communal, 34% intercommunal, the rest other.
        public static let communal = 0.52
        public static let intercommunal = 0.34
        /// 83% of CLSMs cover at least one QPV (2022).
        public static let coversQpv = 0.83
        /// 77% of CLSMs articulate with a CLS (2022); here: share a commune with one.
        public static let withCls = 0.77
        /// "On more than 40% of those territories no ASV exists" (2022): 45% here.
        public static let qpvTerritoryWithoutAsv = 0.45
        /// COPIL 85%, plenary assembly 74% (2022).
        public static let copil = 0.85
        public static let plenaryAssembly = 0.74
        /// COPIL members (2022) for the first five; the others are the simulation's.
        public static let members: [(GovernanceMember, Double)] = [
            (.elected, 0.96), (.adultPsychiatry, 0.96), (.childPsychiatry, 0.64), (.users, 0.72), (.carers, 0.78),
            (.socialServices, 0.60), (.housing, 0.50), (.education, 0.40), (.police, 0.35), (.justice, 0.20),
            (.primaryCare, 0.40), (.associations, 0.70), (.other, 0.15),
        ]
        /// Working groups: sism 76%, housing 65%, complex cases 64%, adolescents 55% (2022);
        /// the others are the simulation's.
        public static let workingGroups: [(ThemeCode, Double)] = [
            (.sism, 0.76), (.housing, 0.65), (.complexCases, 0.64), (.adolescents, 0.55),
            (.professionalAwareness, 0.35), (.publicAwareness, 0.40), (.children, 0.25), (.parenting, 0.20),
            (.perinatal, 0.10), (.elderly, 0.20), (.accessToCare, 0.30), (.precarity, 0.30),
            (.suicidePrevention, 0.35), (.addictions, 0.20), (.leisureCulture, 0.15), (.coercion, 0.10),
            (.observation, 0.20), (.crossTraining, 0.15), (.primaryCare, 0.15), (.participation, 0.25),
            (.earlyPrevention, 0.10), (.work, 0.10), (.rights, 0.15), (.justice, 0.10), (.inequalities, 0.10),
            (.environment, 0.10), (.employment, 0.15), (.other, 0.05),
        ]
        /// Status: mostly active (the simulation's split).
        public static let status: [(ClsmStatus, Double)] = [(.active, 0.88), (.starting, 0.05), (.project, 0.05), (.stopped, 0.02)]
        /// Share of CLSMs drawn on a commune another CLSM already covers ("a few overlaps").
        public static let overlap = 0.03
        /// Île-de-France's share of CLSMs (76 of 192 in 2018 counting projects; ~28% here).
        public static let ileDeFranceShare = 0.28
    }

    public static func make(seed: UInt64, clsmCount: Int = 270, qpvCount: Int = 1600) -> SyntheticTerritory {
        precondition(clsmCount >= 1 && clsmCount <= 9999, "clsmCount must be in 1...9999")
        precondition(qpvCount >= 0 && qpvCount <= 100_000, "qpvCount must be in 0...100000")
        var builder = TerritoryBuilder(seed: seed)
        return builder.build(clsmCount: clsmCount, qpvCount: qpvCount)
    }
}
