import CPostgres
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One libpq session (`PGconn`), used synchronously. Its calls block the calling thread, so a
/// session is confined to the serial queue of the `PostgresConnection` that owns it: it is
/// neither Sendable nor thread-safe, on purpose. Its only cross-thread part is `cancelHandle`.
///
/// Statements go out with libpq's asynchronous calls on a non-blocking socket (PQsend…,
/// PQflush, PQconsumeInput, PQgetResult), waiting with poll(2), so that every wait has a
/// deadline: when the server neither takes nor sends a byte for `replyTimeout`, the session
/// is given up as lost instead of waiting for ever on a connection that a partition cut
/// silently (TCP keepalives cannot tell when something on the way still acknowledges).
final class LibpqSession {
    private let handle: OpaquePointer
    private let configuration: PostgresConfiguration
    private let noticeSink: NoticeSink
    /// How long a request waits for the socket to take or give a byte; nil: for ever.
    private let replyTimeout: Duration?
    /// Set when the server stopped answering: libpq still sees a working connection, but an
    /// answer may yet come and would be read as the next statement's, so the session is not
    /// used again (`isBroken`).
    private var abandoned = false
    /// Prepared statements that exist on this server session (a new session has none).
    var preparedNames: Set<String> = []
    /// For PQcancel from another thread when the waiting task is cancelled.
    let cancelHandle: LibpqCancelHandle

    /// Opens a session, blocking for at most `connect_timeout` per host.
    static func open(_ configuration: PostgresConfiguration, logger: Logger) throws -> LibpqSession {
        let parameters = configuration.connectParameters
        let keywords = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keywordPointers: [UnsafePointer<CChar>?] = keywords.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        guard let handle = PQconnectdbParams(&keywordPointers, &valuePointers, 1) else {
            throw PostgresError(.connectionFailed, "libpq could not allocate a connection (out of memory)")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = configuration.scrub(Self.clean(String(cString: PQerrorMessage(handle))))
            PQfinish(handle)
            throw Self.connectError(reason, configuration: configuration)
        }
        // Non-blocking: a send that the socket cannot take returns instead of blocking, so
        // that sending, like receiving, waits in poll(2) with the reply deadline.
        guard PQsetnonblocking(handle, 1) == 0 else {
            let reason = configuration.scrub(Self.clean(String(cString: PQerrorMessage(handle))))
            PQfinish(handle)
            throw PostgresError(.connectionFailed, "\(configuration): cannot make the socket non-blocking: \(reason)")
        }
        return LibpqSession(handle: handle, configuration: configuration, logger: logger)
    }

    private init(handle: OpaquePointer, configuration: PostgresConfiguration, logger: Logger) {
        self.handle = handle
        self.configuration = configuration
        self.replyTimeout = configuration.replyTimeout
        self.noticeSink = NoticeSink(logger: logger)
        self.cancelHandle = LibpqCancelHandle(PQgetCancel(handle))
        // Without this libpq prints NOTICEs ("schema … does not exist, skipping") on stderr.
        PQsetNoticeProcessor(handle, noticeProcessor, Unmanaged.passUnretained(noticeSink).toOpaque())
    }

    deinit {
        cancelHandle.invalidate()
        PQfinish(handle)
    }

    var processID: Int32 { PQbackendPID(handle) }

    var isBroken: Bool { abandoned || PQstatus(handle) == CONNECTION_BAD }

    /// True while a transaction block is open (or failed and not yet rolled back).
    var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Whether the session still works, found without sending anything: a server that shut
    /// down sent a FATAL message and closed the socket, which shows as readable input on an
    /// idle session; reading it lets libpq notice the end of the connection.
    func isAlive() -> Bool {
        for _ in 0..<8 {
            if isBroken { return false }
            guard (try? waitReadable(milliseconds: 0)) == true else { return true }
            if PQconsumeInput(handle) == 0 { return false }
        }
        return !isBroken
    }

    // MARK: Statements

    /// Extended protocol, text parameters and results: one statement, values as `$n`.
    func execute(_ sql: String, _ parameters: [PostgresValue]) throws -> PostgresRows {
        try withParameters(parameters, statement: sql) { count, types, values in
            try request(sql) { PQsendQueryParams(handle, sql, count, types, values, nil, nil, 0) }
        }
    }

    /// Simple protocol: several statements, no parameters (migration scripts).
    func executeScript(_ sql: String) throws -> PostgresRows {
        try request(sql) { PQsendQuery(handle, sql) }
    }

