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

    // MARK: Timeouts (docs/operations.md, "Timeouts")
    //
    // A worker cut from the server by a partition keeps its transaction open on the server,
    // and with it the schema's processing lock (`pg_advisory_xact_lock`) that every other
    // worker waits for. These limits let the server end such a session in well under a
    // minute, and let the cut worker notice that nothing comes back.

    /// Server-side `statement_timeout`: longest a statement may run, waiting for a lock
    /// included. nil: no limit (`hub-admin`, whose rebuilds and reports run long).
    public var statementTimeout: Duration? = .seconds(30)
    /// Server-side `idle_in_transaction_session_timeout`: the server ends a session that
    /// keeps a transaction open without sending anything for this long (a cut client),
    /// which releases its locks. nil: no limit.
    public var idleInTransactionTimeout: Duration? = .seconds(30)
    /// `tcp_user_timeout`, on both ends of the connection: how long sent data may stay
    /// unacknowledged before the kernel drops the connection. nil: the system's default.
    public var tcpUserTimeout: Duration? = .seconds(30)
    /// TCP keepalive probes, on both ends (libpq's `keepalives_*`, the server's
    /// `tcp_keepalives_*`): a peer that vanished is found out after `idle + interval ×
    /// count` of silence (25 s by default) instead of the system's two hours. nil: the
    /// system's defaults.
    public var keepalives: PostgresKeepalives? = PostgresKeepalives()
    /// How long the client waits for the server's next byte once it has sent a statement,
    /// before it takes the connection as lost (`connectionLost`): the only thing that
    /// notices a peer that still acknowledges packets but never answers (a stuck proxy).
    public var replyDeadline: PostgresReplyDeadline = .afterStatementTimeout

    private let uriSetsConnectTimeout: Bool
    private let uriSetsApplicationName: Bool
    private let uriOptions: String?
    /// libpq keywords the URI sets itself (`keepalives_idle`, `tcp_user_timeout`…): the URI wins.
    private let uriKeywords: Set<String>
    /// Server settings the URI's `options` set (`statement_timeout`…): the URI wins.
    private let uriSettings: [String: String]
    /// `statement_timeout` as the URI's `options` set it, for the reply deadline.
    private let uriStatementTimeout: Duration??
    /// The timeouts that `HUB_DATABASE_*` variables set, which `forLongCommands()` keeps.
    private var timeoutsFromEnvironment: Set<String> = []

    public static let defaultConnectTimeoutSeconds = 5
    /// What the reply deadline adds to the statement timeout: the server's own error for a
    /// statement that ran out of time comes first, the client's verdict only if it does not.
    public static let replyDeadlineMargin: Duration = .seconds(5)

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
        uriKeywords = Set(values.keys)
        uriSettings = Self.settings(inOptions: values["options"] ?? "")
        if let text = uriSettings["statement_timeout"] {
            guard let timeout = Self.parseMilliseconds(text) else {
                throw PostgresError(
                    .invalidConfiguration,
                    "statement_timeout in the database URL's options must be a number with an optional unit "
                        + "(ms, s, min, h, d), not \"\(text)\"")
            }
            uriStatementTimeout = .some(timeout == .zero ? nil : timeout)
        } else {
            uriStatementTimeout = nil
        }
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

    /// Reads `HUB_DATABASE_URL`, and the timeouts `HUB_DATABASE_STATEMENT_TIMEOUT`,
    /// `HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT`, `HUB_DATABASE_TCP_USER_TIMEOUT` and
    /// `HUB_DATABASE_REPLY_TIMEOUT` (whole seconds, 0 for none).
    public static func fromEnvironment(_ environment: HubEnvironment = HubEnvironment()) throws -> PostgresConfiguration {
        guard let url = environment["HUB_DATABASE_URL"] else {
            throw PostgresError(
                .invalidConfiguration,
                "HUB_DATABASE_URL is not set: give a libpq URI such as postgresql://user:password@host:5432/database")
        }
        var configuration: PostgresConfiguration
        do {
            configuration = try PostgresConfiguration(url: url)
        } catch let error as PostgresError {
            throw error.adding(context: "HUB_DATABASE_URL")
        }
        if let timeout = try seconds(EnvironmentVariable.statementTimeout, in: environment) {
            configuration.statementTimeout = timeout
            configuration.timeoutsFromEnvironment.insert(EnvironmentVariable.statementTimeout)
        }
        if let timeout = try seconds(EnvironmentVariable.idleInTransactionTimeout, in: environment) {
            configuration.idleInTransactionTimeout = timeout
            configuration.timeoutsFromEnvironment.insert(EnvironmentVariable.idleInTransactionTimeout)
        }
        if let timeout = try seconds(EnvironmentVariable.tcpUserTimeout, in: environment) {
            configuration.tcpUserTimeout = timeout
        }
        if let timeout = try seconds(EnvironmentVariable.replyTimeout, in: environment) {
            configuration.replyDeadline = timeout.map { .after($0) } ?? .unlimited
        }
        return configuration
    }

    /// The environment variables of the timeouts.
    public enum EnvironmentVariable {
        public static let statementTimeout = "HUB_DATABASE_STATEMENT_TIMEOUT"
        public static let idleInTransactionTimeout = "HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT"
        public static let tcpUserTimeout = "HUB_DATABASE_TCP_USER_TIMEOUT"
        public static let replyTimeout = "HUB_DATABASE_REPLY_TIMEOUT"
    }

    /// Longest timeout a variable may give: PostgreSQL keeps them as 32-bit milliseconds.
    public static let maximumTimeoutSeconds = Int(Int32.max) / 1000

    /// A timeout in whole seconds: nil when the variable is unset, `.some(nil)` for 0 (none).
    private static func seconds(_ name: String, in environment: HubEnvironment) throws -> Duration?? {
        guard let text = environment[name] else { return nil }
        guard let seconds = Int(text.trimmingCharacters(in: .whitespaces)), (0...maximumTimeoutSeconds).contains(seconds) else {
            throw PostgresError(
                .invalidConfiguration,
                "\(name)=\(text) is invalid: expected a whole number of seconds from 0 (no timeout) to \(maximumTimeoutSeconds)")
        }
        return .some(seconds == 0 ? nil : .seconds(seconds))
    }

    /// The same configuration for commands that run long statements and long transactions
    /// (`hub-admin`: a rebuild folds the whole event log in one transaction, reports scan
    /// whole tables): no statement or idle-in-transaction timeout, unless
    /// `HUB_DATABASE_STATEMENT_TIMEOUT` or `HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT` asked
    /// for one. Keepalives and `tcp_user_timeout` stay: they end a connection whose peer is
    /// gone, not a slow statement. With no statement timeout the reply deadline (unless
    /// given) is off too.
    public func forLongCommands() -> PostgresConfiguration {
        var copy = self
        if !timeoutsFromEnvironment.contains(EnvironmentVariable.statementTimeout) { copy.statementTimeout = nil }
        if !timeoutsFromEnvironment.contains(EnvironmentVariable.idleInTransactionTimeout) { copy.idleInTransactionTimeout = nil }
        return copy
    }

    /// The statement timeout sessions run with: the URI's own, else `statementTimeout`.
    public var effectiveStatementTimeout: Duration? {
        if case .some(let timeout) = uriStatementTimeout { return timeout }
        return statementTimeout
    }

    /// How long a session waits for the server's next byte; nil: for ever.
    public var replyTimeout: Duration? {
        switch replyDeadline {
        case .afterStatementTimeout: effectiveStatementTimeout.map { $0 + Self.replyDeadlineMargin }
        case .after(let timeout): timeout
        case .unlimited: nil
        }
    }

    /// The timeouts in one line, for the start-up log.
    public var timeoutsDescription: String {
        func show(_ duration: Duration?) -> String { duration.map { "\($0.components.seconds) s" } ?? "none" }
        var parts = ["statement \(show(effectiveStatementTimeout))"]
        parts.append("idle in transaction \(uriSettings["idle_in_transaction_session_timeout"] ?? show(idleInTransactionTimeout))")
        parts.append("reply \(show(replyTimeout))")
        parts.append("tcp_user_timeout \(uriKeywords.contains("tcp_user_timeout") ? "from the URI" : show(tcpUserTimeout))")
        if let keepalives, !uriKeywords.contains("keepalives_idle") {
            parts.append("keepalives \(keepalives.idleSeconds)/\(keepalives.intervalSeconds) s × \(keepalives.count)")
        }
        return parts.joined(separator: ", ")
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
    /// the row decoders read ISO dates in UTC and UTF-8 text; then the timeouts and TCP
    /// settings, each unless the URI sets it (libpq gives the later of two values).
    var connectParameters: [(String, String)] {
        var pairs: [(String, String)] = [("dbname", connectionString)]
        if !uriSetsConnectTimeout { pairs.append(("connect_timeout", String(connectTimeoutSeconds))) }
        if !uriSetsApplicationName { pairs.append(("application_name", applicationName)) }
        pairs.append(("client_encoding", "UTF8"))
        pairs += clientTCPParameters.filter { !uriKeywords.contains($0.0) }
        var settings = ["-c DateStyle=ISO,YMD", "-c TimeZone=UTC", "-c IntervalStyle=postgres", "-c extra_float_digits=3"]
        if !searchPath.isEmpty {
            let schemas = searchPath.map { PostgresIdentifier.quote($0) }.joined(separator: ",")
            settings.append("-c search_path=" + Self.escapeOptionValue(schemas))
        }
        settings += serverSettings.filter { uriSettings[$0.0] == nil }.map { "-c \($0.0)=\($0.1)" }
        let options = ([uriOptions].compactMap { $0 } + settings).joined(separator: " ")
        pairs.append(("options", options))
        return pairs
    }

    /// libpq's side: keepalive probes from the client and its socket's TCP_USER_TIMEOUT.
    private var clientTCPParameters: [(String, String)] {
        var pairs: [(String, String)] = []
        if let keepalives {
            pairs += [
                ("keepalives", "1"), ("keepalives_idle", String(keepalives.idleSeconds)),
                ("keepalives_interval", String(keepalives.intervalSeconds)), ("keepalives_count", String(keepalives.count)),
            ]
        }
        if let tcpUserTimeout { pairs.append(("tcp_user_timeout", String(Self.milliseconds(tcpUserTimeout)))) }
        return pairs
    }

    /// The server's side, as session settings (all of them users may set): the timeouts,
    /// and the same TCP settings for the server's socket, so that the server too finds out
    /// about a client that vanished (it is the server that holds the locks). Values in
    /// milliseconds or seconds, the settings' own units; 0 turns a timeout off.
    private var serverSettings: [(String, String)] {
        var settings: [(String, String)] = [
            ("statement_timeout", String(statementTimeout.map(Self.milliseconds) ?? 0)),
            ("idle_in_transaction_session_timeout", String(idleInTransactionTimeout.map(Self.milliseconds) ?? 0)),
        ]
        if let keepalives {
            settings += [
                ("tcp_keepalives_idle", String(keepalives.idleSeconds)),
                ("tcp_keepalives_interval", String(keepalives.intervalSeconds)),
                ("tcp_keepalives_count", String(keepalives.count)),
            ]
        }
        if let tcpUserTimeout { settings.append(("tcp_user_timeout", String(Self.milliseconds(tcpUserTimeout)))) }
        // The workers commit Kafka offsets once their transaction has committed: a commit
        // the server acknowledged before flushing it (a server or role set to
        // synchronous_commit=off) would vanish in a crash after the offsets moved on, and the
        // records with it (seen: kill -9 of PostgreSQL lost hundreds). PostgreSQL's own
        // default; a URI that sets another level (remote_apply...) keeps it.
        settings.append(("synchronous_commit", "on"))
        return settings
    }

    /// A duration as a server setting in milliseconds: at least 1 (0 would turn the setting
    /// off) and at most what the server accepts (32 bits).
    private static func milliseconds(_ duration: Duration) -> Int64 {
        min(max(1, duration.clampedMilliseconds), Int64(Int32.max))
    }

    /// The `-c name=value` (and `--name=value`) settings of a libpq `options` string, names
    /// lower-cased with `_` for `-` as the server reads them, values unescaped.
    static func settings(inOptions options: String) -> [String: String] {
        var words: [String] = []
        var word = ""
        var escaped = false
        for character in options {
            if escaped {
                word.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == " " || character == "\t" {
                if !word.isEmpty { words.append(word) }
                word = ""
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { words.append(word) }
        var settings: [String: String] = [:]
        var index = 0
        while index < words.count {
            var setting: Substring?
            if words[index] == "-c", index + 1 < words.count {
                index += 1
                setting = words[index][...]
            } else if words[index].hasPrefix("--") {
                setting = words[index].dropFirst(2)
            } else if words[index].hasPrefix("-c") {
                setting = words[index].dropFirst(2)
            }
            index += 1
            guard let setting, let equals = setting.firstIndex(of: "=") else { continue }
            let name = setting[..<equals].lowercased().replacingOccurrences(of: "-", with: "_")
            settings[name] = String(setting[setting.index(after: equals)...])
        }
        return settings
    }

    /// A time setting as the server reads it: a number (milliseconds) or a number and a
    /// unit (`us`, `ms`, `s`, `min`, `h`, `d`). nil when it is neither.
    static func parseMilliseconds(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces)
        guard let value = Double(number), value >= 0, value < 1e12 else { return nil }
        let milliseconds: Double
        switch unit {
        case "us": milliseconds = value / 1000
        case "", "ms": milliseconds = value
        case "s": milliseconds = value * 1000
        case "min": milliseconds = value * 60_000
        case "h": milliseconds = value * 3_600_000
        case "d": milliseconds = value * 86_400_000
        default: return nil
        }
        // The server refuses more (32-bit milliseconds); the conversion below would trap.
        guard milliseconds <= Double(Int32.max) else { return nil }
        return .milliseconds(Int64(milliseconds.rounded()))
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

extension Duration {
    /// Whole milliseconds, rounded down, without overflow (a duration beyond about 292
    /// million years gives `Int64.max`).
    var clampedMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds < 0 ? Int64.min : Int64.max }
        let (total, overflowAdding) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflowAdding ? (whole < 0 ? Int64.min : Int64.max) : total
    }
}

/// TCP keepalive probes: after `idleSeconds` of silence, one probe every `intervalSeconds`;
/// `count` unanswered probes end the connection.
public struct PostgresKeepalives: Sendable, Equatable {
    public var idleSeconds: Int
    public var intervalSeconds: Int
    public var count: Int

    public init(idleSeconds: Int = 10, intervalSeconds: Int = 5, count: Int = 3) {
        self.idleSeconds = idleSeconds
        self.intervalSeconds = intervalSeconds
        self.count = count
    }
}

/// How long the client waits for the server's answer (see `PostgresConfiguration.replyDeadline`).
public enum PostgresReplyDeadline: Sendable, Equatable {
    /// The statement timeout plus `PostgresConfiguration.replyDeadlineMargin`; for ever
    /// when statements have no timeout.
    case afterStatementTimeout
    /// A fixed time (`HUB_DATABASE_REPLY_TIMEOUT`).
    case after(Duration)
    /// For ever (`HUB_DATABASE_REPLY_TIMEOUT=0`).
    case unlimited
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
