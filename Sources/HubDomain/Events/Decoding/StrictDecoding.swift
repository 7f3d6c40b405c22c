/// Building blocks for strict payload decoding.
///
/// Codable stops at the first error and ignores unknown keys; the contract wants the
/// opposite (refuse unknown fields, report every violation with its path). So payloads are
/// decoded from a `JSONValue` by small composable decoders that append `Violation`s and
/// return `nil` for a bad value, letting decoding carry on with the siblings.
public typealias StrictDecode<T> = @Sendable (JSONValue, JSONPath, inout [Violation]) -> T?

/// Types that decode strictly from JSON, reporting every violation.
public protocol StrictlyDecodable {
    static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self?
}

extension StrictlyDecodable {
    /// Decodes a whole document, or throws `schema_violation` with all violations.
    public static func strictDecode(_ value: JSONValue, typeName: String) throws(EventRejection) -> Self {
        var violations: [Violation] = []
        let decoded = strictDecode(value, at: .root, violations: &violations)
        guard violations.isEmpty, let decoded else {
            throw EventRejection(
                code: .schemaViolation,
                message: "\(typeName) payload does not match its schema (\(violations.count) violation(s))",
                violations: violations.isEmpty ? [Violation(path: "$", reason: "could not be decoded")] : violations)
        }
        return decoded
    }
}

/// A JSON object being read field by field: unknown keys are reported once, up front.
public struct StrictObject {
    public let members: [String: JSONValue]
    public let path: JSONPath

    /// Checks that `value` is an object with no keys beyond `allowed`.
    public init?(_ value: JSONValue, at path: JSONPath, allowed: Set<String>, violations: inout [Violation]) {
        guard case .object(let members) = value else {
            violations.append(Violation(path: path.description, reason: "must be an object, got \(value.typeName)"))
            return nil
        }
        for key in members.keys.sorted() where !allowed.contains(key) {
            violations.append(Violation(path: path.key(key).description, reason: "unknown field"))
        }
        self.members = members
        self.path = path
    }

    /// A required field: missing or `null` is a violation.
    public func required<T>(_ key: String, _ decode: StrictDecode<T>, _ violations: inout [Violation]) -> T? {
        guard let value = members[key], value != .null else {
            violations.append(Violation(path: path.key(key).description, reason: "is required"))
            return nil
        }
        return decode(value, path.key(key), &violations)
    }

    /// An optional field: missing or `null` gives `nil` without violation. `present` tells
    /// apart "absent" from "present but invalid" when the caller needs it.
    public func optional<T>(_ key: String, _ decode: StrictDecode<T>, _ violations: inout [Violation]) -> T? {
        guard let value = members[key], value != .null else { return nil }
        return decode(value, path.key(key), &violations)
    }
}

