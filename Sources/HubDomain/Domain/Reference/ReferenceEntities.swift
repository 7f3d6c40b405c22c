/// Reference data: territories and dispositifs an administrator maintains with
/// `hub-admin reference import`. Events refer to them by code; an unknown code is an
/// `unknown_reference` dead letter.

public struct Region: Sendable, Hashable, Codable, StrictlyDecodable {
    /// INSEE region code, e.g. `11` (Île-de-France). Also the id of the region's ARS.
    public var code: String
    public var name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: ["code", "name"], violations: &violations) else { return nil }
        let code = object.required("code", Strict.region, &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        guard let code, let name else { return nil }
        return Self(code: code, name: name)
    }
}

public struct Departement: Sendable, Hashable, Codable, StrictlyDecodable {
    public var code: String
    public var name: String
    public var region: String

    public init(code: String, name: String, region: String) {
        self.code = code
        self.name = name
        self.region = region
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: ["code", "name", "region"], violations: &violations) else { return nil }
        let code = object.required("code", Strict.departement, &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        let region = object.required("region", Strict.region, &violations)
        guard let code, let name, let region else { return nil }
        return Self(code: code, name: name, region: region)
    }
}

/// A commune, or a municipal arrondissement (Paris, Lyon, Marseille), by INSEE code.
public struct Commune: Sendable, Hashable, Codable, StrictlyDecodable {
    public var code: String
    public var name: String
    public var departement: String

    public init(code: String, name: String, departement: String) {
        self.code = code
        self.name = name
        self.departement = departement
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: ["code", "name", "departement"], violations: &violations) else {
            return nil
        }
        let code = object.required("code", Strict.commune, &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        let departement = object.required("departement", Strict.departement, &violations)
        guard let code, let name, let departement else { return nil }
        return Self(code: code, name: name, departement: departement)
    }
}

/// A quartier prioritaire de la politique de la ville. It lies inside one commune (the list
/// allows several for the rare neighbourhoods that straddle a boundary).
public struct Qpv: Sendable, Hashable, Codable, StrictlyDecodable {
    public var code: String
    public var name: String
    public var communes: [String]

    public init(code: String, name: String, communes: [String]) {
        self.code = code
        self.name = name
        self.communes = communes
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: ["code", "name", "communes"], violations: &violations) else { return nil }
        let code = object.required("code", Strict.qpv, &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        let communes = object.required("communes", Strict.array(minCount: 1, maxCount: 20, Strict.commune), &violations)
        guard let code, let name, let communes else { return nil }
        return Self(code: code, name: name, communes: communes)
    }
}

/// A contrat local de santé and the communes it covers.
public struct Cls: Sendable, Hashable, Codable, StrictlyDecodable {
    public var id: String
    public var name: String
    public var region: String
    public var communes: [String]

    public init(id: String, name: String, region: String, communes: [String]) {
        self.id = id
        self.name = name
        self.region = region
        self.communes = communes
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: ["id", "name", "region", "communes"], violations: &violations) else {
            return nil
        }
        let id = object.required("id", Strict.identifier, &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        let region = object.required("region", Strict.region, &violations)
        let communes = object.required("communes", Strict.array(minCount: 1, maxCount: 2000, Strict.commune), &violations)
        guard let id, let name, let region, let communes else { return nil }
        return Self(id: id, name: name, region: region, communes: communes)
    }
}

/// An atelier santé ville and the QPVs it serves.
public struct Asv: Sendable, Hashable, Codable, StrictlyDecodable {
    public var id: String
    public var name: String
    public var qpvs: [String]

    public init(id: String, name: String, qpvs: [String]) {
        self.id = id
        self.name = name
        self.qpvs = qpvs
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: ["id", "name", "qpvs"], violations: &violations) else { return nil }
        let id = object.required("id", Strict.identifier, &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        let qpvs = object.required("qpvs", Strict.array(minCount: 1, maxCount: 200, Strict.qpv), &violations)
        guard let id, let name, let qpvs else { return nil }
        return Self(id: id, name: name, qpvs: qpvs)
    }
}

/// A national SISM edition: theme and date window (Europe/Paris calendar days, inclusive).
public struct SismEdition: Sendable, Hashable, Codable, StrictlyDecodable {
    public var year: Int
    public var theme: String
    public var startsOn: CalendarDate
    public var endsOn: CalendarDate

    public init(year: Int, theme: String, startsOn: CalendarDate, endsOn: CalendarDate) {
        self.year = year
        self.theme = theme
        self.startsOn = startsOn
        self.endsOn = endsOn
    }

    /// Whether a Europe/Paris calendar day lies in the window.
    public func contains(_ day: CalendarDate) -> Bool {
        startsOn <= day && day <= endsOn
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: ["year", "theme", "startsOn", "endsOn"], violations: &violations) else {
            return nil
        }
        let year = object.required("year", Strict.integer(2000...2100), &violations)
        let theme = object.required("theme", Strict.string(maxLength: 300), &violations)
        let startsOn = object.required("startsOn", Strict.date, &violations)
        let endsOn = object.required("endsOn", Strict.date, &violations)
        if let startsOn, let endsOn, endsOn < startsOn {
            violations.append(Violation(path: path.key("endsOn").description, reason: "must not be before startsOn (\(startsOn))"))
            return nil
        }
        guard let year, let theme, let startsOn, let endsOn else { return nil }
        return Self(year: year, theme: theme, startsOn: startsOn, endsOn: endsOn)
    }
}
