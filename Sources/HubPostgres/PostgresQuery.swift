/// A statement and the values bound to its `$n` placeholders, built together so that they
/// cannot drift apart: in a string interpolation, `\(value)` appends the next `$n` and
/// binds `value`; SQL text comes only from the literal parts, or from an explicit
/// `\(identifier: name)` (quoted) or `\(unescaped: fragment)` (trusted text written in the
/// code, never a value).
///
/// ```swift
/// let query: PostgresQuery = "SELECT doc FROM ref_communes WHERE code = ANY(\(codes)) AND departement = \(code)"
/// // sql: SELECT doc FROM ref_communes WHERE code = ANY($1) AND departement = $2
/// // bindings: [.textArray(codes), .text(code)]
/// ```
///
/// Queries compose: interpolating or appending another `PostgresQuery` renumbers its
/// placeholders after the ones before it. The model is postgres-nio's `PostgresQuery`.
public struct PostgresQuery: Sendable, Hashable {
    /// The SQL text between placeholders: always one more part than bindings.
    private var parts: [String]
    /// The values of `$1…$n`, in order.
    public private(set) var bindings: [PostgresValue]

    /// SQL written in the code, with no value in it.
    public init(unescaped sql: String) {
        parts = [sql]
        bindings = []
    }

    /// The statement with its placeholders numbered `$1…$n`.
    public var sql: String {
        var sql = parts[0]
        for (index, part) in parts.dropFirst().enumerated() {
            sql += "$\(index + 1)"
            sql += part
        }
        return sql
    }

    /// Appends trusted SQL text (no value).
    public mutating func append(unescaped sql: String) {
        parts[parts.count - 1] += sql
    }

    /// Appends a placeholder bound to `value`.
    public mutating func append(binding value: some PostgresEncodable) {
        bindings.append(value.postgresValue)
        parts.append("")
    }

    /// Appends `other`, its placeholders numbered after this query's.
    public mutating func append(_ other: PostgresQuery) {
        parts[parts.count - 1] += other.parts[0]
        parts += other.parts.dropFirst()
        bindings += other.bindings
    }

    public static func + (lhs: PostgresQuery, rhs: PostgresQuery) -> PostgresQuery {
        var query = lhs
        query.append(rhs)
        return query
    }

    /// `queries` one after the other, `separator` between them.
    public static func joined(_ queries: some Sequence<PostgresQuery>, separator: String) -> PostgresQuery {
        var result = PostgresQuery(unescaped: "")
        for (index, query) in queries.enumerated() {
            if index > 0 { result.append(unescaped: separator) }
            result.append(query)
        }
        return result
    }
}

extension PostgresQuery: ExpressibleByStringInterpolation {
    public init(stringLiteral value: String) {
        self.init(unescaped: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self = stringInterpolation.query
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var query = PostgresQuery(unescaped: "")

        public init(literalCapacity: Int, interpolationCount: Int) {
            query.parts.reserveCapacity(interpolationCount + 1)
            query.bindings.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            query.append(unescaped: literal)
        }

        /// `$n`, bound to `value`.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            query.append(binding: value)
        }

        /// `$n`, bound to `value` or to NULL.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            query.append(binding: value)
        }

        /// Another query, its placeholders renumbered after the ones before it.
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            query.append(fragment)
        }

        /// A table or column name, double-quoted.
        public mutating func appendInterpolation(identifier name: String) {
            query.append(unescaped: PostgresIdentifier.quote(name))
        }

        /// Names separated by commas, each double-quoted (a column list).
        public mutating func appendInterpolation(identifiers names: [String]) {
            query.append(unescaped: names.map(PostgresIdentifier.quote).joined(separator: ", "))
        }

        /// SQL text written in the code (a keyword, a cast, a number of rows): never a value
        /// that came from outside.
        public mutating func appendInterpolation(unescaped sql: String) {
            query.append(unescaped: sql)
        }
    }
}

extension PostgresQuery: CustomStringConvertible {
    /// The SQL and its bindings, for logs and test failures.
    public var description: String {
        bindings.isEmpty ? sql : "\(sql) \(bindings)"
    }
}
