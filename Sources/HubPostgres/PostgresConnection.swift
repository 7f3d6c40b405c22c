import Dispatch
import Foundation
import Logging

/// One PostgreSQL session over libpq, for async Swift code.
///
/// libpq blocks, and the hub's machines have few cores: every libpq call of a connection
/// runs on the connection's own serial dispatch queue, never on Swift's cooperative thread
/// pool; async methods wait for it with a continuation.
///
/// A connection serves one task at a time (like a libpq session): give each task its own,
/// or a pool. Statements of two tasks interleaved on one connection would mix their
/// transactions.
///
/// Values always travel as `$n` parameters. When the session breaks (server restart,
/// terminated backend), the next statement reconnects with capped exponential backoff for
/// at most `configuration.reconnectTimeout`; a statement that failed because of the break is
/// run again once when it was outside any transaction. Inside a transaction the work is
/// lost with the session, so `connectionLost` is thrown and the caller runs the whole
/// transaction again.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked: the mutable state lives in `state`, touched only on `queue`.
    public let configuration: PostgresConfiguration
    let logger: Logger
    private let queue: DispatchQueue
    private let state = State()

    /// Queue-confined session state.
    final class State {
        var session: LibpqSession?
        var closed = false
        /// Open `transaction { }` blocks (the outer one is BEGIN, inner ones are savepoints).
        var transactionDepth = 0
        /// Whether the session had an open transaction block after its last statement, so a
        /// break is known to have lost a transaction even after libpq forgets it.
        var sessionWasInTransaction = false
        /// Every statement prepared with `prepare(name:sql:)`, to prepare again on a new session.
        var prepared: [String: String] = [:]
        /// Channels to LISTEN to again after a reconnection.
        var channels: [String] = []
        /// The cancel handle of the current session, readable from other threads.
        let cancel = CurrentCancelHandle()
    }

    private init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "database"] = "\(configuration)"
        self.logger = logger
        self.queue = DispatchQueue(label: "hub.postgres.connection")
    }

    /// Opens a connection. Fails fast (within `connect_timeout`) with `connectionFailed`,
    /// `authenticationFailed` or `tlsRefused`: a wrong configuration is not retried.
    public static func connect(
        _ configuration: PostgresConfiguration, logger: Logger = Logger(label: "hub.postgres")
    ) async throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration, logger: logger)
        try await connection.onQueue(honouringCancellation: true) { state, _ in
            let session = try LibpqSession.open(configuration, logger: connection.logger)
            state.session = session
            state.cancel.set(session.cancelHandle)
        }
        connection.logger.debug("connected to PostgreSQL")
        return connection
    }

    /// Ends the session. Later calls throw `connectionClosed`.
    public func close() async {
        _ = try? await onQueue(honouringCancellation: false) { state, _ in
            state.closed = true
            state.cancel.set(nil)
            state.session = nil
        }
    }

    // MARK: Statements

    /// Runs one statement and returns its rows: `query` carries its SQL and the values of its
    /// `$n` placeholders (`"… WHERE id = \(id)"` binds `id` as `$1`). SQL held in a variable,
    /// with no value in it, goes in as `PostgresQuery(unescaped:)`.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        let sql = query.sql
        let parameters = query.bindings
        return try await onQueue(honouringCancellation: true) { state, flag in
            try self.perform(state, statement: sql, flag) { try $0.execute(sql, parameters) }
        }
    }

    /// Runs one statement and returns how many rows it inserted, updated or deleted.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Runs several statements separated by semicolons, without parameters, with the
    /// simple query protocol. For trusted SQL written in the code (migrations), never for
    /// text that holds values.
    public func executeScript(_ sql: String) async throws {
        _ = try await onQueue(honouringCancellation: true) { state, flag in
            try self.perform(state, statement: sql, flag) { try $0.executeScript(sql) }
        }
    }

    /// The server process serving this session (for `pg_terminate_backend` in tests and for logs).
    public func backendProcessID() async throws -> Int32 {
        try await onQueue(honouringCancellation: true) { state, flag in
            try self.perform(state, statement: "-- backend pid", flag) { $0.processID }
        }
    }

    // MARK: Prepared statements

    /// Parses and plans `sql` once on the server under `name`; run it with
    /// `query(prepared:_:)`. It is prepared again, transparently, on a new session after a
    /// reconnection. Preparing a name again replaces the statement.
    @discardableResult
    public func prepare(name: String, sql: String) async throws -> PostgresPreparedStatement {
        try await onQueue(honouringCancellation: true) { state, flag in
            try self.perform(state, statement: sql, flag) { try $0.prepare(name: name, sql: sql) }
            state.prepared[name] = sql
        }
        return PostgresPreparedStatement(name: name, sql: sql)
    }

    @discardableResult
    public func query(
        prepared statement: PostgresPreparedStatement, _ parameters: [PostgresValue] = []
    )
        async throws -> PostgresRows
    {
        try await onQueue(honouringCancellation: true) { state, flag in
            guard state.prepared[statement.name] == statement.sql else {
                throw PostgresError(
                    .queryFailed, "statement \"\(statement.name)\" was not prepared on this connection",
                    statement: statement.sql)
            }
            return try self.perform(state, statement: statement.sql, flag) { session in
                if !session.preparedNames.contains(statement.name) {
                    try session.prepare(name: statement.name, sql: statement.sql)
                }
                return try session.executePrepared(name: statement.name, sql: statement.sql, parameters)
            }
        }
    }

    @discardableResult
    public func execute(
        prepared statement: PostgresPreparedStatement, _ parameters: [PostgresValue] = []
    )
        async throws -> Int
    {
        try await query(prepared: statement, parameters).affectedRows
    }

    // MARK: Running on the queue

    /// Runs `body` on the connection's queue. With `honouringCancellation`, a cancelled
    /// task does not start it, and cancellation during it asks the server to cancel the
    /// running statement (PQcancel) and sets the flag that waits check.
    func onQueue<T: Sendable>(
        honouringCancellation: Bool, _ body: @escaping @Sendable (State, CancellationFlag) throws -> T
    ) async throws -> T {
        let flag = CancellationFlag()
        if honouringCancellation && Task.isCancelled {
            throw PostgresError(.cancelled, "the task was cancelled before the statement started")
        }
        let cancel = state.cancel
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                queue.async {
                    continuation.resume(with: Result { try body(self.state, flag) })
                }
            }
        } onCancel: {
            guard honouringCancellation else { return }
            flag.set()
            cancel.fire()
        }
    }

    /// Runs `work` on a live session (reconnecting first if the session broke while idle),
    /// and once more on a new session if the session broke during `work` outside any
    /// transaction. Queue only.
    func perform<T>(
        _ state: State, statement: String, _ flag: CancellationFlag, _ work: (LibpqSession) throws -> T
    ) throws -> T {
        let session = try liveSession(state, flag)
        let outsideTransaction = state.transactionDepth == 0 && !session.isInTransaction
        do {
            defer { state.sessionWasInTransaction = !session.isBroken && session.isInTransaction }
            return try work(session)
        } catch var error as PostgresError where error.sqlState == "57014" && flag.isSet {
            // The server cancelled the statement because this connection asked it to, its
            // task being cancelled: the work stops (any other 57014 is a timeout, retried).
            error.kind = .cancelled
            throw error
        } catch let error as PostgresError where error.kind == .connectionLost {
            state.sessionWasInTransaction = !outsideTransaction
            guard outsideTransaction, configuration.retriesStatementAfterReconnect else { throw error }
            logger.warning(
                "PostgreSQL connection lost during a statement; reconnecting to run it again",
                metadata: ["statement": "\(PostgresError.firstLine(statement))", "error": "\(error.message)"])
            let fresh = try reconnect(state, flag, cause: error)
            return try work(fresh)
        }
    }

    /// The current session if it works; otherwise a new one, unless a transaction was open
    /// on the broken one (its work is gone: the caller must know). Queue only.
    func liveSession(_ state: State, _ flag: CancellationFlag) throws -> LibpqSession {
        guard !state.closed else { throw PostgresError(.connectionClosed, "the connection was closed") }
        if let session = state.session, session.isAlive() { return session }
        if state.transactionDepth > 0 || state.sessionWasInTransaction {
            // Forget the broken session now, so the first statement after the transaction
            // (or after the caller's ROLLBACK) reconnects.
            state.sessionWasInTransaction = false
            state.session = nil
            state.cancel.set(nil)
            throw PostgresError(
                .connectionLost,
                "the connection broke inside a transaction; the transaction's work is lost, run it again")
        }
        return try reconnect(state, flag, cause: nil)
    }

    /// Opens a new session, retrying with capped exponential backoff until
    /// `reconnectTimeout`, then listens to the channels again. Prepared statements are
    /// prepared again when next used. Queue only (it blocks the queue, not the task pool).
    private func reconnect(_ state: State, _ flag: CancellationFlag, cause: PostgresError?) throws -> LibpqSession {
        state.session = nil
        state.cancel.set(nil)
        state.sessionWasInTransaction = false
        let started = ContinuousClock.now
        let deadline = started + configuration.reconnectTimeout
        var delay = Duration.milliseconds(50)
        var attempt = 0
        logger.warning("PostgreSQL connection broken; reconnecting", metadata: cause.map { ["error": "\($0.message)"] } ?? [:])
        while true {
            attempt += 1
            do {
                let session = try LibpqSession.open(configuration, logger: logger)
                for channel in state.channels {
                    _ = try session.executeScript("LISTEN " + PostgresIdentifier.quote(channel))
                }
                state.session = session
                state.cancel.set(session.cancelHandle)
                logger.info(
                    "PostgreSQL connection re-established",
                    metadata: ["attempts": "\(attempt)", "after": "\(ContinuousClock.now - started)"])
                return session
            } catch let error as PostgresError {
                if error.kind == .authenticationFailed || error.kind == .tlsRefused { throw error }
                guard !flag.isSet else { throw PostgresError(.cancelled, "cancelled while reconnecting") }
                guard ContinuousClock.now + delay < deadline else {
                    throw PostgresError(
                        .connectionLost,
                        "could not reconnect within \(configuration.reconnectTimeout) (\(attempt) attempts): \(error.message)")
                }
                logger.debug("PostgreSQL reconnection attempt failed", metadata: ["attempt": "\(attempt)", "error": "\(error.message)"])
                Thread.sleep(forTimeInterval: delay.inSeconds)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}

/// A statement prepared on a connection with `prepare(name:sql:)`.
public struct PostgresPreparedStatement: Sendable, Hashable {
    public let name: String
    public let sql: String
}

/// Set when the waiting task is cancelled; read by long waits on the queue.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }
}

/// The cancel handle of whichever session is current, for the cancellation handler that
/// runs on another thread.
final class CurrentCancelHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var handle: LibpqCancelHandle?

    func set(_ handle: LibpqCancelHandle?) {
        lock.lock()
        self.handle = handle
        lock.unlock()
    }

    func fire() {
        lock.lock()
        let handle = self.handle
        lock.unlock()
        handle?.fire()
    }
}
