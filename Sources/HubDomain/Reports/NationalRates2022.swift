/// A national reference rate the articulation report sets a region's figures beside.
public struct NationalRate: Sendable, Hashable {
    /// Share of CLSMs, 0...1.
    public var share: Double
    /// `true` when the source gives a lower bound ("plus de 40%"), not a value.
    public var isLowerBound: Bool
    /// Where the figure comes from, for the people reading the report.
    public var source: String

    public init(_ share: Double, lowerBound: Bool = false, source: String) {
        self.share = share
        self.isLowerBound = lowerBound
        self.source = source
    }

    /// "91%", or "> 40%" for a lower bound.
    public var text: String {
        let percent = Int((share * 100).rounded())
        return isLowerBound ? "> \(percent)%" : "\(percent)%"
    }
}

/// The national figures of the 2022 survey of CLSMs: *État des lieux national du
/// fonctionnement des CLSM*, Centre national de ressources et d'appui aux CLSM (CCOMS),
/// questionnaire sent to every listed CLSM in summer 2022, closed in October 2022; 131 of the
/// 260 active CLSMs answered (50%). Text extraction in `shared/seeds/000_17de29d25ad60c21.txt`
/// (page topics quoted below), summarised in `shared/domain.md` ("Facts worth building on").
///
/// These are shares of *responding* CLSMs, as they declared them; the hub's regional figures
/// are computed from declarations and reference data (see `ArticulationReport`), so they
/// compare orders of magnitude, not like with like. Each indicator says how it is computed.
public enum NationalRates2022 {
    static let survey = "CCOMS 2022"

    // Articulation (seed 000, part 6 "Place des CLSM dans leurs territoires", chart
    // "Articulation effective — Votre CLSM s'articule-t-il avec les dispositifs suivants ?":
    // PTSM oui 91%, CLS oui 77%).

    /// CLSMs articulated with their PTSM: 91%.
    public static let withPtsm = NationalRate(0.91, source: survey + ", articulation effective avec le PTSM")
    /// CLSMs articulated with a CLS: 77%.
    public static let withCls = NationalRate(0.77, source: survey + ", articulation effective avec un CLS")

    // Politique de la ville (seed 000, part 1 "Couverture des QPV": "La part des CLSM couvrant
    // des QPV est passée de 75% en 2018 à 83% aujourd'hui"; part 6: "si 83% des CLSM couvrent
    // un ou plusieurs QPV, sur plus de 40% de ces territoires, le dispositif atelier santé-ville
    // (ASV) n'existe pas"; "60% des CLSM répondants déclarent mener des actions spécifiques à
    // destination des acteurs des QPV").

    /// CLSMs covering at least one QPV: 83%.
    public static let coversQpv = NationalRate(0.83, source: survey + ", couverture des QPV")
    /// Of the CLSMs covering QPVs, those on whose territory no ASV exists: more than 40%.
    public static let qpvTerritoryWithoutAsv = NationalRate(
        0.40, lowerBound: true, source: survey + ", « sur plus de 40% de ces territoires » pas d'ASV")
    /// CLSMs running actions aimed at QPV actors: 60% (of all respondents).
    public static let actionsInQpv = NationalRate(0.60, source: survey + ", actions spécifiques à destination des acteurs des QPV")

    // Governance (seed 000, part 2 "Fonctionnement des CLSM": "Si 85% des CLSM ont un COPIL";
    // "Près de 74% des CLSM organisent des assemblées plénières"; chart "Composition — Les
    // acteurs suivants participent-ils au COPIL du CLSM ?": élus 96%, psychiatrie adulte 96%,
    // psychiatrie infanto-juvénile 64%, usagers 72%, aidants 78%).

    /// CLSMs with a steering committee (COPIL): 85%.
    public static let copil = NationalRate(0.85, source: survey + ", CLSM dotés d'un COPIL")
    /// CLSMs holding plenary assemblies: 74%.
    public static let plenaryAssembly = NationalRate(0.74, source: survey + ", assemblées plénières")

    /// COPIL members. The hub's declarations list governance members without saying in which
    /// body they sit, so the regional share counts them in the governance as a whole.
    public static let members: [(GovernanceMember, NationalRate)] = [
        (.elected, NationalRate(0.96, source: survey + ", élus au COPIL")),
        (.adultPsychiatry, NationalRate(0.96, source: survey + ", psychiatrie adulte au COPIL")),
        (.childPsychiatry, NationalRate(0.64, source: survey + ", psychiatrie infanto-juvénile au COPIL")),
        (.users, NationalRate(0.72, source: survey + ", représentants des usagers au COPIL")),
        (.carers, NationalRate(0.78, source: survey + ", représentants des aidants au COPIL")),
    ]

    // Working groups (seed 000, part 3 "Les thématiques de travail", chart of themes: SISM 76%,
    // logement/habitat 65%, commission cas complexes 64%, adolescents 55% — "CLÉ DE LECTURE :
    // 55% des CLSM ont un groupe de travail consacré à la santé mentale des adolescents").

    /// The most-worked themes.
    public static let workingGroups: [(ThemeCode, NationalRate)] = [
        (.sism, NationalRate(0.76, source: survey + ", thématique SISM")),
        (.housing, NationalRate(0.65, source: survey + ", thématique logement/habitat")),
        (.complexCases, NationalRate(0.64, source: survey + ", thématique cas complexes")),
        (.adolescents, NationalRate(0.55, source: survey + ", thématique adolescents")),
    ]
}
