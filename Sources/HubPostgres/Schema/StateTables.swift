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
        .joined(
            key.map { column -> PostgresQuery in
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
