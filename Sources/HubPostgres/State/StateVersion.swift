import HubDomain

/// `hub_state_version`: a counter of the transactions that wrote the tables `ResidentState`
/// mirrors (triggers add one per writing transaction, migration 4). A worker that reads the
/// same version at the start of a batch as it left at the end of its previous one knows
/// nobody else wrote meanwhile, so the state it kept in memory is still the stored state.
package enum StateVersion {
    /// The version of the stored state, as this transaction sees it. Read it under the
    /// processing lock, so that no other worker writes until the transaction ends.
    package static func read(on connection: PostgresConnection) async throws -> Int64 {
        let rows = try await connection.query("SELECT version FROM hub_state_version")
        guard let row = rows.first else {
            throw PostgresError(.queryFailed, "hub_state_version has no row: was migration 4 applied?")
        }
        return try row.decode(Int64.self, at: 0)
    }

    /// Counts this transaction as a writer (once, whatever it wrote) and returns the version
    /// it leaves. Another writer's transaction committed meanwhile shows as a larger step
    /// than one; one still running waits on the row until this transaction ends.
    package static func markWritten(on connection: PostgresConnection) async throws -> Int64 {
        let rows = try await connection.query(
            """
            WITH bumped AS (
                UPDATE hub_state_version SET version = version + 1, writer_xact = txid_current()
                 WHERE writer_xact IS DISTINCT FROM txid_current()
                RETURNING version
            )
            SELECT version FROM bumped
            UNION ALL
            SELECT version FROM hub_state_version WHERE NOT EXISTS (SELECT FROM bumped)
            """)
        guard let row = rows.first else {
            throw PostgresError(.queryFailed, "hub_state_version has no row: was migration 4 applied?")
        }
        return try row.decode(Int64.self, at: 0)
    }
}
