/// The outcome of one statement: its rows (read fully into memory, in the server's text
/// format), its columns and its command tag. Plain values, safe to pass between tasks.
public struct PostgresRows: Sendable, RandomAccessCollection {
    public let columns: [PostgresColumn]
    public let commandTag: String
    /// Rows inserted, updated, deleted, copied or selected, as the server counted them.
    public let affectedRows: Int
    private let layout: PostgresRowLayout
    private let rows: [[String?]]

    init(columns: [PostgresColumn], rows: [[String?]], commandTag: String, affectedRows: Int) {
        self.columns = columns
        self.rows = rows
        self.commandTag = commandTag
        self.affectedRows = affectedRows
        self.layout = PostgresRowLayout(columns: columns)
    }

    public var startIndex: Int { rows.startIndex }
    public var endIndex: Int { rows.endIndex }
    public subscript(position: Int) -> PostgresRow { PostgresRow(layout: layout, values: rows[position]) }

    /// The first column of the first row, for `SELECT count(*)` and friends.
    public func scalar<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
        guard let row = first else {
            throw PostgresError(.decodingFailed, "expected a row, the statement returned none")
        }
        return try row.decode(type, at: 0)
    }
}

public struct PostgresColumn: Sendable, Hashable {
    public let name: String
    /// pg_type OID (see `PostgresTypeOID`).
    public let typeOID: UInt32
}

/// Column names and positions shared by all rows of one result.
final class PostgresRowLayout: Sendable {
    let columns: [PostgresColumn]
    let positions: [String: Int]

    init(columns: [PostgresColumn]) {
        self.columns = columns
        var positions: [String: Int] = [:]
        for (index, column) in columns.enumerated() where positions[column.name] == nil {
            positions[column.name] = index
        }
        self.positions = positions
    }
}

/// One row. Read a column with `decode(_:at:)` by name or position; ask for an Optional to
/// accept NULL (`try row.decode(String?.self, at: "venue")`).
public struct PostgresRow: Sendable {
    let layout: PostgresRowLayout
    let values: [String?]

    public var columns: [PostgresColumn] { layout.columns }

    public subscript(column: String) -> PostgresCell? {
        layout.positions[column].map { self[$0] }
    }

    public subscript(index: Int) -> PostgresCell {
        PostgresCell(column: layout.columns[index], text: values[index])
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: String) throws -> T {
        guard let cell = self[column] else {
            let names = layout.columns.map(\.name).joined(separator: ", ")
            throw PostgresError(.decodingFailed, "no column \"\(column)\" in the result (columns: \(names))")
        }
        return try cell.decode(type)
    }

    /// `PostgresCell.byteaBytes()` of the column named `column`.
    public func bytea(at column: String) throws -> [UInt8]? {
        guard let cell = self[column] else {
            throw PostgresError(.decodingFailed, "no column \"\(column)\" in the result")
        }
        return try cell.byteaBytes()
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        guard layout.columns.indices.contains(index) else {
            throw PostgresError(.decodingFailed, "no column at position \(index) (the result has \(layout.columns.count))")
        }
        return try self[index].decode(type)
    }
}

/// One value of a row, as the server printed it (nil for NULL).
public struct PostgresCell: Sendable {
    public let column: PostgresColumn
    /// The server's text output; nil for SQL NULL.
    public let text: String?

    public var isNull: Bool { text == nil }

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
        guard let text else {
            if let value = T.postgresNull { return value }
            throw PostgresError(
                .decodingFailed, "column \"\(column.name)\" is NULL; decode \(T.self)? to accept NULL")
        }
        do {
            return try T(postgresText: text, typeOID: column.typeOID)
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(.decodingFailed, "column \"\(column.name)\": \(error)")
        }
    }

    /// A bytea column's bytes (nil for NULL), decoded straight into an array rather than
    /// through `Data` (the relay reads a kilobyte per notification).
    public func byteaBytes() throws -> [UInt8]? {
        guard let text else { return nil }
        guard column.typeOID == PostgresTypeOID.bytea, let bytes = PostgresHex.decodeBytea(text) else {
            throw PostgresError(.decodingFailed, "column \"\(column.name)\" is not bytea in hex form")
        }
        return bytes
    }
}
