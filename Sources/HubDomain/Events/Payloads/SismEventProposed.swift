/// `sism.event.proposed.v1`: a CLSM proposes (or updates, or cancels) one event of its
/// local SISM programme. A later proposal with the same `proposalId` replaces the earlier one.
public struct SismEventProposed: Sendable, Hashable, Codable, StrictlyDecodable {
    public var proposalId: String
    public var clsmId: String
    /// The edition year; must exist in reference data.
    public var edition: Int
    public var title: String
    public var format: SismFormat
    public var startsAt: Timestamp
    public var endsAt: Timestamp
    /// INSEE code of the commune where it takes place.
    public var commune: String
    /// The place (a venue name or address), never a person.
    public var venue: String
    /// Who it is for, in words ("grand public", "professionnels du logement"...).
    public var audience: String
    public var themes: [ThemeCode]?
    /// The QPV where it takes place, if any.
    public var qpv: String?
    public var cancelled: Bool?

    public init(
        proposalId: String, clsmId: String, edition: Int, title: String, format: SismFormat, startsAt: Timestamp,
        endsAt: Timestamp, commune: String, venue: String, audience: String, themes: [ThemeCode]? = nil,
        qpv: String? = nil, cancelled: Bool? = nil
    ) {
        self.proposalId = proposalId
        self.clsmId = clsmId
        self.edition = edition
        self.title = title
        self.format = format
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.commune = commune
        self.venue = venue
        self.audience = audience
        self.themes = themes
        self.qpv = qpv
        self.cancelled = cancelled
    }

    public var isCancelled: Bool { cancelled ?? false }

    public static let fields: Set<String> = [
        "proposalId", "clsmId", "edition", "title", "format", "startsAt", "endsAt", "commune", "venue", "audience",
        "themes", "qpv", "cancelled",
    ]

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
        let proposalId = object.required("proposalId", Strict.identifier, &violations)
        let clsmId = object.required("clsmId", Strict.identifier, &violations)
        let edition = object.required("edition", Strict.integer(2000...2100), &violations)
        let title = object.required("title", Strict.string(maxLength: 300), &violations)
        let format = object.required("format", Strict.enumeration(SismFormat.self), &violations)
        let startsAt = object.required("startsAt", Strict.timestamp, &violations)
        let endsAt = object.required("endsAt", Strict.timestamp, &violations)
        let commune = object.required("commune", Strict.commune, &violations)
        let venue = object.required("venue", Strict.string(maxLength: 300), &violations)
        let audience = object.required("audience", Strict.string(maxLength: 200), &violations)
        let themes = object.optional("themes", Strict.array(Strict.enumeration(ThemeCode.self)), &violations)
        let qpv = object.optional("qpv", Strict.qpv, &violations)
        let cancelled = object.optional("cancelled", Strict.bool, &violations)
        if let startsAt, let endsAt, !startsAt.isBefore(endsAt) {
            violations.append(
                Violation(path: path.key("endsAt").description, reason: "must be after startsAt (\(startsAt.text)), got \(endsAt.text)"))
            return nil
        }
        guard let proposalId, let clsmId, let edition, let title, let format, let startsAt, let endsAt, let commune,
            let venue, let audience
        else { return nil }
        return Self(
            proposalId: proposalId, clsmId: clsmId, edition: edition, title: title, format: format, startsAt: startsAt,
            endsAt: endsAt, commune: commune, venue: venue, audience: audience, themes: themes, qpv: qpv, cancelled: cancelled)
    }
}
