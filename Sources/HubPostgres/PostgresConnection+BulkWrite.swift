import Foundation

extension PostgresConnection {
    /// Writes many rows at once with `COPY table (columns) FROM STDIN` in text format, the
    /// fastest way in: one statement, rows streamed in 256 KiB chunks. All or nothing.
    /// Values are escaped for COPY (backslash, tab, newline, carriage return; NULL as `\N`),
    /// never spliced into SQL. Returns the number of rows copied.
    @discardableResult
    public func copy(
        into table: String, schema: String? = nil, columns: [String], rows: [[PostgresValue]]
    ) async throws -> Int {
        try Self.check(rows: rows, columns: columns, table: table)
        return try await streamCopy(
            Self.copySQL(table, schema: schema, columns: columns), rows: rows,
            append: PostgresCopyText.append)
    }

    /// `COPY … FROM STDIN` in the binary format: no escaping, and bytea travels as raw bytes
    /// instead of hex text (for kilobytes of notification per row, a third less work for
    /// the server than the text format). Each value must be in its column's own binary
    /// format, which `PostgresCopyBinary` gives for text, uuid, bytea, jsonb (`.json`),
    /// bigint (`.int`), boolean, double precision and timestamptz columns; arrays are
    /// refused. A value of the wrong type fails the statement (the server checks each
    /// field's length), it is not converted. Returns the number of rows copied.
    @discardableResult
    public func copyBinary(
        into table: String, schema: String? = nil, columns: [String], rows: [[PostgresValue]]
    ) async throws -> Int {
        try Self.check(rows: rows, columns: columns, table: table)
        let sql = Self.copySQL(table, schema: schema, columns: columns) + " WITH (FORMAT binary)"
        for (index, row) in rows.enumerated() {
            if let value = row.first(where: { !PostgresCopyBinary.canEncode($0) }) {
                throw PostgresError(
                    .queryFailed, "binary COPY into \(table): row \(index) holds \(value), which it does not encode",
                    statement: sql)
            }
        }
        return try await streamCopy(
            sql, rows: rows, header: PostgresCopyBinary.header, trailer: PostgresCopyBinary.trailer,
            append: PostgresCopyBinary.append)
    }

    private static func copySQL(_ table: String, schema: String?, columns: [String]) -> String {
        "COPY \(PostgresIdentifier.qualified(table, schema: schema)) ("
            + columns.map(PostgresIdentifier.quote).joined(separator: ", ") + ") FROM STDIN"
    }

    /// Runs `sql` (a `COPY … FROM STDIN`) and streams `header`, each row as `append` writes
    /// it, then `trailer`, in chunks of about 256 KiB. Returns the rows copied.
    private func streamCopy(
        _ sql: String, rows: [[PostgresValue]], header: [UInt8] = [], trailer: [UInt8] = [],
        append: @escaping @Sendable ([PostgresValue], inout [UInt8]) -> Void
    ) async throws -> Int {
        try await onQueue(honouringCancellation: true) { state, flag in
            try self.perform(state, statement: sql, flag) { session in
                try session.copyIn(sql) { send in
                    var buffer = header
                    buffer.reserveCapacity(1 << 18)
                    for row in rows {
                        append(row, &buffer)
                        if buffer.count >= 1 << 18 {
                            try send(buffer)
                            buffer.removeAll(keepingCapacity: true)
                        }
                    }
                    buffer += trailer
                    if !buffer.isEmpty { try send(buffer) }
                }.affectedRows
            }
        }
    }

    /// Writes many rows with multi-row `INSERT … VALUES ($1, $2), ($3, $4)…` statements, for
    /// when a clause is needed after the values (`suffix`, e.g. `ON CONFLICT DO NOTHING`,
    /// written by the caller, without values). Rows go in batches under PostgreSQL's 65,535
    /// parameter limit; several batches run in one transaction (a savepoint when one is
    /// open), so it is all or nothing. Returns the number of rows inserted.
    @discardableResult
    public func insert(
        into table: String, schema: String? = nil, columns: [String], rows: [[PostgresValue]], suffix: String = ""
    ) async throws -> Int {
        try Self.check(rows: rows, columns: columns, table: table)
        guard !rows.isEmpty else { return 0 }
        let head =
            "INSERT INTO \(PostgresIdentifier.qualified(table, schema: schema)) ("
            + columns.map(PostgresIdentifier.quote).joined(separator: ", ") + ") VALUES "
        let rowsPerBatch = max(1, min(1000, 65_535 / columns.count))
        let batches = stride(from: 0, to: rows.count, by: rowsPerBatch).map { Array(rows[$0..<min($0 + rowsPerBatch, rows.count)]) }
        func insertBatch(_ batch: [[PostgresValue]], on connection: PostgresConnection) async throws -> Int {
            var query = PostgresQuery(unescaped: head)
            for (index, row) in batch.enumerated() {
                query.append(unescaped: index == 0 ? "(" : ", (")
                for (column, value) in row.enumerated() {
                    if column > 0 { query.append(unescaped: ", ") }
                    query.append(binding: value)
                }
                query.append(unescaped: ")")
            }
            if !suffix.isEmpty { query.append(unescaped: " " + suffix) }
            return try await connection.execute(query)
        }
        if batches.count == 1 { return try await insertBatch(batches[0], on: self) }
        return try await transaction { connection in
            var inserted = 0
            for batch in batches { inserted += try await insertBatch(batch, on: connection) }
            return inserted
        }
    }

