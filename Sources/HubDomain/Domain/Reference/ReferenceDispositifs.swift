/// The other dispositifs and levels a CLSM articulates with (issue 19): local dispositifs
/// (CLSPD, CPTS, DAC, PRE, contrats de ville), EPCIs, psychiatric sectors and PTSM
/// territories. Reference data like the CLS and ASVs (`hub-admin reference import`); no rule
/// notifies them yet, the articulation report shows which lie on each CLSM's territory.

/// A local dispositif known by the communes it covers.
public struct LocalDispositif: Sendable, Hashable, Codable, StrictlyDecodable {
    public enum Kind: String, Sendable, Hashable, Codable, DeclarationOrdered {
        /// Conseil local (ou intercommunal) de sécurité et de prévention de la délinquance.
        case clspd
        /// Communauté professionnelle territoriale de santé.
        case cpts
        /// Dispositif d'appui à la coordination.
        case dac
        /// Programme de réussite éducative.
        case pre
        /// Contrat de ville (politique de la ville), with the QPVs it covers.
        case contratDeVille
    }

    /// The key of a local dispositif: ids are unique within a kind.
    public struct Key: Sendable, Hashable, Codable, Comparable {
        public var kind: Kind
        public var id: String

        public init(_ kind: Kind, _ id: String) {
            self.kind = kind
            self.id = id
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.kind, lhs.id) < (rhs.kind, rhs.id) }
    }

    public var kind: Kind
    public var id: String
    public var name: String
    /// INSEE codes of the communes (or arrondissements) it covers.
    public var communes: [String]
    /// The QPVs a contrat de ville covers (empty for the other kinds).
    public var qpvs: [String]

    public init(kind: Kind, id: String, name: String, communes: [String], qpvs: [String] = []) {
        self.kind = kind
        self.id = id
        self.name = name
        self.communes = communes
        self.qpvs = qpvs
    }

    public var key: Key { Key(kind, id) }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        let allowed: Set<String> = ["kind", "id", "name", "communes", "qpvs"]
        guard let object = StrictObject(value, at: path, allowed: allowed, violations: &violations) else { return nil }
        let kind = object.required("kind", Strict.enumeration(Kind.self), &violations)
        let id = object.required("id", Strict.identifier, &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        let communes = object.required("communes", Strict.array(minCount: 1, maxCount: 2000, Strict.commune), &violations)
        let qpvs = object.optional("qpvs", Strict.array(maxCount: 200, Strict.qpv), &violations)
        if let kind, kind != .contratDeVille, let qpvs, !qpvs.isEmpty {
            violations.append(Violation(path: path.key("qpvs").description, reason: "only a contrat de ville lists QPVs"))
            return nil
        }
        guard let kind, let id, let name, let communes else { return nil }
        return Self(kind: kind, id: id, name: name, communes: communes, qpvs: qpvs ?? [])
    }
}

/// An établissement public de coopération intercommunale, by SIREN, with its communes.
public struct Epci: Sendable, Hashable, Codable, StrictlyDecodable {
    /// The legal form (the BANATIC / INSEE nature).
    public enum Nature: String, Sendable, Hashable, Codable, CaseIterable {
        /// Métropole (`ME`), the Métropole de Lyon included.
        case metropole
        /// Communauté urbaine (`CU`).
        case communauteUrbaine
        /// Communauté d'agglomération (`CA`).
        case communauteAgglomeration
        /// Communauté de communes (`CC`).
        case communauteCommunes
        /// Établissement public territorial of the Métropole du Grand Paris (`EPT`).
        case etablissementPublicTerritorial
    }

    /// SIREN: nine digits, e.g. `200057867` (Plaine Commune).
    public var siren: String
    public var name: String
    public var nature: Nature?
    public var communes: [String]

    public init(siren: String, name: String, nature: Nature? = nil, communes: [String]) {
        self.siren = siren
        self.name = name
        self.nature = nature
        self.communes = communes
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        let allowed: Set<String> = ["siren", "name", "nature", "communes"]
        guard let object = StrictObject(value, at: path, allowed: allowed, violations: &violations) else { return nil }
        let siren = object.required("siren", Strict.siren, &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        let nature = object.optional("nature", Strict.enumeration(Nature.self), &violations)
        let communes = object.required("communes", Strict.array(minCount: 1, maxCount: 2000, Strict.commune), &violations)
        guard let siren, let name, let communes else { return nil }
        return Self(siren: siren, name: name, nature: nature, communes: communes)
    }
}

/// A psychiatric sector: the area a public psychiatry team serves, for adults (secteur de
/// psychiatrie générale) or for children and adolescents (intersecteur infanto-juvénile),
/// run by an establishment.
public struct PsychiatricSector: Sendable, Hashable, Codable, StrictlyDecodable {
    public enum Population: String, Sendable, Hashable, Codable, CaseIterable {
        case adult, child
    }

    /// The sector's code as the ARS gives it, e.g. `93G01` (adult) or `93I01` (child).
    public var id: String
    public var name: String
    public var population: Population
    /// The establishment that runs it (name, as the field says it).
    public var establishment: String
    public var communes: [String]

    public init(id: String, name: String, population: Population, establishment: String, communes: [String]) {
        self.id = id
        self.name = name
        self.population = population
        self.establishment = establishment
        self.communes = communes
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        let allowed: Set<String> = ["id", "name", "population", "establishment", "communes"]
        guard let object = StrictObject(value, at: path, allowed: allowed, violations: &violations) else { return nil }
        let maximum = ReferenceDataDocument.maximumNameLength
        let id = object.required("id", Strict.identifier, &violations)
        let name = object.required("name", Strict.string(maxLength: maximum), &violations)
        let population = object.required("population", Strict.enumeration(Population.self), &violations)
        let establishment = object.required("establishment", Strict.string(maxLength: maximum), &violations)
        let communes = object.required("communes", Strict.array(minCount: 1, maxCount: 2000, Strict.commune), &violations)
        guard let id, let name, let population, let establishment, let communes else { return nil }
        return Self(id: id, name: name, population: population, establishment: establishment, communes: communes)
    }
}

/// The territory of a PTSM as the ARS cut it: usually a département, sometimes several, and
/// a département may hold several territories (each with its own PTSM).
public struct PtsmTerritory: Sendable, Hashable, Codable, StrictlyDecodable {
    public var id: String
    public var name: String
    public var departements: [String]
    /// The id of the PTSM (as its diagnostics carry it) working on this territory, when known.
    public var ptsm: String?

    public init(id: String, name: String, departements: [String], ptsm: String? = nil) {
        self.id = id
        self.name = name
        self.departements = departements
        self.ptsm = ptsm
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        let allowed: Set<String> = ["id", "name", "departements", "ptsm"]
        guard let object = StrictObject(value, at: path, allowed: allowed, violations: &violations) else { return nil }
        let id = object.required("id", Strict.identifier, &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        let departements = object.required("departements", Strict.array(minCount: 1, maxCount: 20, Strict.departement), &violations)
        let ptsm = object.optional("ptsm", Strict.identifier, &violations)
        guard let id, let name, let departements else { return nil }
        return Self(id: id, name: name, departements: departements, ptsm: ptsm)
    }
}
