import CPostgres
import Foundation
import HubDomain

/// Where and how to connect, parsed from a libpq URI (`postgresql://user:password@host:port/db?…`)
/// or a `key=value` connection string, and checked with libpq's own parser so that a typo is
/// reported at start-up rather than at the first query.
///
/// The password stays inside: `description` and every error show the URI without it.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The connection string as given (holds the password: never print it).
    let connectionString: String
    /// The password, kept only to scrub it from any text that might echo it.
    private let password: String?

    /// Host (or comma-separated hosts, or a socket directory) after parsing; nil means libpq's default.
    public let host: String?
    public let port: String?
    public let user: String?
    public let database: String?
    /// libpq's `sslmode` when the URI sets one (`verify-full` checks the server's certificate
    /// against `sslrootcert` and the host name); shown by `description`.
    public let sslMode: String?

    /// Seconds libpq waits for a connection (per host) before giving up. Set to 5 when the
    /// URI has no `connect_timeout`, so that an unreachable host is an error, not a hang.
    public var connectTimeoutSeconds: Int
    /// Schemas for unqualified names, applied at connect time (so they survive reconnections).
    /// Empty: the server's default.
    public var searchPath: [String] = []
    /// `application_name` shown in `pg_stat_activity`, unless the URI sets one.
    public var applicationName: String = "clsm-hub"
    /// How long a broken connection is retried, with capped exponential backoff, before
    /// the statement fails with `connectionLost`.
    public var reconnectTimeout: Duration = .seconds(30)
    /// Whether a statement that failed because the connection broke, outside any
    /// transaction, is run again once on the new connection. Statements run outside a
    /// transaction must then be idempotent (the hub's writes are, by event identity).
    public var retriesStatementAfterReconnect: Bool = true

    private let uriSetsConnectTimeout: Bool
    private let uriSetsApplicationName: Bool
    private let uriOptions: String?

    public static let defaultConnectTimeoutSeconds = 5

    /// Parses and validates `url`; throws `invalidConfiguration` with libpq's reason.
    public init(url: String) throws {
        guard !url.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PostgresError(.invalidConfiguration, "the database URL is empty")
        }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            let scrubbed = Self.scrub(reason.trimmingCharacters(in: .whitespacesAndNewlines), url: url, password: nil)
            throw PostgresError(.invalidConfiguration, "the database URL is not a valid libpq connection string: \(scrubbed)")
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        // libpq checks port numbers only when connecting; a typo should stop the start-up.
        for port in (values["port"] ?? "").split(separator: ",", omittingEmptySubsequences: false) where !port.isEmpty {
            guard let number = Int(port.trimmingCharacters(in: .whitespaces)), (1...65_535).contains(number) else {
                throw PostgresError(.invalidConfiguration, "the database URL has an invalid port \"\(port)\"")
            }
        }
        connectionString = url
        password = values["password"].flatMap { $0.isEmpty ? nil : $0 }
        host = values["host"] ?? values["hostaddr"]
        port = values["port"]
        user = values["user"]
        database = values["dbname"]
        sslMode = values["sslmode"]
        uriOptions = values["options"]
        uriSetsApplicationName = values["application_name"] != nil
        if let timeout = values["connect_timeout"] {
            guard let seconds = Int(timeout.trimmingCharacters(in: .whitespaces)) else {
                throw PostgresError(.invalidConfiguration, "connect_timeout must be a whole number of seconds, not \"\(timeout)\"")
            }
            connectTimeoutSeconds = seconds
            uriSetsConnectTimeout = true
        } else {
            connectTimeoutSeconds = Self.defaultConnectTimeoutSeconds
            uriSetsConnectTimeout = false
        }
    }

    /// Reads `HUB_DATABASE_URL`.
    public static func fromEnvironment(_ environment: HubEnvironment = HubEnvironment()) throws -> PostgresConfiguration {
        guard let url = environment["HUB_DATABASE_URL"] else {
            throw PostgresError(
                .invalidConfiguration,
                "HUB_DATABASE_URL is not set: give a libpq URI such as postgresql://user:password@host:5432/database")
        }
        do {
            return try PostgresConfiguration(url: url)
        } catch let error as PostgresError {
            throw error.adding(context: "HUB_DATABASE_URL")
        }
    }

    /// `postgresql://user@host:port/database`, never with the password.
    public var description: String {
        var text = "postgresql://"
        if let user, !user.isEmpty { text += user + (password != nil ? ":***" : "") + "@" }
        text += host ?? ""
        if let port { text += ":\(port)" }
        text += "/" + (database ?? "")
        if let sslMode { text += " sslmode=\(sslMode)" }
        if !searchPath.isEmpty { text += " search_path=\(searchPath.joined(separator: ","))" }
        return text
    }

    /// A copy whose unqualified names resolve in `schemas` (tests: one schema per test).
    public func withSearchPath(_ schemas: [String]) -> PostgresConfiguration {
        var copy = self
        copy.searchPath = schemas
        return copy
    }

    /// Keyword/value pairs for `PQconnectdbParams`: the URI first (expanded by libpq), then
    /// what the hub needs on every session, which must not depend on server defaults because
    /// the row decoders read ISO dates in UTC and UTF-8 text.
    var connectParameters: [(String, String)] {
        var pairs: [(String, String)] = [("dbname", connectionString)]
        if !uriSetsConnectTimeout { pairs.append(("connect_timeout", String(connectTimeoutSeconds))) }
        if !uriSetsApplicationName { pairs.append(("application_name", applicationName)) }
        pairs.append(("client_encoding", "UTF8"))
        var settings = ["-c DateStyle=ISO,YMD", "-c TimeZone=UTC", "-c IntervalStyle=postgres", "-c extra_float_digits=3"]
        if !searchPath.isEmpty {
            let schemas = searchPath.map { PostgresIdentifier.quote($0) }.joined(separator: ",")
            settings.append("-c search_path=" + Self.escapeOptionValue(schemas))
        }
        let options = ([uriOptions].compactMap { $0 } + settings).joined(separator: " ")
        pairs.append(("options", options))
        return pairs
    }

    /// Removes the password (and the raw URI that holds it) from text that came from libpq or
    /// the server before it reaches an error or a log.
    func scrub(_ text: String) -> String { Self.scrub(text, url: connectionString, password: password) }

    private static func scrub(_ text: String, url: String, password: String?) -> String {
        var result = text.replacingOccurrences(of: url, with: "<database URL>")
        if let password, !password.isEmpty {
            result = result.replacingOccurrences(of: ":\(password)@", with: ":***@")
            result = result.replacingOccurrences(of: "password=\(password)", with: "password=***")
            // Short passwords are common words ("hub"): replacing them everywhere would garble
            // the message, and libpq never echoes a password by itself.
            if password.count >= 8 { result = result.replacingOccurrences(of: password, with: "***") }
        }
        return result
    }

    /// The `options` connection parameter splits on spaces; a backslash keeps one literal.
    private static func escapeOptionValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            if character == " " || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}

/// Quoting of SQL identifiers (table, column, schema, channel names), which cannot be
/// passed as parameters. Values never go through here: they are always `$n` parameters.
public enum PostgresIdentifier {
    /// `name` as a double-quoted identifier, inner quotes doubled: `a"b` → `"a""b"`.
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `schema.table`, each part quoted; `schema` nil gives the bare quoted table.
    public static func qualified(_ table: String, schema: String?) -> String {
        guard let schema else { return quote(table) }
        return quote(schema) + "." + quote(table)
    }
}
