import HubDomain

extension StateStore {
    /// The whole stored state: every reference row, every record, every processed event.
    /// For checks and rebuilds (its size is the database's), not for processing.
    public func loadEverything(on connection: PostgresConnection) async throws -> HubState {
        var state = HubState()
        for table in StateTables.all where table.putDocument != nil {
            try await loadAll(table, into: &state, on: connection)
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
            var query: PostgresQuery = "SELECT event_source, event_id FROM hub_inbox"
            if let after {
                query.append(" WHERE (event_source, event_id) > (\(after.source), \(after.id))")
            }
            query.append(" ORDER BY event_source, event_id LIMIT \(pageSize)")
            let page = try await connection.query(query)
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
        var state = HubState()
        for table in StateTables.all where table.isResident {
            try await loadAll(table, into: &state, on: connection)
        }
        return state
    }

    /// Every reference row, and nothing else: where a replay starts from.
    public func loadReference(on connection: PostgresConnection) async throws -> HubState {
        var state = HubState()
        for table in StateTables.all where table.source == .referenceImport {
            try await loadAll(table, into: &state, on: connection)
        }
        return state
    }

    /// Every row of `table`, put where `state` keeps it.
    private func loadAll(_ table: StateTable, into state: inout HubState, on connection: PostgresConnection) async throws {
        guard let put = table.putDocument else { preconditionFailure("\(table.name) is not part of HubState") }
        for row in try await connection.query(table.selectDocuments()) {
            try put(&state, try row.decode(String.self, at: 0))
        }
    }
}
