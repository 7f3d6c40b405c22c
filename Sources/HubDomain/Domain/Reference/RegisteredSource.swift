/// A producer the hub knows (reference data, section `sources`): the organisation behind a
/// `ce_source` and what it may speak for. Once one source is registered, a record from a
/// source that is not, or that names an entity its source may not speak for, is an
/// `unauthorized` dead letter (`SourceAuthorization`). With none the hub runs open.
///
/// An ARS speaks for its regions (everything whose region is one of them); the others speak
/// for the entities they list: a CLSM tool for its CLSMs (one tool may serve several), a
/// PTSM team for its PTSMs, an ASV or a CLS for itself when it records QPV actions.
public struct RegisteredSource: Sendable, Hashable, Codable, StrictlyDecodable {
    /// The organisation behind the source.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A CLSM's tool (the coordinator's software); speaks for the CLSMs it lists.
        case clsm
        /// A PTSM team; speaks for the PTSMs it lists.
        case ptsm
        /// An atelier santé ville; speaks for the ASVs it lists.
        case asv
        /// A contrat local de santé; speaks for the CLS it lists.
        case cls
        /// A regional health agency; speaks for its regions.
        case ars
    }

    /// The `ce_source` its records carry, compared byte for byte.
    public var source: String
    public var kind: Kind
    public var name: String
    /// The ids it may speak for (CLSM, PTSM, ASV or CLS ids after its kind); empty for an ARS.
    public var entities: [String]
    /// The regions an ARS speaks for (INSEE codes); empty for the others.
    public var regions: [String]

    public init(source: String, kind: Kind, name: String, entities: [String] = [], regions: [String] = []) {
        self.source = source
        self.kind = kind
        self.name = name
        self.entities = entities
        self.regions = regions
    }

    /// Whether this source may speak for `entity`: an entity of its kind that it lists.
    public func speaks(for entity: SpokenEntity) -> Bool {
        entity.kind == kind && entities.contains(entity.id)
    }

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        let allowed: Set<String> = ["source", "kind", "name", "entities", "regions"]
        guard let object = StrictObject(value, at: path, allowed: allowed, violations: &violations) else { return nil }
        let maximumSourceBytes = EnvelopeLimits.maximumAttributeBytes["source"] ?? 512
        let source = object.required("source", Strict.string(maxLength: maximumSourceBytes), &violations)
        let kind = object.required("kind", Strict.enumeration(Kind.self), &violations)
        let name = object.required("name", Strict.string(maxLength: ReferenceDataDocument.maximumNameLength), &violations)
        let entities = object.optional("entities", Strict.array(maxCount: 10_000, Strict.identifier), &violations)
        let regions = object.optional("regions", Strict.array(maxCount: 30, Strict.region), &violations)
        guard let source, let kind, let name else { return nil }
        // An ARS speaks for regions, the others for entities: the wrong list, or none, would
        // register a source that can say nothing (or was meant to say something else).
        let (needed, refused) = kind == .ars ? ("regions", "entities") : ("entities", "regions")
        let neededCount = (kind == .ars ? regions : entities)?.count ?? 0
        let refusedCount = (kind == .ars ? entities : regions)?.count ?? 0
        if neededCount == 0 {
            violations.append(Violation(path: path.key(needed).description, reason: "a source of kind \(kind.rawValue) needs \(needed)"))
        }
        if refusedCount > 0 {
            violations.append(
                Violation(path: path.key(refused).description, reason: "a source of kind \(kind.rawValue) takes no \(refused)"))
        }
        guard neededCount > 0, refusedCount == 0 else { return nil }
        return Self(source: source, kind: kind, name: name, entities: entities ?? [], regions: regions ?? [])
    }
}

/// An entity a record speaks for: the CLSM a declaration or a proposal is about, the PTSM of
/// a diagnostic, the recorder of a QPV action.
public struct SpokenEntity: Sendable, Hashable, CustomStringConvertible {
    public var kind: RegisteredSource.Kind
    public var id: String

    public init(_ kind: RegisteredSource.Kind, _ id: String) {
        self.kind = kind
        self.id = id
    }

    public var description: String { "\(kind.rawValue) \(id)" }
}
