/// `ptsm.diagnostic.published.v1`: a PTSM team publishes a version of its shared
/// territorial diagnostic with its priorities. Only a version newer than the stored one
/// changes anything.
public struct PtsmDiagnosticPublished: Sendable, Hashable, Codable, StrictlyDecodable {
    public var ptsmId: String
    public var name: String
    public var region: String
    /// The PTSM territory: usually one département.
    public var departements: [String]
    public var version: Int
    public var publishedOn: CalendarDate
    public var priorities: [ThemeCode]
    public var documentUrl: String?

    public init(
        ptsmId: String, name: String, region: String, departements: [String], version: Int, publishedOn: CalendarDate,
        priorities: [ThemeCode], documentUrl: String? = nil
    ) {
        self.ptsmId = ptsmId
        self.name = name
        self.region = region
        self.departements = departements
        self.version = version
        self.publishedOn = publishedOn
        self.priorities = priorities
        self.documentUrl = documentUrl
    }

    public static let fields: Set<String> = [
        "ptsmId", "name", "region", "departements", "version", "publishedOn", "priorities", "documentUrl",
    ]

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
        let ptsmId = object.required("ptsmId", Strict.identifier, &violations)
        let name = object.required("name", Strict.string(maxLength: 200), &violations)
        let region = object.required("region", Strict.region, &violations)
        let departements = object.required("departements", Strict.array(minCount: 1, maxCount: 20, Strict.departement), &violations)
        let version = object.required("version", Strict.integer(1...1_000_000), &violations)
        let publishedOn = object.required("publishedOn", Strict.date, &violations)
        let priorities = object.required("priorities", Strict.array(minCount: 1, Strict.enumeration(ThemeCode.self)), &violations)
        let documentUrl = object.optional("documentUrl", Strict.url, &violations)
        guard let ptsmId, let name, let region, let departements, let version, let publishedOn, let priorities else { return nil }
        return Self(
            ptsmId: ptsmId, name: name, region: region, departements: departements, version: version,
            publishedOn: publishedOn, priorities: priorities, documentUrl: documentUrl)
    }
}
