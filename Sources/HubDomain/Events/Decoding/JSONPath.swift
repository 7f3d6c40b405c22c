/// A location inside a payload, printed like `governance.members[2]` (`$` for the root).
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public private(set) var text: String

    public static let root = JSONPath(text: "")

    public func key(_ name: String) -> JSONPath {
        JSONPath(text: text.isEmpty ? name : text + "." + name)
    }

    public func index(_ position: Int) -> JSONPath {
        JSONPath(text: text + "[\(position)]")
    }

    public var description: String { text.isEmpty ? "$" : text }
}
