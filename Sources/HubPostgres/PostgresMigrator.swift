import Crypto
import Foundation
import Logging

/// One versioned change of the database schema. Once applied somewhere, a migration never
/// changes: its checksum is recorded, and a changed text is refused. Write a new one instead.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    /// One or more statements; run with the simple query protocol, inside a transaction.
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// SHA-256 of the SQL text, hex.
    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// What `PostgresMigrator.migrate()` did.
public struct MigrationReport: Sendable {
    /// Applied now, in order.
    public var applied: [Migration]
    /// Versions that were already applied before this run.
    public var alreadyApplied: [Int]
}

/// Applies pending migrations in version order, each in its own transaction together with
/// the row that records it in `hub_schema_migrations`, so a failed migration leaves neither.
///
/// Two processes may migrate at the same time (two `hub-admin migrate`, a deployment's set-up
/// jobs): each migration transaction first takes a transaction-level advisory lock, then
/// looks again at what is applied, so each migration runs once. The lock key is derived from the schema,
/// so migrations of different schemas do not wait for one another.
public struct PostgresMigrator: Sendable {
    public static let tableName = "hub_schema_migrations"

    public let migrations: [Migration]
    /// The schema that holds the migrated tables and `hub_schema_migrations` (created when
    /// missing). nil: the connection's search_path decides.
    public let schema: String?
    let logger: Logger

    public init(migrations: [Migration], schema: String? = nil, logger: Logger = Logger(label: "hub.postgres.migrator")) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (index, migration) in sorted.enumerated() {
            guard migration.version > 0 else {
                throw PostgresError(.migrationFailed, "migration \(migration.name): versions start at 1, not \(migration.version)")
            }
            if index > 0 && sorted[index - 1].version == migration.version {
                throw PostgresError(
                    .migrationFailed,
                    "two migrations have version \(migration.version): \(sorted[index - 1].name) and \(migration.name)")
            }
        }
        self.migrations = sorted
        self.schema = schema
        self.logger = logger
    }

    /// Applies what is pending. Throws `migrationFailed` when an applied migration's text
    /// changed or the database has a version this code does not know (a newer hub ran).
    @discardableResult
    public func migrate(on connection: PostgresConnection) async throws -> MigrationReport {
        let lockKey = try await advisoryLockKey(on: connection)
        // First look, under the lock: create the table and check every recorded checksum,
        // so a changed migration is refused before anything new runs.
        let applied = try await connection.transaction { connection in
            try await prepareTransaction(on: connection, lockKey: lockKey)
            return try await appliedChecksums(on: connection)
        }
        var report = MigrationReport(applied: [], alreadyApplied: applied.keys.sorted())
        for migration in migrations where applied[migration.version] == nil {
            let ran = try await connection.transaction { connection -> Bool in
                try await prepareTransaction(on: connection, lockKey: lockKey)
                // Another process may have applied it since the first look.
                if try await appliedChecksums(on: connection)[migration.version] != nil { return false }
                logger.info("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                do {
                    try await connection.executeScript(migration.sql)
                } catch let error as PostgresError {
                    throw error.adding(context: "migration \(migration.version) \(migration.name)")
                }
                try await connection.execute(
                    """
                    INSERT INTO \(unescaped: table) (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """)
                return true
            }
            if ran { report.applied.append(migration) } else { report.alreadyApplied.append(migration.version) }
        }
        return report
    }

    /// Checks, without changing anything, that every migration is applied as this code knows
    /// it, and returns the schema's version. `hub-workers` calls this at start-up instead of
    /// migrating: it may run as a role with data rights only (no DDL), so migrating is the
    /// owner's job (`hub-admin migrate`). No lock is taken: a migration running meanwhile
    /// is either seen whole or not at all (each one commits with its row).
    ///
    /// Throws `migrationFailed` naming what to do when the schema is behind (migrations not
    /// applied), ahead (a newer hub migrated it), changed, or not a hub schema at all.
    @discardableResult
    public func requireCurrent(on connection: PostgresConnection) async throws -> Int {
        let latest = migrations.last?.version ?? 0
        let applied: [Int: String]
        do {
            applied = try await appliedChecksums(on: connection)
        } catch let error as PostgresError where error.sqlState == "42P01" {
            throw PostgresError(
                .migrationFailed,
                "\(Self.tableName) is missing: the hub's schema was never migrated here; "
                    + "run hub-admin migrate (as the schema's owner) first, this hub needs version \(latest)",
                sqlState: error.sqlState)
        } catch let error as PostgresError where error.sqlState == "42501" {
            throw PostgresError(
                .migrationFailed,
                "this role may not read \(Self.tableName) (\(error.message)); "
                    + "grant it with hub-admin roles workers ROLE (as the schema's owner)",
                sqlState: error.sqlState)
        }
        let pending = migrations.map(\.version).filter { applied[$0] == nil }
        guard pending.isEmpty else {
            let version = applied.keys.max().map(String.init) ?? "none"
            throw PostgresError(
                .migrationFailed,
                "the schema is at version \(version) and this hub needs version \(latest) "
                    + "(migrations \(pending.map(String.init).joined(separator: ", ")) not applied): "
                    + "run hub-admin migrate (as the schema's owner) first")
        }
        return latest
    }

    private var table: String { PostgresIdentifier.qualified(Self.tableName, schema: schema) }

    /// Inside a migration transaction: wait for other migrators, create `schema` if needed and
    /// resolve unqualified names in it (set_config local: only for this transaction), make
    /// sure the table exists.
    private func prepareTransaction(on connection: PostgresConnection, lockKey: Int64) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))")
        if let schema {
            // Under the lock: concurrent CREATE SCHEMA IF NOT EXISTS can collide.
            try await connection.executeScript("CREATE SCHEMA IF NOT EXISTS " + PostgresIdentifier.quote(schema))
            try await connection.query("SELECT set_config('search_path', \(PostgresIdentifier.quote(schema)), true)")
        }
        try await connection.executeScript(
            """
            CREATE TABLE IF NOT EXISTS \(table) (
                version bigint PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
    }

    /// Recorded checksums by version, after checking them against the code's migrations.
    private func appliedChecksums(on connection: PostgresConnection) async throws -> [Int: String] {
        let rows = try await connection.query("SELECT version, name, checksum FROM \(unescaped: table) ORDER BY version")
        var applied: [Int: String] = [:]
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for row in rows {
            let version = try row.decode(Int.self, at: "version")
            let name = try row.decode(String.self, at: "name")
            let checksum = try row.decode(String.self, at: "checksum")
            guard let migration = known[version] else {
                throw PostgresError(
                    .migrationFailed,
                    "the database has migration \(version) (\(name)), which this version of the hub does not know; "
                        + "is a newer hub running against it?")
            }
            guard migration.checksum == checksum else {
                throw PostgresError(
                    .migrationFailed,
                    "migration \(version) (\(name)) was changed after it was applied: recorded checksum "
                        + "\(checksum.prefix(12))…, now \(migration.checksum.prefix(12))…; "
                        + "restore its text and add a new migration for the change")
            }
            applied[version] = checksum
        }
        return applied
    }

    /// 64 bits of SHA-256("hub_schema_migrations:" + schema), schema being the given one or
    /// the connection's current schema.
    private func advisoryLockKey(on connection: PostgresConnection) async throws -> Int64 {
        let resolved: String
        if let schema {
            resolved = schema
        } else {
            resolved = try await connection.query("SELECT coalesce(current_schema(), '')").scalar(String.self)
        }
        let digest = Array(SHA256.hash(data: Data("\(Self.tableName):\(resolved)".utf8)))
        return digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }
}
