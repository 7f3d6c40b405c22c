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

    /// A filter holding every identity of the inbox and of the event log
    /// (`ResidentState.knowProcessedEvents`).
    ///
    /// Both tables, because the inbox may be purged of identities older than the redelivery
    /// horizon (`hub-admin purge`) while the event log keeps every applied event: an applied
    /// event stays recognised through the log's `UNIQUE (event_source, event_id)`, and a
    /// filter without it would answer "certainly not" and let the event be applied twice. An
    /// identity in both is added once (`ProcessedEventFilter.insert`).
    ///
    /// Its first layer is sized for twice the larger table or a million, whichever is more;
    /// it grows past that as the worker processes more. Each table is read in pages along
    /// its unique index, so that a large one is never one result in memory.
    public func loadProcessedEventFilter(on connection: PostgresConnection, pageSize: Int = 50_000) async throws -> ProcessedEventFilter {
        let inbox = try await connection.query("SELECT count(*) FROM hub_inbox").scalar(Int.self)
        let log = try await connection.query("SELECT count(*) FROM hub_event_log").scalar(Int.self)
        var filter = ProcessedEventFilter(capacity: max(1_000_000, 2 * max(inbox, log)))
        for table in ["hub_inbox", "hub_event_log"] {
            try await addIdentities(of: table, to: &filter, pageSize: max(pageSize, 1), on: connection)
        }
        return filter
    }

    /// Adds the `(event_source, event_id)` of every row of `table` to `filter`, a page at a
    /// time in the order of its unique index.
    private func addIdentities(
        of table: String, to filter: inout ProcessedEventFilter, pageSize: Int,
        on connection: PostgresConnection
    ) async throws {
        var after: EventIdentity?
        while true {
            var query: PostgresQuery = "SELECT event_source, event_id FROM \(identifier: table)"
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
            if page.count < pageSize { return }
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
