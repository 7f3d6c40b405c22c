/// Everything that can go wrong talking to PostgreSQL, in one type, so that callers can
/// decide what to do from `kind` (retry the transaction after `connectionLost`, fix the
/// configuration after `authenticationFailed`...) and operators can read `description`.
///
/// Never contains a password nor a parameter value: only the statement's first line, the
/// server's message, and the server's detail and hint.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// HUB_DATABASE_URL is missing or not a libpq connection string.
        case invalidConfiguration
        /// The server could not be reached or refused the connection (unknown host, closed
        /// port, connect_timeout elapsed, too many connections, database does not exist).
        case connectionFailed
        /// The server rejected the credentials.
        case authenticationFailed
        /// TLS could not be set up as `sslmode` asks: the server's certificate is not signed by
        /// a CA of `sslrootcert`, does not name the host, the CA or client files are missing, or
        /// the server has no TLS. Not transient: waiting does not change a certificate.
        case tlsRefused
        /// The connection broke while it was in use, or the server did not answer within the
        /// reply deadline (`PostgresConfiguration.replyTimeout`). Inside a transaction it is
        /// not re-established for you: run the whole transaction again.
        case connectionLost
        /// The server refused a statement; see `sqlState`.
        case queryFailed
        /// A wait ran out of time: the server's `statement_timeout` (SQLSTATE 57014) or a
        /// cancel request that was not the hub's own (an administrator's). A notification
        /// wait that ends empty is not an error.
        case timeout
        /// The statement was cancelled because its task was cancelled (the connection's
        /// own cancel request, or the task was cancelled before the statement started).
        case cancelled
        /// A column could not be read as the requested Swift type.
        case decodingFailed
        /// A schema migration cannot be applied (changed checksum, bad list).
        case migrationFailed
        /// The connection was closed with `close()`.
        case connectionClosed
    }

    public var kind: Kind
    /// What happened, in words, without secrets.
    public var message: String
    /// Five-character SQLSTATE from the server (`23505` unique violation...), when known.
    public var sqlState: String?
    public var detail: String?
    public var hint: String?
    /// First line of the statement that failed (never its parameter values).
    public var statement: String?
    /// What the hub was doing (`transaction rolled back`, `migration 3 create_events`...).
    public var context: String?

    public init(
        _ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil,
        hint: String? = nil, statement: String? = nil, context: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.statement = statement.map(Self.firstLine)
        self.context = context
    }

    public var description: String {
        var text = "PostgreSQL \(kind.rawValue)"
        if let context { text += " (\(context))" }
        text += ": \(message)"
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        if let detail { text += "; detail: \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        if let statement { text += "; statement: \(statement)" }
        return text
    }

    /// The same error with what the caller was doing added in front of any earlier context.
    public func adding(context outer: String) -> PostgresError {
        var copy = self
        copy.context = context.map { "\(outer): \($0)" } ?? outer
        return copy
    }

    /// True when running the same transaction again later may succeed: the hub's one list
    /// of passing PostgreSQL failures (`FailureClassification.isTransient` asks here).
    ///
    /// - the kinds `connectionFailed` (server not up yet, too many connections),
    ///   `connectionLost` (the session broke; see `isConnectionLevel`) and `timeout`;
    /// - and, whatever the kind, these SQLSTATEs:
    ///   - class `08`, connection exception;
    ///   - `40001` serialization_failure, `40P01` deadlock_detected;
    ///   - class `53`, insufficient resources (disk full, out of memory, too many connections);
    ///   - `55P03` lock_not_available (`lock_timeout`, `NOWAIT`);
    ///   - `57014` query_canceled: `statement_timeout` ran out, typically while the
    ///     statement waited for a lock that a session cut from its client still held (until
    ///     the server ends that session, `idle_in_transaction_session_timeout`), or an
    ///     administrator cancelled it (`pg_cancel_backend`); either way the record is not at
    ///     fault and must be retried, never dead-lettered. The hub's own cancel request,
    ///     sent when the waiting task is cancelled, is the exception: the connection makes
    ///     that one kind `cancelled`, which is not transient (the task stops);
    ///   - `57P01` admin_shutdown, `57P02` crash_shutdown, `57P03` cannot_connect_now,
    ///     `57P05` idle_session_timeout, `25P03` idle_in_transaction_session_timeout (the
    ///     server ended the session; see `isConnectionLevel`);
    ///   - `25006` read_only_sql_transaction (a standby, during a failover).
    ///
    /// Not transient: authentication, configuration, decoding, migration, a statement the
    /// server refuses for good (constraint, syntax, undefined table...), `cancelled` (the
    /// task stops) and `connectionClosed` (closed on purpose).
    public var isTransient: Bool {
        switch kind {
        case .connectionFailed, .connectionLost, .timeout: true
        case .cancelled, .connectionClosed: false
        default: Self.isTransient(sqlState: sqlState)
        }
    }

    /// The SQLSTATEs of `isTransient`.
    public static func isTransient(sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return isConnectionLevel(sqlState: sqlState) || sqlState.hasPrefix("53")
            || ["40001", "40P01", "55P03", "57014", "25006"].contains(sqlState)
    }

    /// SQLSTATE class 08 (connection exception), the 57P0x shutdown codes and the idle
    /// timeouts after which the server closes the session (25P03, 57P05) mean the session
    /// is gone, not that the statement is wrong: such a failure is `connectionLost`.
    static func isConnectionLevel(sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "57P05", "25P03"].contains(sqlState)
    }

    static func firstLine(_ statement: String) -> String {
        let trimmed = statement.drop(while: { $0 == "\n" || $0 == " " || $0 == "\t" || $0 == "\r" })
        let line = trimmed.prefix(while: { $0 != "\n" && $0 != "\r" })
        let limited = line.count > 200 ? String(line.prefix(200)) + "…" : String(line)
        return line.count < trimmed.count && !limited.hasSuffix("…") ? limited + " …" : limited
    }
}
