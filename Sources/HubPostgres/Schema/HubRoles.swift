/// The PostgreSQL roles of a hub and their rights on its schema, granted by the schema's
/// owner (`hub-admin roles`). Three kinds of role:
///
/// - the **owner** owns the schema and its tables: it migrates (`hub-admin migrate`), imports
///   reference data, rebuilds and repairs, and grants; row-level security does not apply to it;
/// - a **workers' role** (`hub_processing_roles`) has data rights only: it reads and writes
///   the rows of every table, uses the sequences, and may neither create nor alter anything
///   (no CREATE on the schema, owns nothing), so `hub-workers` runs no DDL;
/// - a **reporting role** (`hub_region_grants`) reads the read models of its regions (row-level
///   security, migration 9) and the reference data, nothing else: not the inbox, the event
///   log, the outbox nor the dead letters, which carry every region's payloads.
///
/// Roles are the cluster's, the tables that record them are the schema's: migrations name no
/// role, and the grants here are made per schema. The role may exist already (made by a DBA,
/// with LOGIN and a password); otherwise it is created NOLOGIN, and the DBA gives it a
/// password (`\password ROLE` in psql, which sends only a hash) or grants it to login roles.
/// No password ever goes through hub-admin.
///
/// Grants on tables are made on what exists: a later migration's tables are granted when
/// `hub-admin migrate` calls `grantAgain` for every recorded role.
public enum HubRoles {
    /// What a reporting role may read: the read models (row-level security keeps its
    /// regions' rows), the articulation view (`security_invoker`), the reference data (public
    /// data), and its own grants (`hub_processing_roles` too: every read of a read model asks
    /// it whether the reader processes, and row-level security shows a reporting role none of
    /// its rows). Every other table is refused to it; a test checks that every table and view
    /// of the schema is either here or in `notReadableByReporting`, so that a new table is a
    /// decision, not an accident.
    public static let readableByReporting: [String] = [
        "clsms", "ptsms", "ptsm_diagnostics", "sism_proposals", "sism_programmes", "qpv_actions", "clsm_activity_reports",
        "clsm_articulation",
        "ref_regions", "ref_departements", "ref_communes", "ref_qpvs", "ref_cls", "ref_asvs", "ref_sism_editions", "ref_sources",
        "ref_dispositifs", "ref_epcis", "ref_psychiatric_sectors", "ref_ptsm_territories", "hub_region_grants", "hub_processing_roles",
    ]

    /// The tables and views a reporting role may not read: the messaging infrastructure
    /// (payloads and records of every region, dead letters with what they quote), the
    /// processing's own bookkeeping, and the migrations.
    public static let notReadableByReporting: [String] = [
        "hub_inbox", "hub_event_log", "hub_outbox", "hub_outbox_relayed", "hub_outbox_parked", "hub_outbox_unsent",
        "hub_outbox_deliveries", "hub_dead_letters", "hub_state_version", "hub_schema_migrations", "hub_retention",
    ]

    /// The tables a workers' role reads but does not write: who may do what, and which
    /// migrations ran (which `hub-workers` checks at start-up).
    public static let readOnlyForWorkers: [String] = ["hub_schema_migrations", "hub_processing_roles", "hub_region_grants"]

    public enum Kind: String, Sendable, CaseIterable {
        case workers
        case reader
    }

    /// One role recorded in the schema, as `hub-admin roles list` shows it.
    public struct Entry: Sendable, Hashable {
        public var role: String
        public var kind: Kind
        /// A reporting role's regions, sorted; empty for a workers' role.
        public var regions: [String]
        /// False when the role was dropped from the cluster since it was recorded.
        public var exists: Bool
        public var canLogIn: Bool
    }

    /// What granting did, for the command's output.
    public struct Outcome: Sendable, Hashable {
        public var role: String
        /// True when the role did not exist and was created NOLOGIN.
        public var created: Bool
        /// True when the role may create objects in the schema anyway (through PUBLIC or a
        /// membership): `hub-admin roles` warns, since that is a right to run DDL.
        public var mayCreateInSchema: Bool
        public var schema: String
    }

    /// Makes `role` (created NOLOGIN when missing) a workers' role of the connection's schema.
    @discardableResult
    public static func grantWorkers(_ role: String, on connection: PostgresConnection) async throws -> Outcome {
        try await connection.transaction { connection in
            let created = try await createIfMissing(role, on: connection)
            let schema = try await currentSchema(on: connection)
            try await connection.execute("INSERT INTO hub_processing_roles (role) VALUES (\(role)) ON CONFLICT DO NOTHING")
            try await grantWorkersRights(role, schema: schema, on: connection)
            return Outcome(
                role: role, created: created, mayCreateInSchema: try await mayCreate(role, in: schema, on: connection),
                schema: schema)
        }
    }

    /// Makes `role` (created NOLOGIN when missing) a reporting role of the connection's
    /// schema for `regions`, added to those it had.
    @discardableResult
    public static func grantReader(_ role: String, regions: [String], on connection: PostgresConnection) async throws -> Outcome {
        try await connection.transaction { connection in
            let created = try await createIfMissing(role, on: connection)
            let schema = try await currentSchema(on: connection)
            try await connection.execute(
                """
                INSERT INTO hub_region_grants (role, region) SELECT \(role), unnest(\(regions)::text[])
                ON CONFLICT DO NOTHING
                """)
            try await grantReportingRights(role, schema: schema, on: connection)
            return Outcome(
                role: role, created: created, mayCreateInSchema: try await mayCreate(role, in: schema, on: connection),
                schema: schema)
        }
    }

