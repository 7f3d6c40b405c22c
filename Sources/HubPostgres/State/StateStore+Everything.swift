import HubDomain

extension StateStore {
    /// The whole stored state: every reference row, every record, every processed event.
    /// For checks and rebuilds (its size is the database's), not for processing.
    public func loadEverything(on connection: PostgresConnection) async throws -> HubState {
        var state = try await loadResident(on: connection)
        for record: QpvActionRecord in try await rows("SELECT record FROM qpv_actions", column: "record", on: connection) {
            state.qpvActions[record.id] = record
        }
        for row in try await connection.query("SELECT event_source, event_id FROM hub_inbox") {
            state.processedEvents.insert(EventIdentity(source: try row.decode(at: 0), id: try row.decode(at: 1)))
        }
        return state
    }

    /// A filter holding every identity in the inbox (`ResidentState.knowProcessedEvents`),
    /// sized for twice as many or a million, whichever is more. Read in pages along the
    /// primary key, so that a large inbox is never one result in memory.
    public func loadProcessedEventFilter(on connection: PostgresConnection, pageSize: Int = 50_000) async throws -> ProcessedEventFilter {
        let total = try await connection.query("SELECT count(*) FROM hub_inbox").scalar(Int.self)
        var filter = ProcessedEventFilter(capacity: max(1_000_000, 2 * total))
        var after: EventIdentity?
        while true {
            let page = try await connection.query(
                after == nil
                    ? "SELECT event_source, event_id FROM hub_inbox ORDER BY event_source, event_id LIMIT $1"
                    : """
                      SELECT event_source, event_id FROM hub_inbox WHERE (event_source, event_id) > ($2, $3)
                       ORDER BY event_source, event_id LIMIT $1
                      """,
                [.int(Int64(pageSize))] + (after.map { [.text($0.source), .text($0.id)] } ?? []))
            for row in page {
                let identity = EventIdentity(source: try row.decode(at: 0), id: try row.decode(at: 1))
                filter.insert(identity)
                after = identity
            }
            if page.count < pageSize { return filter }
        }
    }

    /// Every reference row and every record but the QPV actions: what a worker keeps in
    /// memory between batches (`ResidentState`).
    public func loadResident(on connection: PostgresConnection) async throws -> HubState {
        var state = try await loadReference(on: connection)
        for record: ClsmRecord in try await rows("SELECT record FROM clsms", column: "record", on: connection) {
            state.clsms[record.id] = record
        }
        for record: PtsmRecord in try await rows("SELECT record FROM ptsms", column: "record", on: connection) {
            state.ptsms[record.id] = record
        }
        for record: SismProposalRecord in try await rows("SELECT record FROM sism_proposals", column: "record", on: connection) {
            state.sismProposals[record.id] = record
        }
        for tally: SismProgrammeTally in try await rows("SELECT tally FROM sism_programmes", column: "tally", on: connection) {
            state.sismProgrammes[tally.id] = tally
        }
        return state
    }

    /// Every reference row, and nothing else: where a replay starts from.
    public func loadReference(on connection: PostgresConnection) async throws -> HubState {
        var state = HubState()
        for row: Region in try await rows("SELECT doc FROM ref_regions", on: connection) { state.reference.regions[row.code] = row }
        for row: Departement in try await rows("SELECT doc FROM ref_departements", on: connection) {
            state.reference.departements[row.code] = row
        }
        for row: Commune in try await rows("SELECT doc FROM ref_communes", on: connection) { state.reference.communes[row.code] = row }
        for row: Qpv in try await rows("SELECT doc FROM ref_qpvs", on: connection) { state.reference.qpvs[row.code] = row }
        for row: Cls in try await rows("SELECT doc FROM ref_cls", on: connection) { state.reference.cls[row.id] = row }
        for row: Asv in try await rows("SELECT doc FROM ref_asvs", on: connection) { state.reference.asvs[row.id] = row }
        for row: SismEdition in try await rows("SELECT doc FROM ref_sism_editions", on: connection) {
            state.reference.sismEditions[row.year] = row
        }
        return state
    }

    private func rows<T: Decodable>(_ sql: String, column: String = "doc", on connection: PostgresConnection) async throws -> [T] {
        try await connection.query(sql).map { try RecordCoding.decode(T.self, from: $0, column: column) }
    }
}
