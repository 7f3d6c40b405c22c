import Crypto
import Foundation
import HubDomain
import HubPostgres

/// A table the rules derive from the event log: what `ReadModelRebuild` empties and writes
/// again, and what `StateChecksum` covers. Not the reference data (imported, not derived),
/// nor the inbox, event log, outbox or dead letters (the record of what happened).
/// Each is a `StateTable` of `StateTables` whose source is the rules: a new derived table
/// described there joins `all` (and `StateStore.store` must write it).
public struct ReadModelTable: Sendable {
    /// The table's description: name, columns, key.
    public let table: StateTable

    public var name: String { table.name }
    /// `ORDER BY` of the checksum: the primary key, text in byte order (`COLLATE "C"`), so
    /// the order does not depend on the database's collation.
    var orderBy: String { table.keyOrder.sql }
    /// Columns other than the domain document, in the checksum as they are in SQL. The
    /// bookkeeping timestamps (`updated_at`, `recorded_at`) are left out: a rebuild changes them.
    var plainColumns: [String] { table.plainColumns.map(\.name) }
    /// The `jsonb` column that holds a HubDomain value (`ClsmRecord`...).
    var documentColumn: String { table.document.name }

    /// Decodes the document column's text as its HubDomain type and encodes it canonically.
    func canonicalDocument(_ text: String) throws -> JSONValue {
        try CanonicalEncoding.value(try table.decode(document: text))
    }

    /// Every read model, in the checksum's order (by name).
    public static let all: [ReadModelTable] = StateTables.readModels.sorted { $0.name < $1.name }.map(ReadModelTable.init)

    var selectSQL: String {
        let pairs = PostgresQuery.joined(
            table.plainColumns.map { column -> PostgresQuery in "'\(unescaped: column.name)', \(column)" }, separator: ", ")
        let query: PostgresQuery = """
            SELECT jsonb_build_object(\(pairs))::text, \(table.document)::text FROM \(table) ORDER BY \(table.keyOrder)
            """
        return query.sql
    }

    /// The canonical JSON of one row: its plain columns (`jsonb` text of `jsonb_build_object`,
    /// parsed) and its document (canonical encoding of the decoded value), as one object.
    func canonicalRow(plain: String, document: String) throws -> String {
        guard case .object(var members) = try JSONParser.parse(plain) else {
            throw PostgresError(.decodingFailed, "\(name): the row's columns are not a JSON object")
        }
        members[documentColumn] = try canonicalDocument(document)
        return JSONValue.object(members).canonicalString()
    }
}

/// A SHA-256 of the read models, equal for equal states whatever process wrote them.
///
/// Definition (the one place it is defined): SHA-256 over the UTF-8 lines
/// `<table>\t<row>\n`, tables of `ReadModelTable.all` in that order (clsm_activity_reports, clsms, ptsm_diagnostics,
/// ptsms, qpv_actions, sism_programmes, sism_proposals), rows by primary key (text in byte order), where
/// `<row>` is a JSON object of the row's columns except `updated_at`/`recorded_at`: the
/// plain columns as PostgreSQL's `jsonb_build_object` gives them (text arrays keep their
/// order), the `jsonb` document decoded as its HubCore type and re-encoded canonically
/// (`CanonicalEncoding`: sets sorted), objects with sorted keys, no whitespace
/// (`JSONValue.canonicalString()`). Each table also gets its own SHA-256 of its lines, to
/// say which table differs.
public struct StateChecksum: Sendable, Hashable, CustomStringConvertible {
    public struct Table: Sendable, Hashable {
        public var name: String
        public var rows: Int
        public var sha256: String
    }

    public var sha256: String
    public var tables: [Table]

    public var description: String { sha256 }

    public func table(_ name: String) -> Table? { tables.first { $0.name == name } }

    /// Names of the tables whose digest differs between `self` and `other`.
    public func tablesDiffering(from other: StateChecksum) -> [String] {
        tables.filter { other.table($0.name)?.sha256 != $0.sha256 }.map(\.name)
    }

    /// Accumulates the lines; pure, so the definition can be tested without a server.
    public struct Builder {
        private var overall = SHA256()
        private var current: (name: String, rows: Int, hash: SHA256)?
        private var tables: [Table] = []

        public init() {}

        public mutating func begin(table name: String) {
            finishTable()
            current = (name, 0, SHA256())
        }

        public mutating func add(row: String) {
            guard var table = current else { preconditionFailure("a row before any table") }
            let line = Data((table.name + "\t" + row + "\n").utf8)
            overall.update(data: line)
            table.hash.update(data: line)
            table.rows += 1
            current = table
        }

        public mutating func finish() -> StateChecksum {
            finishTable()
            return StateChecksum(sha256: Self.hex(overall.finalize()), tables: tables)
        }

        private mutating func finishTable() {
            guard let table = current else { return }
            tables.append(Table(name: table.name, rows: table.rows, sha256: Self.hex(table.hash.finalize())))
            current = nil
        }

        static func hex(_ digest: SHA256.Digest) -> String {
            digest.map { String(format: "%02x", $0) }.joined()
        }
    }

    /// Reads every read model on `connection` (in a transaction of its own, or a savepoint
    /// of the caller's, so the tables are read at one point in time) and hashes them.
    public static func compute(on connection: PostgresConnection, pageSize: Int = 2000) async throws -> StateChecksum {
        try await connection.transaction { connection in
            var builder = Builder()
            for table in ReadModelTable.all {
                builder.begin(table: table.name)
                // A cursor: the read models can be large, one page is in memory at a time.
                try await connection.executeScript("DECLARE hub_state_checksum NO SCROLL CURSOR FOR " + table.selectSQL)
                while true {
                    let rows = try await connection.query("FETCH \(unescaped: String(pageSize)) FROM hub_state_checksum")
                    for row in rows {
                        builder.add(row: try table.canonicalRow(plain: try row.decode(at: 0), document: try row.decode(at: 1)))
                    }
                    if rows.count < pageSize { break }
                }
                try await connection.executeScript("CLOSE hub_state_checksum")
            }
            return builder.finish()
        }
    }
}
