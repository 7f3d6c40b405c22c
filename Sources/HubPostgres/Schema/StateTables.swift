import Foundation
import HubDomain

/// The SQL type of a state table's column, as the migrations create it.
public enum StateColumnType: String, Sendable, Hashable {
    case text
    case textArray = "text[]"
    case integer
    case boolean
    case jsonb
    case timestamptz

    /// The type's name in `pg_type` (`information_schema.columns.udt_name`).
    public var udtName: String {
        switch self {
        case .text: "text"
        case .textArray: "_text"
        case .integer: "int4"
        case .boolean: "bool"
        case .jsonb: "jsonb"
        case .timestamptz: "timestamptz"
        }
    }
}

/// One column of a state table.
public struct StateColumn: Sendable, Hashable {
    public enum Role: Sendable, Hashable {
        /// Part of the primary key.
        case key
        /// Copied from the document so that queries can search by it (indexed or filtered).
        case search
        /// The `jsonb` document: the domain value itself.
        case document
        /// Kept by the database (`DEFAULT now()`), never part of the state.
        case bookkeeping
    }

    public let name: String
    public let type: StateColumnType
    public let role: Role
}

/// A table that holds part of `HubState`: its name and columns, from which every query
/// that writes or reads it takes its column lists (store, the loads, region loading,
/// `ReadModelRebuild`, `StateChecksum`). Every column is `NOT NULL`.
///
/// The migrations in `HubSchema` are history and keep their text; a test compares each
/// description with the table the migrations leave (`information_schema`). A new state
/// table is a migration and a description here (`StateTables.all`).
public struct StateTable: Sendable {
    /// Whether storing a row whose key is already there replaces it or keeps the old one.
    public enum OnConflict: Sendable, Hashable {
        case replace
        /// Rows are history (every PTSM diagnostic version): a row once written stays.
        case keep
    }

    /// Who writes the table.
    public enum Source: Sendable, Hashable {
        /// `hub-admin reference import` (and reference-import events): not derived.
        case referenceImport
        /// The rules: a read model, emptied and written again by `ReadModelRebuild` from the
        /// event log, and covered by `StateChecksum`.
        case rules
    }

    public let name: String
    /// In the migrated table's order.
    public let columns: [StateColumn]
    public let onConflict: OnConflict
    public let source: Source
    /// Whether `ResidentState` holds the table in memory between batches (a write to it
    /// changes `hub_state_version`, migration 4).
    public let isResident: Bool
    /// Decodes the document column's JSON text as its domain type.
    let decodeDocument: @Sendable (String) throws -> any Codable & Sendable
    /// Decodes the document column's JSON text and puts the value where `HubState` keeps it
    /// (nil: the state holds no such value).
    let putDocument: (@Sendable (inout HubState, String) throws -> Void)?

    /// The document column's JSON text decoded as its domain type.
    public func decode(document text: String) throws -> any Codable & Sendable {
        try decodeDocument(text)
    }

    /// The primary key's columns.
    public var key: [StateColumn] { columns.filter { $0.role == .key } }
    /// The columns beside the document that are state: key and search columns.
    public var plainColumns: [StateColumn] { columns.filter { $0.role == .key || $0.role == .search } }
    /// The `jsonb` column holding the domain value.
    public var document: StateColumn { columns.first { $0.role == .document }! }
    /// What a write sets: every column but the bookkeeping ones, in table order.
    public var writtenColumns: [StateColumn] { columns.filter { $0.role != .bookkeeping } }

    /// The column named `name`; a name the description does not hold is a programming error.
    public subscript(_ name: String) -> StateColumn {
        guard let column = columns.first(where: { $0.name == name }) else {
            preconditionFailure("\(self.name) has no column \(name)")
        }
        return column
    }

    /// The primary key's columns, text in byte order (`COLLATE "C"`): an order that does not
    /// depend on the database's collation.
    public var keyOrder: PostgresQuery {
        .joined(key.map { column -> PostgresQuery in
            column.type == .text ? "\(column) COLLATE \"C\"" : "\(column)"
        }, separator: ", ")
    }

    /// `SELECT <document> FROM <table> [WHERE condition]`.
    public func selectDocuments(where condition: PostgresQuery? = nil) -> PostgresQuery {
        var query: PostgresQuery = "SELECT \(document) FROM \(self)"
        if let condition { query.append("\nWHERE " + condition) }
        return query
    }