    private static func check(rows: [[PostgresValue]], columns: [String], table: String) throws {
        guard !columns.isEmpty else {
            throw PostgresError(.queryFailed, "bulk write into \(table): no columns given")
        }
        if let index = rows.firstIndex(where: { $0.count != columns.count }) {
            throw PostgresError(
                .queryFailed,
                "bulk write into \(table): row \(index) has \(rows[index].count) values for \(columns.count) columns")
        }
    }
}

/// COPY's text format: columns separated by tabs, rows ended by newlines, `\N` for NULL,
/// and backslash escapes for the characters that would otherwise be read as structure.
enum PostgresCopyText {
    static func append(_ row: [PostgresValue], to buffer: inout [UInt8]) {
        for (index, value) in row.enumerated() {
            if index > 0 { buffer.append(9) }
            guard var text = value.textEncoding else {
                buffer.append(contentsOf: [92, 78])  // \N
                continue
            }
            // Bytes, not characters: these ASCII bytes never occur inside a UTF-8 sequence.
            // The runs between them are appended whole (a notification's bytea is kilobytes).
            text.withUTF8 { bytes in
                var runStart = 0
                for (index, byte) in bytes.enumerated() {
                    let escaped: UInt8
                    switch byte {
                    case 92: escaped = 92  // \\
                    case 10: escaped = 110  // \n
                    case 13: escaped = 114  // \r
                    case 9: escaped = 116  // \t
                    default: continue
                    }
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    buffer.append(92)
                    buffer.append(escaped)
                    runStart = index + 1
                }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            }
        }
        buffer.append(10)
    }
}

/// COPY's binary format: a signature, then per row a 16-bit field count and each field as a
/// 32-bit length (-1 for NULL) and its bytes in the type's binary ("send") format, then -1.
/// All integers big-endian.
enum PostgresCopyBinary {
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    static let trailer: [UInt8] = [0xFF, 0xFF]

    /// Seconds from the Unix epoch to PostgreSQL's (2000-01-01).
    private static let postgresEpoch: TimeInterval = 946_684_800

    static func canEncode(_ value: PostgresValue) -> Bool {
        switch value {
        case .textArray, .intArray: false
        default: true
        }
    }

    static func append(_ row: [PostgresValue], to buffer: inout [UInt8]) {
        appendBigEndian(Int16(row.count), to: &buffer)
        for value in row {
            switch value {
            case .null:
                appendBigEndian(Int32(-1), to: &buffer)
            case .text(let text):
                appendField(text, to: &buffer)
            case .json(let text):
                // jsonb's binary format: a version byte (1), then the JSON text.
                var text = text
                text.withUTF8 { bytes in
                    appendBigEndian(Int32(bytes.count + 1), to: &buffer)
                    buffer.append(1)
                    buffer.append(contentsOf: bytes)
                }
            case .bytea(let bytes):
                appendBigEndian(Int32(bytes.count), to: &buffer)
                buffer.append(contentsOf: bytes)
            case .uuid(let uuid):
                appendBigEndian(Int32(16), to: &buffer)
                withUnsafeBytes(of: uuid.uuid) { buffer.append(contentsOf: $0) }
            case .int(let value):
                appendBigEndian(Int32(8), to: &buffer)
                appendBigEndian(value, to: &buffer)
            case .bool(let value):
                appendBigEndian(Int32(1), to: &buffer)
                buffer.append(value ? 1 : 0)
            case .double(let value):
                appendBigEndian(Int32(8), to: &buffer)
                appendBigEndian(value.bitPattern, to: &buffer)
            case .timestamp(let date):
                appendBigEndian(Int32(8), to: &buffer)
                appendBigEndian(Int64(((date.timeIntervalSince1970 - postgresEpoch) * 1_000_000).rounded()), to: &buffer)
            case .textArray, .intArray:
                preconditionFailure("copyBinary checks canEncode before writing")
            }
        }
    }

    private static func appendField(_ text: String, to buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            appendBigEndian(Int32(bytes.count), to: &buffer)
            buffer.append(contentsOf: bytes)
        }
    }

    private static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }
}