/// The value decoders used by the payload types.
public enum Strict {
    public static func string(minLength: Int = 1, maxLength: Int = 500) -> StrictDecode<String> {
        { value, path, violations in
            guard case .string(let text) = value else {
                violations.append(Violation(path: path.description, reason: "must be a string, got \(value.typeName)"))
                return nil
            }
            // Every inbound string comes through here: the UTF-8 bytes settle the common
            // cases, and characters are counted only when they cannot (a character is at
            // least one byte; a control character is one byte, never part of another).
            if minLength == 1 ? text.isBlank : text.trimmingWhitespace().count < minLength {
                violations.append(
                    Violation(
                        path: path.description, reason: minLength == 1 ? "must not be empty" : "must have at least \(minLength) characters")
                )
                return nil
            }
            if text.utf8.count > maxLength, text.count > maxLength {
                violations.append(Violation(path: path.description, reason: "must have at most \(maxLength) characters, got \(text.count)"))
                return nil
            }
            if text.utf8.contains(where: { $0 < 0x20 && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\t") }) {
                violations.append(Violation(path: path.description, reason: "must not contain control characters"))
                return nil
            }
            return text
        }
    }

    /// An identifier: 1 to 100 characters, no whitespace or control characters (it ends up
    /// in Kafka keys like `clsm:<id>` and in notification id names).
    public static let identifier: StrictDecode<String> = { value, path, violations in
        guard let text = string(maxLength: 100)(value, path, &violations) else { return nil }
        let forbidden =
            text.utf8.allSatisfy { $0 < 0x80 }
            ? text.utf8.contains { String.isASCIIWhitespace($0) || $0 == UInt8(ascii: "|") }
            : text.unicodeScalars.contains { $0.properties.isWhitespace || $0 == "|" }
        guard !forbidden else {
            violations.append(Violation(path: path.description, reason: "must not contain whitespace or '|'"))
            return nil
        }
        return text
    }

    /// A string matching a code format described by `check`, e.g. INSEE commune codes.
    public static func code(_ format: String, _ check: @escaping @Sendable (String) -> Bool) -> StrictDecode<String> {
        { value, path, violations in
            guard case .string(let text) = value else {
                violations.append(Violation(path: path.description, reason: "must be a string, got \(value.typeName)"))
                return nil
            }
            guard check(text) else {
                violations.append(Violation(path: path.description, reason: "must be \(format), got \"\(text)\""))
                return nil
            }
            return text
        }
    }

    public static func enumeration<E: RawRepresentable & CaseIterable & SendableMetatype>(_ type: E.Type) -> StrictDecode<E>
    where E.RawValue == String {
        { value, path, violations in
            guard case .string(let text) = value else {
                violations.append(Violation(path: path.description, reason: "must be a string, got \(value.typeName)"))
                return nil
            }
            guard let decoded = E(rawValue: text) else {
                let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
                violations.append(Violation(path: path.description, reason: "must be one of [\(allowed)], got \"\(text)\""))
                return nil
            }
            return decoded
        }
    }

    public static func integer(_ range: ClosedRange<Int>) -> StrictDecode<Int> {
        { value, path, violations in
            let number: Int64
            switch value {
            case .integer(let integer): number = integer
            case .number(let double) where double == double.rounded() && abs(double) < 9.0e15: number = Int64(double)
            default:
                violations.append(Violation(path: path.description, reason: "must be an integer, got \(value.typeName)"))
                return nil
            }
            guard number >= Int64(range.lowerBound), number <= Int64(range.upperBound) else {
                violations.append(
                    Violation(path: path.description, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(number)"))
                return nil
            }
            return Int(number)
        }
    }

    public static func number(_ range: ClosedRange<Double>) -> StrictDecode<Double> {
        { value, path, violations in
            let number: Double
            switch value {
            case .integer(let integer): number = Double(integer)
            case .number(let double): number = double
            default:
                violations.append(Violation(path: path.description, reason: "must be a number, got \(value.typeName)"))
                return nil
            }
            guard range.contains(number) else {
                violations.append(
                    Violation(path: path.description, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(number)"))
                return nil
            }
            return number
        }
    }

    public static let bool: StrictDecode<Bool> = { value, path, violations in
        guard case .bool(let flag) = value else {
            violations.append(Violation(path: path.description, reason: "must be a boolean, got \(value.typeName)"))
            return nil
        }
        return flag
    }

    public static let date: StrictDecode<CalendarDate> = { value, path, violations in
        guard case .string(let text) = value else {
            violations.append(Violation(path: path.description, reason: "must be a date string, got \(value.typeName)"))
            return nil
        }
        guard let date = CalendarDate(text) else {
            violations.append(Violation(path: path.description, reason: "must be a date YYYY-MM-DD, got \"\(text)\""))
            return nil
        }
        return date
    }

    public static let timestamp: StrictDecode<Timestamp> = { value, path, violations in
        guard case .string(let text) = value else {
            violations.append(Violation(path: path.description, reason: "must be a date-time string, got \(value.typeName)"))
            return nil
        }
        guard let timestamp = Timestamp(text) else {
            violations.append(
                Violation(
                    path: path.description,
                    reason: "must be an RFC 3339 date-time with offset (e.g. 2026-03-16T18:30:00+01:00), got \"\(text)\""))
            return nil
        }
        return timestamp
    }

    public static let url: StrictDecode<String> = { value, path, violations in
        guard let text = string(maxLength: 2000)(value, path, &violations) else { return nil }
        guard text.hasPrefix("https://") || text.hasPrefix("http://"), !text.contains(" ") else {
            violations.append(Violation(path: path.description, reason: "must be an http(s) URL"))
            return nil
        }
        return text
    }

    /// An array with a minimum count; duplicates refused when `unique` (every element is
    /// still decoded so that all violations are reported).
    public static func array<T: Hashable & SendableMetatype>(
        minCount: Int = 0, maxCount: Int = 10_000, unique: Bool = true, _ element: @escaping StrictDecode<T>
    ) -> StrictDecode<[T]> {
        { value, path, violations in
            guard case .array(let items) = value else {
                violations.append(Violation(path: path.description, reason: "must be an array, got \(value.typeName)"))
                return nil
            }
            if items.count < minCount {
                violations.append(
                    Violation(path: path.description, reason: "must have at least \(minCount) element(s), got \(items.count)"))
            }
            if items.count > maxCount {
                violations.append(Violation(path: path.description, reason: "must have at most \(maxCount) elements, got \(items.count)"))
                return nil
            }
            var result: [T] = []
            var seen: Set<T> = []
            var failed = items.count < minCount
            for (position, item) in items.enumerated() {
                guard let decoded = element(item, path.index(position), &violations) else {
                    failed = true
                    continue
                }
                if unique, !seen.insert(decoded).inserted {
                    violations.append(Violation(path: path.index(position).description, reason: "duplicates an earlier element"))
                    failed = true
                }
                result.append(decoded)
            }
            return failed ? nil : result
        }
    }

    public static func object<T: StrictlyDecodable & SendableMetatype>(_ type: T.Type) -> StrictDecode<T> {
        { value, path, violations in T.strictDecode(value, at: path, violations: &violations) }
    }
}

extension String {
    /// Whether only whitespace (or nothing): `trimmingWhitespace().isEmpty`, settled by the
    /// first byte for most strings.
    var isBlank: Bool {
        guard let first = utf8.first else { return true }
        if first < 0x80, !Self.isASCIIWhitespace(first) { return false }
        return trimmingWhitespace().isEmpty
    }

    /// The ASCII scalars with Unicode's White_Space property (tab to carriage return, space).
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    func trimmingWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.unicodeScalars.first, first.properties.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.unicodeScalars.last, last.properties.isWhitespace { slice = slice.dropLast() }
        return slice
    }
}
