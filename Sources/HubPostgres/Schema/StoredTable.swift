import HubDomain

/// A state table with its Swift types: `Row` is what is stored (one row each), `Document`
/// the value of its `jsonb` column.
public struct StoredTable<Row: Sendable, Document: Codable & Sendable>: Sendable {
    /// A column beside the document, with how to read it from a row.
    struct Column: Sendable {
        var column: StateColumn
        var value: @Sendable (Row) -> PostgresValue

        static func key(_ name: String, _ type: StateColumnType, _ value: @escaping @Sendable (Row) -> PostgresValue) -> Column {
            Column(column: StateColumn(name: name, type: type, role: .key), value: value)
        }

        static func search(_ name: String, _ type: StateColumnType, _ value: @escaping @Sendable (Row) -> PostgresValue) -> Column {
            Column(column: StateColumn(name: name, type: type, role: .search), value: value)
        }
    }

    public let table: StateTable
    private let plain: [Column]
    private let document: @Sendable (Row) -> Document

    init(
        _ name: String, _ plain: [Column], document: String, _ documentOf: @escaping @Sendable (Row) -> Document,
        bookkeeping: String? = nil, onConflict: StateTable.OnConflict = .replace, source: StateTable.Source,
        isResident: Bool, put: (@Sendable (inout HubState, Document) -> Void)?
    ) {
        var columns = plain.map(\.column)
        columns.append(StateColumn(name: document, type: .jsonb, role: .document))
        if let bookkeeping { columns.append(StateColumn(name: bookkeeping, type: .timestamptz, role: .bookkeeping)) }
        @Sendable func decode(_ text: String) throws -> Document {
            try RecordCoding.decode(Document.self, text: text, column: "\(name).\(document)")
        }
        self.table = StateTable(
            name: name, columns: columns, onConflict: onConflict, source: source, isResident: isResident,
            decodeDocument: { try decode($0) },
            putDocument: put.map { put -> @Sendable (inout HubState, String) throws -> Void in
                { state, text in put(&state, try decode(text)) }
            })
        self.plain = plain
        self.document = documentOf
    }

    /// The values of `table.writtenColumns` for `row`.
    func values(of row: Row) throws -> [PostgresValue] {
        plain.map { $0.value(row) } + [try RecordCoding.encode(document(row))]
    }
}

extension StoredTable where Row == Document {
    init(
        _ name: String, _ plain: [Column], document: String, bookkeeping: String? = nil, source: StateTable.Source,
        isResident: Bool, put: @escaping @Sendable (inout HubState, Document) -> Void
    ) {
        self.init(
            name, plain, document: document, { $0 }, bookkeeping: bookkeeping, source: source,
            isResident: isResident, put: put)
    }
}

/// One PTSM diagnostic version kept, with the event that published it.
public typealias PtsmDiagnosticVersion = (record: PtsmRecord, event: EventIdentity)
