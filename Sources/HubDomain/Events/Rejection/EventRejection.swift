/// One reason a payload was refused, located by a JSON path such as `governance.members[2]`
/// (`$` for the document itself).
public struct Violation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    public var reason: String

    /// Longest path and reason kept, in UTF-8 bytes: a reason may quote the value refused.
    public static let maximumPathBytes = 512
    public static let maximumReasonBytes = 1024

    /// Both texts are kept storable (`StorableText`): they may quote what the record holds.
    public init(path: String, reason: String) {
        self.path = StorableText.escaping(path, maximumBytes: Self.maximumPathBytes)
        self.reason = StorableText.escaping(reason, maximumBytes: Self.maximumReasonBytes)
    }

    public var description: String { "\(path): \(reason)" }
}

/// Why an inbound record cannot be processed: what goes to `hub.deadletter`.
///
/// `message` is a one-line English summary with context (topic, type, sizes, identifiers)
/// suitable for the `hub_error_message` header; `violations` lists every problem found,
/// in a stable order (by path, then reason).
public struct EventRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: DeadLetterCode
    public var message: String
    public var violations: [Violation]

    /// Longest `message` kept, in UTF-8 bytes (before the violations).
    public static let maximumMessageBytes = 2048

    /// `message` is kept storable (`StorableText`): it may quote what the record holds.
    public init(code: DeadLetterCode, message: String, violations: [Violation] = []) {
        self.code = code
        self.message = StorableText.escaping(message, maximumBytes: Self.maximumMessageBytes)
        self.violations = violations.sorted { ($0.path, $0.reason) < ($1.path, $1.reason) }
    }

    /// The text for the `hub_error_message` header: the message, then each violation.
    /// Kept under `limit` bytes so that a record with thousands of violations still fits a
    /// Kafka header comfortably.
    public func headerMessage(limit: Int = 4096) -> String {
        var text = message
        for violation in violations {
            let next = text + "; " + violation.description
            if next.utf8.count > limit {
                text += "; …"
                break
            }
            text = next
        }
        return text
    }

    public var description: String { "\(code.rawValue): \(headerMessage())" }
}