    /// What follows `INSERT … VALUES …` for a row already stored: replace every written
    /// column but the key (and `updated_at` with now), or keep the stored row.
    var conflictClause: String {
        let key = "ON CONFLICT (" + self.key.map { PostgresIdentifier.quote($0.name) }.joined(separator: ", ") + ")"
        switch onConflict {
        case .keep:
            return key + " DO NOTHING"
        case .replace:
            var assignments = writtenColumns.filter { $0.role != .key }.map {
                PostgresIdentifier.quote($0.name) + " = EXCLUDED." + PostgresIdentifier.quote($0.name)
            }
            if columns.contains(where: { $0.name == "updated_at" && $0.role == .bookkeeping }) {
                assignments.append("\"updated_at\" = now()")
            }
            return key + " DO UPDATE SET " + assignments.joined(separator: ", ")
        }
    }
}

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

    init(_ name: String, _ plain: [Column], document: String, _ documentOf: @escaping @Sendable (Row) -> Document,
         bookkeeping: String? = nil, onConflict: StateTable.OnConflict = .replace, source: StateTable.Source,
         isResident: Bool, put: (@Sendable (inout HubState, Document) -> Void)?) {
        var columns = plain.map(\.column)
        columns.append(StateColumn(name: document, type: .jsonb, role: .document))
        if let bookkeeping { columns.append(StateColumn(name: bookkeeping, type: .timestamptz, role: .bookkeeping)) }
        @Sendable func decode(_ text: String) throws -> Document {
            do {
                return try JSONDecoder().decode(Document.self, from: Data(text.utf8))
            } catch {
                throw PostgresError(.decodingFailed, "\(name).\(document) does not decode as \(Document.self): \(error)")
            }
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
    init(_ name: String, _ plain: [Column], document: String, bookkeeping: String? = nil, source: StateTable.Source,
         isResident: Bool, put: @escaping @Sendable (inout HubState, Document) -> Void) {
        self.init(name, plain, document: document, { $0 }, bookkeeping: bookkeeping, source: source,
                  isResident: isResident, put: put)
    }
}

/// One PTSM diagnostic version kept, with the event that published it.
public typealias PtsmDiagnosticVersion = (record: PtsmRecord, event: EventIdentity)

/// Every state table, described once.
public enum StateTables {
    // MARK: Reference data

    public static let regions = StoredTable<Region, Region>(
        "ref_regions", [.key("code", .text) { .text($0.code) }], document: "doc",
        source: .referenceImport, isResident: true) { $0.reference.regions[$1.code] = $1 }

    public static let departements = StoredTable<Departement, Departement>(
        "ref_departements",
        [.key("code", .text) { .text($0.code) }, .search("region", .text) { .text($0.region) }],
        document: "doc", source: .referenceImport, isResident: true) { $0.reference.departements[$1.code] = $1 }

    public static let communes = StoredTable<Commune, Commune>(
        "ref_communes",
        [.key("code", .text) { .text($0.code) }, .search("departement", .text) { .text($0.departement) }],
        document: "doc", source: .referenceImport, isResident: true) { $0.reference.communes[$1.code] = $1 }

    public static let qpvs = StoredTable<Qpv, Qpv>(
        "ref_qpvs",
        [.key("code", .text) { .text($0.code) }, .search("communes", .textArray) { .textArray($0.communes) }],
        document: "doc", source: .referenceImport, isResident: true) { $0.reference.qpvs[$1.code] = $1 }

    public static let cls = StoredTable<Cls, Cls>(
        "ref_cls",
        [.key("id", .text) { .text($0.id) }, .search("region", .text) { .text($0.region) },
         .search("communes", .textArray) { .textArray($0.communes) }],
        document: "doc", source: .referenceImport, isResident: true) { $0.reference.cls[$1.id] = $1 }

    public static let asvs = StoredTable<Asv, Asv>(
        "ref_asvs",
        [.key("id", .text) { .text($0.id) }, .search("qpvs", .textArray) { .textArray($0.qpvs) }],
        document: "doc", source: .referenceImport, isResident: true) { $0.reference.asvs[$1.id] = $1 }

    public static let sismEditions = StoredTable<SismEdition, SismEdition>(
        "ref_sism_editions", [.key("year", .integer) { .int(Int64($0.year)) }], document: "doc",
        source: .referenceImport, isResident: true) { $0.reference.sismEditions[$1.year] = $1 }

    // MARK: Read models (written by the rules)

    public static let clsms = StoredTable<ClsmRecord, ClsmRecord>(
        "clsms",
        [.key("id", .text) { .text($0.id) },
         .search("region", .text) { .text($0.declaration.region) },
         .search("status", .text) { .text($0.declaration.status.rawValue) },
         .search("communes", .textArray) { .textArray($0.declaration.communes) },
         .search("departements", .textArray) { .textArray($0.departements.sorted()) }],
        document: "record", bookkeeping: "updated_at", source: .rules, isResident: true) { $0.clsms[$1.id] = $1 }

    public static let ptsms = StoredTable<PtsmRecord, PtsmRecord>(
        "ptsms",
        [.key("id", .text) { .text($0.id) },
         .search("region", .text) { .text($0.diagnostic.region) },
         .search("version", .integer) { .int(Int64($0.diagnostic.version)) },
         .search("departements", .textArray) { .textArray($0.departements.sorted()) }],
        document: "record", bookkeeping: "updated_at", source: .rules, isResident: true) { $0.ptsms[$1.id] = $1 }

    /// Every published version of every PTSM diagnostic (history: a version once stored stays).
    public static let ptsmDiagnostics = StoredTable<PtsmDiagnosticVersion, PtsmDiagnosticPublished>(
        "ptsm_diagnostics",
        [.key("ptsm_id", .text) { .text($0.record.id) },
         .key("version", .integer) { .int(Int64($0.record.diagnostic.version)) },
         .search("event_source", .text) { .text($0.event.source) },
         .search("event_id", .text) { .text($0.event.id) }],
        document: "diagnostic", { $0.record.diagnostic }, bookkeeping: "recorded_at", onConflict: .keep, source: .rules,
        isResident: false, put: nil)

    public static let sismProposals = StoredTable<SismProposalRecord, SismProposalRecord>(
        "sism_proposals",
        [.key("id", .text) { .text($0.id) },
         .search("clsm_id", .text) { .text($0.proposal.clsmId) },
         .search("edition", .integer) { .int(Int64($0.proposal.edition)) },
         .search("commune", .text) { .text($0.proposal.commune) },
         .search("region", .text) { .text($0.region) },
         .search("accepted", .boolean) { .bool($0.isAccepted) },
         .search("cancelled", .boolean) { .bool($0.proposal.isCancelled) }],
        document: "record", bookkeeping: "updated_at", source: .rules, isResident: true) { $0.sismProposals[$1.id] = $1 }

    public static let sismProgrammes = StoredTable<SismProgrammeTally, SismProgrammeTally>(
        "sism_programmes",
        [.key("edition", .integer) { .int(Int64($0.edition)) }, .key("region", .text) { .text($0.region) }],
        document: "tally", bookkeeping: "updated_at", source: .rules, isResident: true) { $0.sismProgrammes[$1.id] = $1 }

    public static let qpvActions = StoredTable<QpvActionRecord, QpvActionRecord>(
        "qpv_actions",
        [.key("id", .text) { .text($0.id) }, .search("qpv", .text) { .text($0.action.qpv) }],
        document: "record", bookkeeping: "updated_at", source: .rules, isResident: false) { $0.qpvActions[$1.id] = $1 }

    /// Every state table: the reference data, then the read models by name.
    public static let all: [StateTable] = [
        regions.table, departements.table, communes.table, qpvs.table, cls.table, asvs.table, sismEditions.table,
        clsms.table, ptsmDiagnostics.table, ptsms.table, qpvActions.table, sismProgrammes.table, sismProposals.table,
    ]

    /// The tables the rules derive from the event log, by name: what `ReadModelRebuild`
    /// writes again and `StateChecksum` covers.
    public static var readModels: [StateTable] { all.filter { $0.source == .rules } }
}

extension PostgresQuery.StringInterpolation {
    /// The table's name, double-quoted.
    public mutating func appendInterpolation(_ table: StateTable) {
        appendInterpolation(identifier: table.name)
    }

    /// The column's name, double-quoted.
    public mutating func appendInterpolation(_ column: StateColumn) {
        appendInterpolation(identifier: column.name)
    }

    /// The columns' names, double-quoted, separated by commas.
    public mutating func appendInterpolation(_ columns: [StateColumn]) {
        appendInterpolation(identifiers: columns.map(\.name))
    }
}
