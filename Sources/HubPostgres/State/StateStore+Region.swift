import HubDomain

/// What a regional report reads from PostgreSQL.
public struct RegionReportScope: Sendable, Hashable {
    public var region: String
    /// The SISM edition whose proposals to load (none when the report needs no programme).
    public var sismEdition: Int?
    /// Whether to load the QPV actions recorded in the region's QPVs.
    public var qpvActions: Bool

    public init(region: String, sismEdition: Int? = nil, qpvActions: Bool = false) {
        self.region = region
        self.sismEdition = sismEdition
        self.qpvActions = qpvActions
    }
}

extension StateStore {
    /// The slice of the stored state a report on one region reads, or nil when the region is
    /// not in the reference data.
    ///
    /// `loadEverything` would also do, but it reads every row of the country and every
    /// processed event identity (`hub_inbox`, millions of rows after a year); a region is a
    /// few hundred rows found by the indexed columns. The report builders filter by region
    /// themselves, so they give the same answer on this slice as on the whole state
    /// (ReportCommandTests checks that).
    ///
    /// Loaded: the region, its départements and communes; the CLSMs declared in the region
    /// or on one of its communes, and the communes and départements they cover elsewhere;
    /// the QPVs, CLS and PTSMs on all those communes and départements, and the ASVs serving
    /// those QPVs; every SISM edition; the proposals of `sismEdition` in the region's
    /// programme; the actions recorded in the loaded QPVs.
    public func loadRegion(_ scope: RegionReportScope, on connection: PostgresConnection) async throws -> HubState? {
        let regions: [Region] = try await regionDocuments(
            "SELECT doc FROM ref_regions WHERE code = $1", [.text(scope.region)], on: connection)
        guard let region = regions.first else { return nil }
        var state = HubState()
        state.reference.regions[region.code] = region

        var departementCodes: Set<String> = []
        for row: Departement in try await regionDocuments(
            "SELECT doc FROM ref_departements WHERE region = $1", [.text(region.code)], on: connection)
        {
            state.reference.departements[row.code] = row
            departementCodes.insert(row.code)
        }
        for row: Commune in try await regionDocuments(
            "SELECT doc FROM ref_communes WHERE departement = ANY($1)", [.textArray(departementCodes.sorted())], on: connection)
        {
            state.reference.communes[row.code] = row
        }
        let regionCommunes = Set(state.reference.communes.keys)

        let clsms: [ClsmRecord] = try await regionDocuments(
            "SELECT record AS doc FROM clsms WHERE region = $1 OR communes && $2",
            [.text(region.code), .textArray(regionCommunes.sorted())], on: connection)
        for record in clsms { state.clsms[record.id] = record }

        // A CLSM may reach over the regional boundary: its other communes carry QPVs, CLS and
        // PTSMs it articulates with.
        let outside = Set(clsms.flatMap(\.declaration.communes)).subtracting(regionCommunes)
        if !outside.isEmpty {
            for row: Commune in try await regionDocuments(
                "SELECT doc FROM ref_communes WHERE code = ANY($1)", [.textArray(outside.sorted())], on: connection)
            {
                state.reference.communes[row.code] = row
            }
            let otherDepartements = Set(state.reference.communes.values.map(\.departement)).subtracting(departementCodes)
            for row: Departement in try await regionDocuments(
                "SELECT doc FROM ref_departements WHERE code = ANY($1)", [.textArray(otherDepartements.sorted())], on: connection)
            {
                state.reference.departements[row.code] = row
            }
        }
        let communes = Set(state.reference.communes.keys)
        let departements = Set(state.reference.departements.keys).union(clsms.flatMap(\.departements))

        for row: Qpv in try await regionDocuments(
            "SELECT doc FROM ref_qpvs WHERE communes && $1", [.textArray(communes.sorted())], on: connection)
        {
            state.reference.qpvs[row.code] = row
        }
        let qpvs = state.reference.qpvs.keys.sorted()
        for row: Cls in try await regionDocuments(
            "SELECT doc FROM ref_cls WHERE region = $1 OR communes && $2",
            [.text(region.code), .textArray(communes.sorted())], on: connection)
        {
            state.reference.cls[row.id] = row
        }
        for row: Asv in try await regionDocuments("SELECT doc FROM ref_asvs WHERE qpvs && $1", [.textArray(qpvs)], on: connection) {
            state.reference.asvs[row.id] = row
        }
        for row: SismEdition in try await regionDocuments("SELECT doc FROM ref_sism_editions", [], on: connection) {
            state.reference.sismEditions[row.year] = row
        }
        for record: PtsmRecord in try await regionDocuments(
            "SELECT record AS doc FROM ptsms WHERE region = $1 OR departements && $2",
            [.text(region.code), .textArray(departements.sorted())], on: connection)
        {
            state.ptsms[record.id] = record
        }
        if let edition = scope.sismEdition {
            for record: SismProposalRecord in try await regionDocuments(
                "SELECT record AS doc FROM sism_proposals WHERE edition = $1 AND region = $2",
                [.int(Int64(edition)), .text(region.code)], on: connection)
            {
                state.sismProposals[record.id] = record
            }
        }
        if scope.qpvActions {
            for record: QpvActionRecord in try await regionDocuments(
                "SELECT record AS doc FROM qpv_actions WHERE qpv = ANY($1)", [.textArray(qpvs)], on: connection)
            {
                state.qpvActions[record.id] = record
            }
        }
        return state
    }

    private func regionDocuments<T: Decodable>(_ sql: String, _ parameters: [PostgresValue], on connection: PostgresConnection) async throws -> [T] {
        try await connection.query(sql, parameters).map { try RecordCoding.decode(T.self, from: $0, column: "doc") }
    }
}
