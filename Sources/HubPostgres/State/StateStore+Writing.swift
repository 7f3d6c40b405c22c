import HubDomain

extension StateStore {
    /// Writes every row `changes` touched, as it stands in `state`.
    public func store(_ changes: StateChangeSet, from state: HubState, on connection: PostgresConnection) async throws {
        for document in changes.referenceImports {
            try await importReference(document, on: connection)
        }
        try await upsert(
            "clsms", columns: ["id", "region", "status", "communes", "departements", "record"],
            rows: try changes.clsms.sorted().compactMap { state.clsms[$0] }.map { record in
                [.text(record.id), .text(record.declaration.region), .text(record.declaration.status.rawValue),
                 .textArray(record.declaration.communes), .textArray(record.departements.sorted()),
                 try RecordCoding.encode(record)]
            }, on: connection)
        try await upsert(
            "ptsms", columns: ["id", "region", "version", "departements", "record"],
            rows: try changes.ptsms.sorted().compactMap { state.ptsms[$0] }.map { record in
                [.text(record.id), .text(record.diagnostic.region), .int(Int64(record.diagnostic.version)),
                 .textArray(record.departements.sorted()), try RecordCoding.encode(record)]
            }, on: connection)
        if !changes.ptsmVersions.isEmpty {
            try await connection.insert(
                into: "ptsm_diagnostics", columns: ["ptsm_id", "version", "event_source", "event_id", "diagnostic"],
                rows: try changes.ptsmVersions.map { entry in
                    [.text(entry.record.id), .int(Int64(entry.record.diagnostic.version)), .text(entry.event.source),
                     .text(entry.event.id), try RecordCoding.encode(entry.record.diagnostic)]
                },
                suffix: "ON CONFLICT (ptsm_id, version) DO NOTHING")
        }
        try await upsert(
            "sism_proposals", columns: ["id", "clsm_id", "edition", "commune", "region", "accepted", "cancelled", "record"],
            rows: try changes.sismProposals.sorted().compactMap { state.sismProposals[$0] }.map { record in
                [.text(record.id), .text(record.proposal.clsmId), .int(Int64(record.proposal.edition)),
                 .text(record.proposal.commune), .text(record.region), .bool(record.isAccepted),
                 .bool(record.proposal.isCancelled), try RecordCoding.encode(record)]
            }, on: connection)
        try await upsert(
            "sism_programmes", key: ["edition", "region"], columns: ["edition", "region", "tally"],
            rows: try changes.sismProgrammes.sorted().compactMap { state.sismProgrammes[$0] }.map { tally in
                [.int(Int64(tally.edition)), .text(tally.region), try RecordCoding.encode(tally)]
            }, on: connection)
        // A programme left with no proposal has no tally (see `HubState.apply`).
        let emptied = changes.sismProgrammes.filter { state.sismProgrammes[$0] == nil }.sorted()
        if !emptied.isEmpty {
            try await connection.execute(
                "DELETE FROM sism_programmes WHERE (edition, region) IN (SELECT * FROM unnest($1::integer[], $2::text[]))",
                [.intArray(emptied.map { Int64($0.edition) }), .textArray(emptied.map(\.region))])
        }
        try await upsert(
            "qpv_actions", columns: ["id", "qpv", "record"],
            rows: try changes.qpvActions.sorted().compactMap { state.qpvActions[$0] }.map { record in
                [.text(record.id), .text(record.action.qpv), try RecordCoding.encode(record)]
            }, on: connection)
        for overlap in changes.overlapsByKey {
            try await connection.execute(
                "UPDATE clsms SET record = jsonb_set(record, ARRAY['articulation', 'overlaps', $2], $3::jsonb), updated_at = now() WHERE id = $1",
                [.text(overlap.clsmId), .text(overlap.otherClsmId), try RecordCoding.encode(overlap.communes.sorted())])
        }
        for clash in changes.clashesByKey {
            try await connection.execute("""
                UPDATE sism_proposals
                   SET record = jsonb_set(record, '{notifiedClashes}', coalesce(record -> 'notifiedClashes', '[]'::jsonb) || to_jsonb($2::text)),
                       updated_at = now()
                 WHERE id = $1 AND NOT coalesce(record -> 'notifiedClashes', '[]'::jsonb) ? $2
                """, [.text(clash.proposalId), .text(clash.otherProposalId)])
        }
    }

    /// Upserts reference data: rows named in `document` are inserted or replaced, others kept.
    public func importReference(_ document: ReferenceDataDocument, on connection: PostgresConnection) async throws {
        try await upsert("ref_regions", key: ["code"], columns: ["code", "doc"],
                         rows: try document.regions.map { [.text($0.code), try RecordCoding.encode($0)] }, on: connection)
        try await upsert("ref_departements", key: ["code"], columns: ["code", "region", "doc"],
                         rows: try document.departements.map { [.text($0.code), .text($0.region), try RecordCoding.encode($0)] },
                         on: connection)
        try await upsert("ref_communes", key: ["code"], columns: ["code", "departement", "doc"],
                         rows: try document.communes.map { [.text($0.code), .text($0.departement), try RecordCoding.encode($0)] },
                         on: connection)
        try await upsert("ref_qpvs", key: ["code"], columns: ["code", "communes", "doc"],
                         rows: try document.qpvs.map { [.text($0.code), .textArray($0.communes), try RecordCoding.encode($0)] },
                         on: connection)
        try await upsert("ref_cls", key: ["id"], columns: ["id", "region", "communes", "doc"],
                         rows: try document.cls.map { [.text($0.id), .text($0.region), .textArray($0.communes), try RecordCoding.encode($0)] },
                         on: connection)
        try await upsert("ref_asvs", key: ["id"], columns: ["id", "qpvs", "doc"],
                         rows: try document.asvs.map { [.text($0.id), .textArray($0.qpvs), try RecordCoding.encode($0)] },
                         on: connection)
        try await upsert("ref_sism_editions", key: ["year"], columns: ["year", "doc"],
                         rows: try document.sismEditions.map { [.int(Int64($0.year)), try RecordCoding.encode($0)] },
                         on: connection)
    }

    /// `INSERT … ON CONFLICT (key) DO UPDATE` of every other column (and `updated_at` where
    /// the table has one).
    private func upsert(_ table: String, key: [String] = ["id"], columns: [String], rows: [[PostgresValue]],
                        on connection: PostgresConnection) async throws {
        guard !rows.isEmpty else { return }
        var assignments = columns.filter { !key.contains($0) }.map { "\($0) = EXCLUDED.\($0)" }
        if !table.hasPrefix("ref_") { assignments.append("updated_at = now()") }
        try await connection.insert(into: table, columns: columns, rows: rows,
                                    suffix: "ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET " + assignments.joined(separator: ", "))
    }
}
