/// The identity of an event per CloudEvents: (`ce_source`, `ce_id`). Delivered twice, an
/// event takes effect once; notification ids are derived from it.
public struct EventIdentity: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var source: String
    public var id: String

    public init(source: String, id: String) {
        self.source = source
        self.id = id
    }

    public var description: String { "\(source)|\(id)" }

    public static func < (lhs: EventIdentity, rhs: EventIdentity) -> Bool {
        (lhs.source, lhs.id) < (rhs.source, rhs.id)
    }
}
