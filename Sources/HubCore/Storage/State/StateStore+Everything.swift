extension StateStore {
    /// The whole stored state: every reference row, every record, every processed event.
    /// For checks and rebuilds (its size is the database's), not for processing.
    public func loadEverything(on connection: PostgresConnection) async throws -> HubState {
        var state = try await loadReference(on: connection)
        func rows<T: Decodable>(_ sql: String, column: String = "doc") async throws -> [T] {
            try await connection.query(sql).map { try RecordCoding.decode(T.self, from: $0, column: column) }
        }
        for record: ClsmRecord in try await rows("SELECT record FROM clsms", column: "record") { state.clsms[record.id] = record }
        for record: PtsmRecord in try await rows("SELECT record FROM ptsms", column: "record") { state.ptsms[record.id] = record }
        for record: SismProposalRecord in try await rows("SELECT record FROM sism_proposals", column: "record") {
            state.sismProposals[record.id] = record
        }
        for tally: SismProgrammeTally in try await rows("SELECT tally FROM sism_programmes", column: "tally") {
            state.sismProgrammes[tally.id] = tally
        }
        for record: QpvActionRecord in try await rows("SELECT record FROM qpv_actions", column: "record") {
            state.qpvActions[record.id] = record
        }
        for row in try await connection.query("SELECT event_source, event_id FROM hub_inbox") {
            state.processedEvents.insert(EventIdentity(source: try row.decode(at: 0), id: try row.decode(at: 1)))
        }
        return state
    }

    /// Every reference row, and nothing else: where a replay starts from.
    public func loadReference(on connection: PostgresConnection) async throws -> HubState {
        var state = HubState()
        func rows<T: Decodable>(_ sql: String, column: String = "doc") async throws -> [T] {
            try await connection.query(sql).map { try RecordCoding.decode(T.self, from: $0, column: column) }
        }
        for row: Region in try await rows("SELECT doc FROM ref_regions") { state.reference.regions[row.code] = row }
        for row: Departement in try await rows("SELECT doc FROM ref_departements") { state.reference.departements[row.code] = row }
        for row: Commune in try await rows("SELECT doc FROM ref_communes") { state.reference.communes[row.code] = row }
        for row: Qpv in try await rows("SELECT doc FROM ref_qpvs") { state.reference.qpvs[row.code] = row }
        for row: Cls in try await rows("SELECT doc FROM ref_cls") { state.reference.cls[row.id] = row }
        for row: Asv in try await rows("SELECT doc FROM ref_asvs") { state.reference.asvs[row.id] = row }
        for row: SismEdition in try await rows("SELECT doc FROM ref_sism_editions") { state.reference.sismEditions[row.year] = row }
        return state
    }
}