    func prepare(name: String, sql: String) throws {
        if preparedNames.contains(name) {
            _ = try executeScript("DEALLOCATE " + PostgresIdentifier.quote(name))
            preparedNames.remove(name)
        }
        _ = try request(sql) { PQsendPrepare(handle, name, sql, 0, nil) }
        preparedNames.insert(name)
    }

    func executePrepared(name: String, sql: String, _ parameters: [PostgresValue]) throws -> PostgresRows {
        try withParameters(parameters, statement: sql) { count, _, values in
            try request(sql) { PQsendQueryPrepared(handle, name, count, values, nil, nil, 0) }
        }
    }

    /// Runs `COPY … FROM STDIN` and streams `chunks` (text format, already escaped). Each
    /// chunk is handed to the socket before the next is made, so a server that stops reading
    /// holds back at most one chunk, for at most the reply deadline.
    func copyIn(_ sql: String, chunks: (([UInt8]) throws -> Void) throws -> Void) throws -> PostgresRows {
        try send(sql) { PQsendQuery(handle, sql) }
        guard let start = try nextResult(statement: sql) else { throw failure(statement: sql) }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            let refusal = error(from: start, statement: sql)
            PQclear(start)
            try drainResults(statement: sql)
            throw refusal
        }
        PQclear(start)
        do {
            try chunks { bytes in
                try queueCopy(statement: sql) {
                    bytes.withUnsafeBufferPointer { buffer in
                        buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
                    }
                }
            }
        } catch let error as PostgresError where error.kind == .connectionLost {
            throw error
        } catch {
            // Abort the COPY so the session stays usable, then report the first problem.
            if (try? queueCopy(statement: sql, { PQputCopyEnd(handle, "aborted by the client") })) != nil {
                try? drainResults(statement: sql)
            }
            throw error
        }
        try queueCopy(statement: sql) { PQputCopyEnd(handle, nil) }
        return try results(statement: sql)
    }

    /// Queues COPY data or its end with `put` (PQputCopyData, PQputCopyEnd) and sends it.
    /// A non-blocking session may answer 0, buffers full: wait until the socket takes more.
    private func queueCopy(statement: String, _ put: () -> Int32) throws {
        while true {
            switch put() {
            case 1: return try flush(statement: statement)
            case 0:
                // Nothing left to send means the buffer could not grow: out of memory.
                guard PQflush(handle) == 1 else { throw failure(statement: statement) }
                _ = try waitForSocket(writable: true, statement: statement)
            default: throw failure(statement: statement)
            }
        }
    }

    // MARK: Sending and waiting, with the reply deadline

    /// Sends one request with `submit` (a PQsend… call) and returns what it gave.
    private func request(_ statement: String, _ submit: () -> Int32) throws -> PostgresRows {
        try send(statement, submit)
        return try results(statement: statement)
    }

    /// Queues a request with `submit` and waits until the socket has taken all of it.
    private func send(_ statement: String, _ submit: () -> Int32) throws {
        guard submit() == 1 else { throw failure(statement: statement) }
        try flush(statement: statement)
    }

    /// Waits until libpq's output buffer is on the wire. Input is read meanwhile (libpq's
    /// advice: a server blocked writing to us would never read the rest of our request).
    private func flush(statement: String) throws {
        while true {
            switch PQflush(handle) {
            case 0: return
            case 1:
                let ready = try waitForSocket(writable: true, statement: statement)
                if ready.readable, PQconsumeInput(handle) == 0 { throw failure(statement: statement) }
            default: throw failure(statement: statement)
            }
        }
    }

    /// Every result of the request in flight, until libpq has no more: the last one read
    /// as rows, or the first failure (the server skips the rest of a script after an error).
    private func results(statement: String) throws -> PostgresRows {
        var outcome: Result<PostgresRows, PostgresError>?
        while let result = try nextResult(statement: statement) {
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                // Not a statement for this call (COPY goes through `copyIn`): the session is in
                // the middle of a COPY that this call cannot finish.
                abandoned = true
                throw PostgresError(.queryFailed, "COPY can only run through copy(into:…)", statement: statement)
            }
            if case .failure = outcome { continue }
            outcome = self.outcome(of: result, statement: statement)
        }
        return try (outcome ?? .failure(failure(statement: statement))).get()
    }

    /// The next result of the request in flight, nil when there is no more; waits for input
    /// as long as libpq needs more to make it.
    private func nextResult(statement: String) throws -> OpaquePointer? {
        while PQisBusy(handle) == 1 {
            _ = try waitForSocket(writable: false, statement: statement)
            guard PQconsumeInput(handle) == 1 else { throw failure(statement: statement) }
        }
        return PQgetResult(handle)
    }

    /// Reads and frees what is left of the request in flight.
    private func drainResults(statement: String) throws {
        while let result = try nextResult(statement: statement) { PQclear(result) }
    }

    /// poll(2) until the socket is readable (or writable, when asked), for at most the
    /// reply deadline; past it the session is abandoned and the error is `connectionLost`.
    private func waitForSocket(writable: Bool, statement: String) throws -> (readable: Bool, writable: Bool) {
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw failure(statement: statement) }
        let events = Int16(POLLIN) | (writable ? Int16(POLLOUT) : 0)
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        let deadline = replyTimeout.map { ContinuousClock.now + $0 }
        while true {
            let milliseconds = deadline.map { Int32(clamping: max(0, ($0 - ContinuousClock.now).clampedMilliseconds)) } ?? -1
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 {
                // An error or a hang-up counts as readable: PQconsumeInput then reports it.
                let readable = descriptor.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0
                return (readable, descriptor.revents & Int16(POLLOUT) != 0)
            }
            if ready < 0 {
                if errno == EINTR { continue }
                return (true, false)  // let PQconsumeInput report the failure
            }
            abandoned = true
            throw PostgresError(
                .connectionLost,
                "the server did not answer within \(Self.describe(replyTimeout ?? .zero)) (the reply deadline, "
                    + "HUB_DATABASE_REPLY_TIMEOUT): the connection is taken as lost",
                statement: statement)
        }
    }

    /// `35 s`, or `1500 ms` when not whole seconds.
    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds) s" : "\(duration.clampedMilliseconds) ms"
    }

    // MARK: Notifications

    func consumeInput() throws {
        guard PQconsumeInput(handle) == 1 else { throw failure(statement: nil) }
    }

    func takeNotifications() -> [PostgresNotification] {
        var found: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            found.append(
                PostgresNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: String(cString: notify.pointee.extra),
                    processID: notify.pointee.be_pid))
            PQfreemem(notify)
        }
        return found
    }

    /// poll(2) on the session's socket; true when input is waiting.
    func waitReadable(milliseconds: Int32) throws -> Bool {
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw failure(statement: nil) }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, milliseconds)
            if ready >= 0 { return ready > 0 }
            guard errno == EINTR else { return true }  // let PQconsumeInput report the failure
        }
    }

    // MARK: Results and errors

    private func withParameters(
        _ parameters: [PostgresValue], statement: String,
        _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?) throws -> PostgresRows
    ) throws -> PostgresRows {
        var texts: [UnsafeMutablePointer<CChar>?] = []
        texts.reserveCapacity(parameters.count)
        defer { texts.forEach { free($0) } }
        for (position, parameter) in parameters.enumerated() {
            guard let text = parameter.textEncoding else {
                texts.append(nil)
                continue
            }
            // A C string ends at the first NUL: a shorter C string than the UTF-8 means the
            // parameter holds one (strlen is much faster than a byte loop on large values).
            let copy = text.withCString { pointer in strlen(pointer) == text.utf8.count ? strdup(pointer) : nil }
            guard let copy else {
                throw PostgresError(
                    .queryFailed, "parameter $\(position + 1) contains a NUL character, which PostgreSQL text cannot hold",
                    statement: statement)
            }
            texts.append(copy)
        }
        let types: [Oid] = parameters.map { Oid($0.typeOID) }
        let pointers: [UnsafePointer<CChar>?] = texts.map { $0.map { UnsafePointer($0) } }
        return try types.withUnsafeBufferPointer { typeBuffer in
            try pointers.withUnsafeBufferPointer { valueBuffer in
                try body(Int32(parameters.count), typeBuffer.baseAddress, valueBuffer.baseAddress)
            }
        }
    }

    /// A result read as rows, or as the error it reports. Does not free it.
    private func outcome(of result: OpaquePointer, statement: String) -> Result<PostgresRows, PostgresError> {
        Result { try read(result) }.mapError { _ in error(from: result, statement: statement) }
    }

    private struct NotASuccess: Error {}

    private func read(_ result: OpaquePointer) throws -> PostgresRows {
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY else {
            throw NotASuccess()
        }
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { index in
            PostgresColumn(name: String(cString: PQfname(result, Int32(index))), typeOID: UInt32(PQftype(result, Int32(index))))
        }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<Int32(rowCount) {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<Int32(columnCount) {
                values.append(PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column)))
            }
            rows.append(values)
        }
        let tag = String(cString: PQcmdStatus(result))
        let affected = Int(String(cString: PQcmdTuples(result))) ?? rowCount
        return PostgresRows(columns: columns, rows: rows, commandTag: tag, affectedRows: affected)
    }

    /// A failed result as a typed error. A broken session, SQLSTATE class 08 or a server
    /// shutdown (57P0x) is `connectionLost`: the statement may be run again elsewhere.
    private func error(from result: OpaquePointer, statement: String?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return configuration.scrub(String(cString: value))
        }
        let sqlState = field("C")
        let message = field("M") ?? Self.clean(String(cString: PQresultErrorMessage(result)))
        let kind: PostgresError.Kind
        if isBroken || PostgresError.isConnectionLevel(sqlState: sqlState) {
            kind = .connectionLost
        } else if sqlState == "57014" {
            // query_canceled: statement_timeout, or a cancel request. Which one is not told
            // by the message (it is translated on servers that speak French); the connection
            // knows when the cancel was its own and makes that one `cancelled`.
            kind = .timeout
        } else {
            kind = .queryFailed
        }
        return PostgresError(
            kind, message.isEmpty ? "the server reported an error without a message" : message,
            sqlState: sqlState, detail: field("D"), hint: field("H"), statement: statement)
    }

    /// When libpq gives no result at all, the reason is in PQerrorMessage.
    private func failure(statement: String?) -> PostgresError {
        let reason = configuration.scrub(Self.clean(String(cString: PQerrorMessage(handle))))
        let kind: PostgresError.Kind = isBroken ? .connectionLost : .queryFailed
        return PostgresError(kind, reason.isEmpty ? "libpq failed without a message" : reason, statement: statement)
    }

    /// libpq's multi-line messages (`FATAL:  …\n\tIs the server running…`) on one line.
    static func clean(_ message: String) -> String {
        message.replacingOccurrences(of: "FATAL:  ", with: "")
            .replacingOccurrences(of: "ERROR:  ", with: "")
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
    }

    private static func connectError(_ reason: String, configuration: PostgresConfiguration) -> PostgresError {
        let lowered = reason.lowercased()
        let authentication = ["authentication failed", "no password supplied", "password is required", "fe_sendauth", "scram"]
        if authentication.contains(where: lowered.contains) {
            return PostgresError(
                .authenticationFailed, "\(configuration): \(reason)", sqlState: "28P01",
                hint: "check the user and password in HUB_DATABASE_URL")
        }
        if let hint = tlsHint(lowered) {
            return PostgresError(.tlsRefused, "\(configuration): TLS refused: \(reason)", hint: hint)
        }
        if lowered.contains("timeout expired") {
            return PostgresError(
                .connectionFailed, "\(configuration): \(reason) (connect_timeout \(configuration.connectTimeoutSeconds) s)")
        }
        return PostgresError(.connectionFailed, "\(configuration): \(reason)")
    }
}

