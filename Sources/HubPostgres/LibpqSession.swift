import CPostgres
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One libpq session (`PGconn`), used synchronously. libpq calls block, so a session is
/// confined to the serial queue of the `PostgresConnection` that owns it: it is neither
/// Sendable nor thread-safe, on purpose. Its only cross-thread part is `cancelHandle`.
final class LibpqSession {
    private let handle: OpaquePointer
    private let configuration: PostgresConfiguration
    private let noticeSink: NoticeSink
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
        return LibpqSession(handle: handle, configuration: configuration, logger: logger)
    }

    private init(handle: OpaquePointer, configuration: PostgresConfiguration, logger: Logger) {
        self.handle = handle
        self.configuration = configuration
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

    var isBroken: Bool { PQstatus(handle) == CONNECTION_BAD }

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
            outcome(of: PQexecParams(handle, sql, count, types, values, nil, nil, 0), statement: sql)
        }
    }

    /// Simple protocol: several statements, no parameters (migration scripts).
    func executeScript(_ sql: String) throws -> PostgresRows {
        try consume(PQexec(handle, sql), statement: sql)
    }

    func prepare(name: String, sql: String) throws {
        if preparedNames.contains(name) {
            _ = try executeScript("DEALLOCATE " + PostgresIdentifier.quote(name))
            preparedNames.remove(name)
        }
        _ = try consume(PQprepare(handle, name, sql, 0, nil), statement: sql)
        preparedNames.insert(name)
    }

    func executePrepared(name: String, sql: String, _ parameters: [PostgresValue]) throws -> PostgresRows {
        try withParameters(parameters, statement: sql) { count, _, values in
            outcome(of: PQexecPrepared(handle, name, count, values, nil, nil, 0), statement: sql)
        }
    }

    /// Runs `COPY … FROM STDIN` and streams `chunks` (text format, already escaped).
    func copyIn(_ sql: String, chunks: (([UInt8]) throws -> Void) throws -> Void) throws -> PostgresRows {
        guard let start = PQexec(handle, sql) else { throw failure(statement: sql) }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            defer { PQclear(start) }
            throw error(from: start, statement: sql)
        }
        PQclear(start)
        do {
            try chunks { bytes in
                let sent = bytes.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
                }
                guard sent == 1 else { throw failure(statement: sql) }
            }
        } catch {
            // Abort the COPY so the session stays usable, then report the first problem.
            PQputCopyEnd(handle, "aborted by the client")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw failure(statement: sql) }
        var outcome: Result<PostgresRows, PostgresError> = .failure(failure(statement: sql))
        while let result = PQgetResult(handle) {
            outcome = Result { try read(result) }.mapError { _ in error(from: result, statement: sql) }
            PQclear(result)
        }
        return try outcome.get()
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
        _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?) -> Result<PostgresRows, PostgresError>
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
                try body(Int32(parameters.count), typeBuffer.baseAddress, valueBuffer.baseAddress).get()
            }
        }
    }

    private func outcome(of result: OpaquePointer?, statement: String) -> Result<PostgresRows, PostgresError> {
        guard let result else { return .failure(failure(statement: statement)) }
        defer { PQclear(result) }
        return Result { try read(result) }.mapError { _ in error(from: result, statement: statement) }
    }

    private func consume(_ result: OpaquePointer?, statement: String) throws -> PostgresRows {
        try outcome(of: result, statement: statement).get()
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
            kind = message.contains("timeout") ? .timeout : .cancelled
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

    private func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
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
