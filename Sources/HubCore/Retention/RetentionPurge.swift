import HubPostgres

/// Deletes, older than a horizon, what the hub no longer needs (`RetentionTable`): run by
/// `hub-admin purge --older-than`, safe while hub-workers runs.
///
/// Each table is deleted in chunks of `chunkSize` rows, each chunk one statement and its own
/// transaction: the rows locked at a time are few and briefly held, and a purge stopped
/// midway has deleted whole chunks. The workers never touch the rows deleted (old inbox
/// identities, outbox rows behind the relay, old dead letters), so they are not blocked;
/// what is newer than the horizon, every outbox row not yet relayed and the relay's position
/// are never deleted.
///
/// The horizon is turned into a cutoff instant once, on PostgreSQL's clock (the one that
/// wrote the timestamps), and the same cutoff is used for every table.
public struct RetentionPurge: Sendable {
    public let horizon: RetentionHorizon
    /// At least 1 (a chunk of 0 rows would never end the loop).
    public let chunkSize: Int

    public static let defaultChunkSize = 10_000

    public init(horizon: RetentionHorizon, chunkSize: Int = Self.defaultChunkSize) {
        self.horizon = horizon
        self.chunkSize = max(1, chunkSize)
    }

    /// What the purge did (or, in a dry run, would do) to one table.
    public struct TableOutcome: Sendable, Hashable {
        public var table: RetentionTable
        /// Rows deleted, or in a dry run the rows that would be.
        public var rows: Int
        /// Chunks (statements) it took; 0 in a dry run.
        public var chunks: Int
        public var seconds: Double
    }

    public struct Report: Sendable, Hashable {
        /// The instant rows must be older than, as PostgreSQL writes a `timestamptz`.
        public var cutoff: String
        public var dryRun: Bool
        public var tables: [TableOutcome]
    }

    /// Deletes every deletable row older than the horizon, table after table, and records
    /// each table's cutoff in `hub_retention` first (replay rebuild reads it: a row older
    /// than it may be gone). With `dryRun`, only counts them and writes nothing.
    /// `onTable` is told of each table as it is done.
    public func run(
        dryRun: Bool, on connection: PostgresConnection,
        onTable: (TableOutcome) -> Void = { _ in }
    ) async throws -> Report {
        let cutoff = try await connection.query(
            "SELECT (now() - make_interval(mins => \(horizon.minutes)::integer))::text"
        ).scalar(String.self)
        let position = try await RelayPosition.read(on: connection)
        var report = Report(cutoff: cutoff, dryRun: dryRun, tables: [])
        for table in RetentionTable.allCases {
            let clock = ContinuousClock()
            let start = clock.now
            let condition = table.deletable(cutoff: cutoff, relayPosition: position)
            var outcome = TableOutcome(table: table, rows: 0, chunks: 0, seconds: 0)
            if dryRun {
                outcome.rows = try await connection.query("SELECT count(*) FROM \(identifier: table.name) WHERE \(condition)")
                    .scalar(Int.self)
            } else {
                try await Self.recordCutoff(cutoff, of: table, on: connection)
                (outcome.rows, outcome.chunks) = try await deleteInChunks(from: table, where: condition, on: connection)
            }
            outcome.seconds = (clock.now - start).inSeconds
            report.tables.append(outcome)
            onTable(outcome)
        }
        return report
    }

    /// Deletes the rows of `table` meeting `condition`, `chunkSize` at a time, until a chunk
    /// finds fewer. Rows are picked by `ctid`, so one plan serves every table; a row updated
    /// between the pick and the delete (a dead letter marked replayed) is skipped by this
    /// chunk and found by the next, the cutoff being fixed: the loop ends.
    private func deleteInChunks(
        from table: RetentionTable, where condition: PostgresQuery,
        on connection: PostgresConnection
    ) async throws -> (rows: Int, chunks: Int) {
        var rows = 0
        var chunks = 0
        while true {
            let deleted = try await connection.execute(
                """
                DELETE FROM \(identifier: table.name)
                 WHERE ctid = ANY (ARRAY(SELECT ctid FROM \(identifier: table.name) WHERE \(condition) LIMIT \(chunkSize)))
                """)
            rows += deleted
            chunks += 1
            if deleted < chunkSize { return (rows, chunks) }
        }
    }

    /// Notes in `hub_retention` that `table`'s rows older than `cutoff` may be gone, before
    /// any is deleted (a purge that stops midway has claimed more than it did, never less).
    /// A cutoff never moves back: an earlier purge with a shorter horizon has deleted more.
    static func recordCutoff(_ cutoff: String, of table: RetentionTable, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO hub_retention (table_name, purged_before) VALUES (\(table.name), \(cutoff)::timestamptz)
            ON CONFLICT (table_name) DO UPDATE
               SET purged_before = greatest(hub_retention.purged_before, excluded.purged_before), purged_at = now()
            """)
    }

    /// The cutoff recorded for `table` by the purges so far: its rows older than it may
    /// have been deleted. `nil` when it was never purged (or the schema predates retention).
    public static func purgedBefore(_ table: RetentionTable, on connection: PostgresConnection) async throws -> String? {
        try await connection.query(
            "SELECT purged_before::text FROM hub_retention WHERE table_name = \(table.name)"
        ).first?.decode(String.self, at: 0)
    }
}
