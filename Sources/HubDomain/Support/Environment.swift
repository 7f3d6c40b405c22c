import Foundation

/// Reads the hub's configuration variables, so that tests can pass their own dictionary
/// instead of the process environment.
public struct HubEnvironment: Sendable {
    public var variables: [String: String]

    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.variables = variables
    }

    public subscript(name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }
}
