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
        let qpvs: [Qpv] = try await documents(
            "SELECT doc FROM ref_qpvs WHERE code = ANY($1) OR communes && $2",
            [.textArray(Array(requirements.qpvSurroundings)), .textArray(Array(requirements.communeSurroundings))],
            on: connection)
        for qpv in qpvs { state.reference.qpvs[qpv.code] = qpv }
        let qpvCommunes = qpvs.filter { requirements.qpvSurroundings.contains($0.code) }.flatMap(\.communes)
        let neighbourhood = requirements.communeSurroundings.union(qpvCommunes)

        let communes: [Commune] = try await documents(
            "SELECT doc FROM ref_communes WHERE code = ANY($1)",
            [.textArray(Array(requirements.communes.union(neighbourhood)))], on: connection)
        for commune in communes { state.reference.communes[commune.code] = commune }
        let communeDepartements = Set(communes.map(\.departement))

        let departements: [Departement] = try await documents(
            "SELECT doc FROM ref_departements WHERE code = ANY($1)",
            [.textArray(Array(requirements.departements.union(communeDepartements)))], on: connection)
        for departement in departements { state.reference.departements[departement.code] = departement }

        let regions: [Region] = try await documents(
            "SELECT doc FROM ref_regions WHERE code = ANY($1)", [.textArray(Array(requirements.regions))], on: connection)
        for region in regions { state.reference.regions[region.code] = region }

        let editions: [SismEdition] = try await documents(
            "SELECT doc FROM ref_sism_editions WHERE year = ANY($1)",
            [.intArray(requirements.sismEditions.map { Int64($0) })], on: connection)
        for edition in editions { state.reference.sismEditions[edition.year] = edition }

        let cls: [Cls] = try await documents(
            "SELECT doc FROM ref_cls WHERE id = ANY($1) OR communes && $2",
            [.textArray(Array(requirements.cls)), .textArray(Array(neighbourhood))], on: connection)
        for row in cls { state.reference.cls[row.id] = row }

        let asvs: [Asv] = try await documents(
            "SELECT doc FROM ref_asvs WHERE id = ANY($1) OR qpvs && $2",
            [.textArray(Array(requirements.asvs)), .textArray(qpvs.map(\.code))], on: connection)
        for asv in asvs { state.reference.asvs[asv.id] = asv }

        let clsms: [ClsmRecord] = try await records(
            "SELECT record FROM clsms WHERE id = ANY($1) OR communes && $2 OR departements && $3",
            [.textArray(Array(requirements.clsms)), .textArray(Array(requirements.communeSurroundings)),
             .textArray(Array(requirements.clsmsInDepartements))], on: connection)
        for record in clsms { state.clsms[record.id] = record }

        let surroundingDepartements = Set(communes.filter { requirements.communeSurroundings.contains($0.code) }.map(\.departement))
        let ptsms: [PtsmRecord] = try await records(
            "SELECT record FROM ptsms WHERE id = ANY($1) OR departements && $2",
            [.textArray(Array(requirements.ptsms)), .textArray(Array(surroundingDepartements))], on: connection)
        for record in ptsms { state.ptsms[record.id] = record }

        let schedules = Array(requirements.sismSchedules)
        let proposals: [SismProposalRecord] = try await records("""
            SELECT record FROM sism_proposals
             WHERE id = ANY($1) OR (edition, commune) IN (SELECT * FROM unnest($2::integer[], $3::text[]))
            """,
            [.textArray(Array(requirements.sismProposals)),
             .intArray(schedules.map { Int64($0.edition) }), .textArray(schedules.map(\.commune))], on: connection)
        for record in proposals { state.sismProposals[record.id] = record }

        // The programme of each named proposal's stored record, and of each (edition, CLSM).
        let programmes = Array(requirements.sismProgrammes)
        let tallies: [SismProgrammeTally] = try await documents("""
            SELECT tally AS doc FROM sism_programmes
             WHERE (edition, region) IN (SELECT edition, region FROM sism_proposals WHERE id = ANY($1))
                OR (edition, region) IN (SELECT k.edition, c.region FROM unnest($2::integer[], $3::text[]) AS k(edition, clsm_id)
                                           JOIN clsms c ON c.id = k.clsm_id)
            """,
            [.textArray(Array(requirements.sismProposals)),
             .intArray(programmes.map { Int64($0.edition) }), .textArray(programmes.map(\.clsmId))], on: connection)
        for tally in tallies { state.sismProgrammes[tally.id] = tally }

        return state
    }

    /// The part of the slice that `ResidentState` does not hold: the processed events and
    /// the QPV actions that `requirements` names (both read by key).
    public func loadNonResident(_ requirements: StateRequirements, on connection: PostgresConnection) async throws -> HubState {
        var state = HubState()
        state.processedEvents = try await processedEvents(requirements.events, on: connection)
        if !requirements.qpvActions.isEmpty {
            let actions: [QpvActionRecord] = try await records(
                "SELECT record FROM qpv_actions WHERE id = ANY($1)", [.textArray(Array(requirements.qpvActions))], on: connection)
            for record in actions { state.qpvActions[record.id] = record }
        }
        return state
    }

    private func processedEvents(_ events: Set<EventIdentity>, on connection: PostgresConnection) async throws -> Set<EventIdentity> {
        guard !events.isEmpty else { return [] }
        let list = Array(events)
        let rows = try await connection.query("""
            SELECT i.event_source, i.event_id FROM hub_inbox i
              JOIN unnest($1::text[], $2::text[]) AS k(source, id) ON i.event_source = k.source AND i.event_id = k.id
            """, [.textArray(list.map(\.source)), .textArray(list.map(\.id))])
        return Set(try rows.map { EventIdentity(source: try $0.decode(at: 0), id: try $0.decode(at: 1)) })
    }

    private func documents<T: Decodable & Sendable>(_ sql: String, _ parameters: [PostgresValue], on connection: PostgresConnection) async throws -> [T] {
        try await connection.query(sql, parameters).map { try RecordCoding.decode(T.self, from: $0, column: "doc", memo: memo) }
    }

    private func records<T: Decodable & Sendable>(_ sql: String, _ parameters: [PostgresValue], on connection: PostgresConnection) async throws -> [T] {
        try await connection.query(sql, parameters).map { try RecordCoding.decode(T.self, from: $0, column: "record", memo: memo) }
    }
}