    /// Takes every right of this schema from `role` and forgets it here (`regions` empty), or
    /// only takes those regions from a reporting role. The role itself is not dropped: it is
    /// the cluster's, and may serve other hubs. Returns whether the role was recorded here.
    @discardableResult
    public static func revoke(_ role: String, regions: [String] = [], on connection: PostgresConnection) async throws -> Bool {
        try await connection.transaction { connection in
            if !regions.isEmpty {
                return try await connection.execute(
                    "DELETE FROM hub_region_grants WHERE role = \(role) AND region = ANY(\(regions))") > 0
            }
            let forgotten =
                try await connection.execute("DELETE FROM hub_processing_roles WHERE role = \(role)")
                + connection.execute("DELETE FROM hub_region_grants WHERE role = \(role)")
            guard try await exists(role, on: connection) else { return forgotten > 0 }
            let schema = try await currentSchema(on: connection)
            try await connection.execute("REVOKE ALL ON ALL TABLES IN SCHEMA \(identifier: schema) FROM \(identifier: role)")
            try await connection.execute("REVOKE ALL ON ALL SEQUENCES IN SCHEMA \(identifier: schema) FROM \(identifier: role)")
            try await connection.execute("REVOKE ALL ON SCHEMA \(identifier: schema) FROM \(identifier: role)")
            return forgotten > 0
        }
    }

    /// The roles recorded in the connection's schema.
    public static func list(on connection: PostgresConnection) async throws -> [Entry] {
        let rows = try await connection.query(
            """
            SELECT g.role::text AS role, g.kind, g.regions, r.rolname IS NOT NULL AS exists, coalesce(r.rolcanlogin, false) AS login
              FROM (SELECT role, 'workers' AS kind, ARRAY[]::text[] AS regions FROM hub_processing_roles
                    UNION ALL
                    SELECT role, 'reader', array_agg(region ORDER BY region) FROM hub_region_grants GROUP BY role) g
              LEFT JOIN pg_roles r ON r.rolname = g.role
             ORDER BY g.kind DESC, g.role
            """)
        return try rows.map { row in
            let kindText = try row.decode(String.self, at: "kind")
            return Entry(
                role: try row.decode(String.self, at: "role"), kind: Kind(rawValue: kindText) ?? .reader,
                regions: try row.decode([String].self, at: "regions"), exists: try row.decode(Bool.self, at: "exists"),
                canLogIn: try row.decode(Bool.self, at: "login"))
        }
    }

    /// Grants again, to every recorded role that still exists, its rights on what the schema
    /// holds now: after a migration, so that its new tables are the workers' too (and readable
    /// by reporting roles when listed in `readableByReporting`). Returns the roles granted.
    @discardableResult
    public static func grantAgain(on connection: PostgresConnection) async throws -> [String] {
        try await connection.transaction { connection in
            let schema = try await currentSchema(on: connection)
            var granted: [String] = []
            for entry in try await list(on: connection) where entry.exists {
                switch entry.kind {
                case .workers: try await grantWorkersRights(entry.role, schema: schema, on: connection)
                case .reader: try await grantReportingRights(entry.role, schema: schema, on: connection)
                }
                granted.append(entry.role)
            }
            return granted
        }
    }

    /// The regions the connection's role may read, or nil when it reads every row (the owner,
    /// a superuser, a workers' role, or a schema without row-level security).
    public static func readableRegions(on connection: PostgresConnection) async throws -> [String]? {
        guard try await connection.query("SELECT row_security_active('clsms')").scalar(Bool.self) else { return nil }
        guard !(try await connection.query("SELECT hub_processes_every_region()").scalar(Bool.self)) else { return nil }
        return try await connection.query("SELECT array(SELECT DISTINCT hub_readable_regions() ORDER BY 1)").scalar([String].self)
    }

    // MARK: The grants

    private static func grantWorkersRights(_ role: String, schema: String, on connection: PostgresConnection) async throws {
        try await connection.execute("GRANT USAGE ON SCHEMA \(identifier: schema) TO \(identifier: role)")
        try await connection.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(identifier: schema) TO \(identifier: role)")
        try await connection.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA \(identifier: schema) TO \(identifier: role)")
        for table in readOnlyForWorkers {
            try await connection.execute(
                "REVOKE INSERT, UPDATE, DELETE ON \(identifier: schema).\(identifier: table) FROM \(identifier: role)")
        }
    }

    private static func grantReportingRights(_ role: String, schema: String, on connection: PostgresConnection) async throws {
        try await connection.execute("GRANT USAGE ON SCHEMA \(identifier: schema) TO \(identifier: role)")
        for table in readableByReporting {
            try await connection.execute("GRANT SELECT ON \(identifier: schema).\(identifier: table) TO \(identifier: role)")
        }
    }

    // MARK: Roles and the schema

    private static func createIfMissing(_ role: String, on connection: PostgresConnection) async throws -> Bool {
        guard !(try await exists(role, on: connection)) else { return false }
        do {
            try await connection.execute("CREATE ROLE \(identifier: role) NOLOGIN")
        } catch let error as PostgresError where error.sqlState == "42501" {
            throw PostgresError(
                .queryFailed, "cannot create role \(role): \(error.message)", sqlState: error.sqlState,
                hint: "the owner needs CREATEROLE to create it; or have a DBA run CREATE ROLE \(role) LOGIN, then run this again")
        }
        return true
    }

    private static func exists(_ role: String, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = \(role))").scalar(Bool.self)
    }

    private static func currentSchema(on connection: PostgresConnection) async throws -> String {
        guard let schema = try await connection.query("SELECT current_schema()::text").scalar(String?.self) else {
            throw PostgresError(.queryFailed, "no current schema: the search_path of HUB_DATABASE_URL names no existing schema")
        }
        return schema
    }

    private static func mayCreate(_ role: String, in schema: String, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT has_schema_privilege(\(role), \(schema), 'CREATE')").scalar(Bool.self)
    }
}