extension LibpqSession {
    /// What to check when libpq's connection error (lower-cased) is a TLS refusal, nil
    /// otherwise. Only the messages of verification and set-up count: an "SSL SYSCALL error"
    /// is a connection that broke (a server going down), which waiting may fix.
    static func tlsHint(_ message: String) -> String? {
        if message.contains("certificate verify failed") || message.contains("alert unknown ca") {
            return "the server's certificate is not signed by a CA of sslrootcert (or has expired): "
                + "give in HUB_DATABASE_URL the sslrootcert of the CA that signed it"
        }
        if message.contains("does not match host name") {
            return "the server's certificate does not name the host of HUB_DATABASE_URL: "
                + "connect by a name it lists (sslmode=verify-full checks it)"
        }
        if message.contains("root certificate file") {
            return "give sslrootcert=FILE in HUB_DATABASE_URL: the CA that signed the server's certificate"
        }
        if message.contains("does not support ssl") {
            return "the server has TLS off (ssl = on in postgresql.conf), or sslmode asks for TLS it cannot give"
        }
        let setUp = ["certificate file", "private key", "alert certificate required", "alert bad certificate", "sslmode value"]
        if setUp.contains(where: message.contains) {
            return "check sslmode, sslrootcert, sslcert and sslkey in HUB_DATABASE_URL (files, their rights, the CA)"
        }
        return nil
    }
}

/// Receives server NOTICEs and WARNINGs and logs them at debug level.
private final class NoticeSink {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

private let noticeProcessor: PQnoticeProcessor = { context, message in
    guard let context, let message else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
    sink.logger.debug("postgres notice", metadata: ["notice": "\(LibpqSession.clean(String(cString: message)))"])
}
