import Foundation
import HubDomain

/// Loads slices of `HubState` from PostgreSQL and stores what the rules changed.
///
/// `load(_:)` is the SQL mirror of `HubState.slice(_:)`: for any requirements it returns at
/// least that slice of the stored state (a few extra rows do no harm, see
/// `StateRequirements`). Run it, the rules and `store(_:)` in one transaction.
public struct StateStore: Sendable {
    /// Shared by the copies of this store: the rows of one batch's neighbourhood are mostly
    /// the previous batch's, and decoding their JSON again was most of a load.
    private let memo = DecodedRecordMemo()

    public init() {}

    // MARK: Loading

    public func load(_ requirements: StateRequirements, on connection: PostgresConnection) async throws -> HubState {
        var state = try await loadNonResident(requirements, on: connection)

        // QPVs first: their communes widen the neighbourhood of the other queries.
        let qpvTable = StateTables.qpvs.table
        let qpvs = try await documents(
            StateTables.qpvs,
            where: """
                \(qpvTable["code"]) = ANY(\(Array(requirements.qpvSurroundings))) OR \(qpvTable["communes"]) && \(Array(requirements.communeSurroundings))
                """, on: connection)
        for qpv in qpvs { state.reference.qpvs[qpv.code] = qpv }
        // With the codes that meet them (a QPV coded 75118 is on a CLS of 75056).
        let qpvCommunes = MunicipalArrondissements.related(
            qpvs.filter { requirements.qpvSurroundings.contains($0.code) }.flatMap(\.communes))
        let neighbourhood = requirements.communeSurroundings.union(qpvCommunes)

        let communes = try await documents(
            StateTables.communes,
            where: "\(StateTables.communes.table["code"]) = ANY(\(Array(requirements.communes.union(neighbourhood))))",
            on: connection)
        for commune in communes { state.reference.communes[commune.code] = commune }
        let communeDepartements = Set(communes.map(\.departement))

        let departements = try await documents(
            StateTables.departements,
            where: "\(StateTables.departements.table["code"]) = ANY(\(Array(requirements.departements.union(communeDepartements))))",
            on: connection)
        for departement in departements { state.reference.departements[departement.code] = departement }

        let regions = try await documents(
            StateTables.regions, where: "\(StateTables.regions.table["code"]) = ANY(\(Array(requirements.regions)))", on: connection)
        for region in regions { state.reference.regions[region.code] = region }

        let editions = try await documents(
            StateTables.sismEditions,
            where:
                "\(StateTables.sismEditions.table["year"]) = ANY(\(PostgresValue.intArray(requirements.sismEditions.map { Int64($0) })))",
            on: connection)
        for edition in editions { state.reference.sismEditions[edition.year] = edition }

        let sources = try await documents(
            StateTables.sources, where: "\(StateTables.sources.table["source"]) = ANY(\(Array(requirements.sources)))", on: connection)
        for source in sources { state.reference.sources[source.source] = source }
        state.reference.someSourceRegistered = try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM \(StateTables.sources.table))"
        ).scalar(Bool.self)

        let clsTable = StateTables.cls.table
        let cls = try await documents(
            StateTables.cls,
            where: "\(clsTable["id"]) = ANY(\(Array(requirements.cls))) OR \(clsTable["communes"]) && \(Array(neighbourhood))",
            on: connection)
        for row in cls { state.reference.cls[row.id] = row }

        let asvTable = StateTables.asvs.table
        let asvs = try await documents(
            StateTables.asvs, where: "\(asvTable["id"]) = ANY(\(Array(requirements.asvs))) OR \(asvTable["qpvs"]) && \(qpvs.map(\.code))",
            on: connection)
        for asv in asvs { state.reference.asvs[asv.id] = asv }

        let clsmTable = StateTables.clsms.table
        let clsms = try await documents(
            StateTables.clsms,
            where: """
                \(clsmTable["id"]) = ANY(\(Array(requirements.clsms))) OR \(clsmTable["communes"]) && \(Array(requirements.communeSurroundings))
                   OR \(clsmTable["departements"]) && \(Array(requirements.clsmsInDepartements))
                """, on: connection)
        for record in clsms { state.clsms[record.id] = record }

        let surroundingDepartements = Set(communes.filter { requirements.communeSurroundings.contains($0.code) }.map(\.departement))
        let ptsmTable = StateTables.ptsms.table
        let ptsms = try await documents(
            StateTables.ptsms,
            where: """
                \(ptsmTable["id"]) = ANY(\(Array(requirements.ptsms))) OR \(ptsmTable["departements"]) && \(Array(surroundingDepartements))
                """, on: connection)
        for record in ptsms { state.ptsms[record.id] = record }

        let schedules = Array(requirements.sismSchedules)
        let proposalTable = StateTables.sismProposals.table
        let proposals = try await documents(
            StateTables.sismProposals,
            where: """
                \(proposalTable["id"]) = ANY(\(Array(requirements.sismProposals)))
                   OR (\(proposalTable["edition"]), \(proposalTable["commune"]))
                      IN (SELECT * FROM unnest(\(PostgresValue.intArray(schedules.map { Int64($0.edition) }))::integer[], \(schedules.map(\.commune))::text[]))
                """, on: connection)
        for record in proposals { state.sismProposals[record.id] = record }

        // The programme of each named proposal's stored record, and of each (edition, CLSM).
        let programmes = Array(requirements.sismProgrammes)
        let programmeTable = StateTables.sismProgrammes.table
        let tallies = try await documents(
            StateTables.sismProgrammes,
            where: """
                (\(programmeTable["edition"]), \(programmeTable["region"]))
                    IN (SELECT \(proposalTable["edition"]), \(proposalTable["region"]) FROM \(proposalTable)
                         WHERE \(proposalTable["id"]) = ANY(\(Array(requirements.sismProposals))))
                 OR (\(programmeTable["edition"]), \(programmeTable["region"]))
                    IN (SELECT k.edition, c.\(clsmTable["region"])
                          FROM unnest(\(PostgresValue.intArray(programmes.map { Int64($0.edition) }))::integer[], \(programmes.map(\.clsmId))::text[]) AS k(edition, clsm_id)
                          JOIN \(clsmTable) c ON c.\(clsmTable["id"]) = k.clsm_id)
                """, on: connection)
        for tally in tallies { state.sismProgrammes[tally.id] = tally }

        if !requirements.activityReports.isEmpty {
            let keys = requirements.activityReports.sorted()
            let reportTable = StateTables.activityReports.table
            let reports = try await documents(
                StateTables.activityReports,
                where: """
                    (\(reportTable["clsm_id"]), \(reportTable["year"]))
                        IN (SELECT * FROM unnest(\(keys.map(\.clsmId))::text[], \(PostgresValue.intArray(keys.map { Int64($0.year) }))::integer[]))
                    """, on: connection)
            for record in reports { state.activityReports[record.id] = record }
        }

        return state
    }

    /// The part of the slice that `ResidentState` does not hold: the processed events and
    /// the QPV actions that `requirements` names (both read by key).
    public func loadNonResident(_ requirements: StateRequirements, on connection: PostgresConnection) async throws -> HubState {
        var state = HubState()
        state.processedEvents = try await processedEvents(requirements.events, on: connection)
        if !requirements.qpvActions.isEmpty {
            // Not through the memo: QPV actions grow with the stream and a batch reads only
            // the few it names, rarely the same ones again, so remembering them only filled
            // the memo (the soak's steady RSS rise, BENCHMARKS.md).
            let actions = try await documents(
                StateTables.qpvActions, where: "\(StateTables.qpvActions.table["id"]) = ANY(\(Array(requirements.qpvActions)))",
                on: connection, remembering: false)
            for record in actions { state.qpvActions[record.id] = record }
        }
        return state
    }

    /// Which of `events` were processed: those in the inbox and those in the event log.
    /// `hub-admin purge` deletes inbox identities older than its horizon, never the event
    /// log, which holds every event applied or stale: an event applied before the horizon and
    /// redelivered after it is still found here, and takes no effect. The event log is read
    /// only for the identities the inbox lacks (the second EXISTS is evaluated only when the
    /// first fails), through its unique (event_source, event_id) index.
    private func processedEvents(_ events: Set<EventIdentity>, on connection: PostgresConnection) async throws -> Set<EventIdentity> {
        guard !events.isEmpty else { return [] }
        let list = Array(events)
        let rows = try await connection.query(
            """
            SELECT k.source, k.id FROM unnest(\(list.map(\.source))::text[], \(list.map(\.id))::text[]) AS k(source, id)
             WHERE EXISTS (SELECT FROM hub_inbox i WHERE i.event_source = k.source AND i.event_id = k.id)
                OR EXISTS (SELECT FROM hub_event_log l WHERE l.event_source = k.source AND l.event_id = k.id)
            """)
        return Set(try rows.map { EventIdentity(source: try $0.decode(at: 0), id: try $0.decode(at: 1)) })
    }

    /// The documents of `table`'s rows that meet `condition`, decoded through the memo when
    /// `remembering` (rows that most segments read again: reference rows, CLSMs, PTSMs,
    /// proposals), else decoded each time.
    private func documents<Row, Document>(
        _ table: StoredTable<Row, Document>, where condition: PostgresQuery,
        on connection: PostgresConnection, remembering: Bool = true
    ) async throws -> [Document] {
        let column = table.table.document.name
        return try await connection.query(table.table.selectDocuments(where: condition)).map {
            remembering
                ? try RecordCoding.decode(Document.self, from: $0, column: column, memo: memo)
                : try RecordCoding.decode(Document.self, from: $0, column: column)
        }
    }
}
