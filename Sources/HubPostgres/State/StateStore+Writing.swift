import HubDomain

extension StateStore {
    /// Writes every row `changes` touched, as it stands in `state`.
    public func store(_ changes: StateChangeSet, from state: HubState, on connection: PostgresConnection) async throws {
        for document in changes.referenceImports {
            try await importReference(document, on: connection)
        }
        try await write(changes.clsms.sorted().compactMap { state.clsms[$0] }, into: StateTables.clsms, on: connection)
        try await write(changes.ptsms.sorted().compactMap { state.ptsms[$0] }, into: StateTables.ptsms, on: connection)
        try await write(changes.ptsmVersions, into: StateTables.ptsmDiagnostics, on: connection)
        try await write(
            changes.sismProposals.sorted().compactMap { state.sismProposals[$0] }, into: StateTables.sismProposals,
            on: connection)
        try await write(
            changes.sismProgrammes.sorted().compactMap { state.sismProgrammes[$0] }, into: StateTables.sismProgrammes,
            on: connection)
        // A programme left with no proposal has no tally (see `HubState.apply`).
        let emptied = changes.sismProgrammes.filter { state.sismProgrammes[$0] == nil }.sorted()
        if !emptied.isEmpty {
            let programmes = StateTables.sismProgrammes.table
            try await connection.execute(
                """
                DELETE FROM \(programmes) WHERE (\(programmes["edition"]), \(programmes["region"]))
                    IN (SELECT * FROM unnest(\(PostgresValue.intArray(emptied.map { Int64($0.edition) }))::integer[], \(emptied.map(\.region))::text[]))
                """)
        }
        try await write(changes.qpvActions.sorted().compactMap { state.qpvActions[$0] }, into: StateTables.qpvActions, on: connection)
        try await write(
            changes.activityReports.sorted().compactMap { state.activityReports[$0] }, into: StateTables.activityReports,
            on: connection)
        let clsms = StateTables.clsms.table
        for overlap in changes.overlapsByKey {
            let communes = try RecordCoding.encode(overlap.communes.sorted())
            try await connection.execute(
                """
                UPDATE \(clsms)
                   SET \(clsms.document) = jsonb_set(\(clsms.document), ARRAY['articulation', 'overlaps', \(overlap.otherClsmId)], \(communes)::jsonb),
                       updated_at = now()
                 WHERE \(clsms["id"]) = \(overlap.clsmId)
                """)
        }
        let proposals = StateTables.sismProposals.table
        for clash in changes.clashesByKey {
            let clashes = "coalesce(\(proposals.document) -> 'notifiedClashes', '[]'::jsonb)" as PostgresQuery
            try await connection.execute(
                """
                UPDATE \(proposals)
                   SET \(proposals.document) = jsonb_set(\(proposals.document), '{notifiedClashes}', \(clashes) || to_jsonb(\(clash.otherProposalId)::text)),
                       updated_at = now()
                 WHERE \(proposals["id"]) = \(clash.proposalId) AND NOT \(clashes) ? \(clash.otherProposalId)::text
                """)
        }
    }

    /// Upserts reference data: rows named in `document` are inserted or replaced, others kept.
    public func importReference(_ document: ReferenceDataDocument, on connection: PostgresConnection) async throws {
        try await write(document.regions, into: StateTables.regions, on: connection)
        try await write(document.departements, into: StateTables.departements, on: connection)
        try await write(document.communes, into: StateTables.communes, on: connection)
        try await write(document.qpvs, into: StateTables.qpvs, on: connection)
        try await write(document.cls, into: StateTables.cls, on: connection)
        try await write(document.asvs, into: StateTables.asvs, on: connection)
        try await write(document.sismEditions, into: StateTables.sismEditions, on: connection)
        try await write(document.dispositifs, into: StateTables.dispositifs, on: connection)
        try await write(document.epcis, into: StateTables.epcis, on: connection)
        try await write(document.psychiatricSectors, into: StateTables.psychiatricSectors, on: connection)
        try await write(document.ptsmTerritories, into: StateTables.ptsmTerritories, on: connection)
        try await write(document.sources, into: StateTables.sources, on: connection)
    }

    /// `INSERT` of `rows` into `table`'s written columns; a row whose key is stored replaces
    /// it (`updated_at` set to now where the table has one) or, for history, keeps it.
    private func write<Row, Document>(
        _ rows: [Row], into table: StoredTable<Row, Document>,
        on connection: PostgresConnection
    ) async throws {
        guard !rows.isEmpty else { return }
        try await connection.insert(
            into: table.table.name, columns: table.table.writtenColumns.map(\.name),
            rows: try rows.map(table.values(of:)), suffix: table.table.conflictClause)
    }
}
