import HubDomain

/// What a regional report reads from PostgreSQL.
public struct RegionReportScope: Sendable, Hashable {
    public var region: String
    /// The SISM edition whose proposals to load (none when the report needs no programme).
    public var sismEdition: Int?
    /// Whether to load the QPV actions recorded in the region's QPVs.
    public var qpvActions: Bool
    /// Whether to load the activity reports of the loaded CLSMs (every year).
    public var activityReports: Bool

    public init(region: String, sismEdition: Int? = nil, qpvActions: Bool = false, activityReports: Bool = false) {
        self.region = region
        self.sismEdition = sismEdition
        self.qpvActions = qpvActions
        self.activityReports = activityReports
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
    /// those QPVs; the CLSPD, CPTS, DAC, PRE, contrats de ville, EPCIs and psychiatric sectors
    /// on those communes (or their arrondissements, or the commune of an arrondissement) and
    /// the PTSM territories of those départements; every SISM edition; the proposals of `sismEdition` in the region's
    /// programme; the actions recorded in the loaded QPVs.
    public func loadRegion(_ scope: RegionReportScope, on connection: PostgresConnection) async throws -> HubState? {
        let regionTable = StateTables.regions.table
        let regions = try await regionDocuments(StateTables.regions, "\(regionTable["code"]) = \(scope.region)", on: connection)
        guard let region = regions.first else { return nil }
        var state = HubState()
        state.reference.regions[region.code] = region

        let departementTable = StateTables.departements.table
        let communeTable = StateTables.communes.table
        var departementCodes: Set<String> = []
        for row in try await regionDocuments(StateTables.departements, "\(departementTable["region"]) = \(region.code)", on: connection) {
            state.reference.departements[row.code] = row
            departementCodes.insert(row.code)
        }
        for row in try await regionDocuments(
            StateTables.communes, "\(communeTable["departement"]) = ANY(\(departementCodes.sorted()))", on: connection)
        {
            state.reference.communes[row.code] = row
        }
        let regionCommunes = Set(state.reference.communes.keys)

        let clsmTable = StateTables.clsms.table
        let clsms = try await regionDocuments(
            StateTables.clsms, "\(clsmTable["region"]) = \(region.code) OR \(clsmTable["communes"]) && \(regionCommunes.sorted())",
            on: connection)
        for record in clsms { state.clsms[record.id] = record }

        // A CLSM may reach over the regional boundary: its other communes carry QPVs, CLS and
        // PTSMs it articulates with.
        let outside = Set(clsms.flatMap(\.declaration.communes)).subtracting(regionCommunes)
        if !outside.isEmpty {
            for row in try await regionDocuments(StateTables.communes, "\(communeTable["code"]) = ANY(\(outside.sorted()))", on: connection)
            {
                state.reference.communes[row.code] = row
            }
            let otherDepartements = Set(state.reference.communes.values.map(\.departement)).subtracting(departementCodes)
            for row in try await regionDocuments(
                StateTables.departements, "\(departementTable["code"]) = ANY(\(otherDepartements.sorted()))", on: connection)
            {
                state.reference.departements[row.code] = row
            }
        }
        let communes = Set(state.reference.communes.keys)
        let departements = Set(state.reference.departements.keys).union(clsms.flatMap(\.departements))

        for row in try await regionDocuments(
            StateTables.qpvs, "\(StateTables.qpvs.table["communes"]) && \(communes.sorted())", on: connection)
        {
            state.reference.qpvs[row.code] = row
        }
        let qpvs = state.reference.qpvs.keys.sorted()
        let clsTable = StateTables.cls.table
        for row in try await regionDocuments(
            StateTables.cls, "\(clsTable["region"]) = \(region.code) OR \(clsTable["communes"]) && \(communes.sorted())",
            on: connection)
        {
            state.reference.cls[row.id] = row
        }
        for row in try await regionDocuments(StateTables.asvs, "\(StateTables.asvs.table["qpvs"]) && \(qpvs)", on: connection) {
            state.reference.asvs[row.id] = row
        }
        // The other dispositifs and levels (issue 19) on those communes, or on the codes that
        // meet them (a commune's arrondissements, an arrondissement's commune), and the PTSM
        // territories of those départements.
        let around = MunicipalArrondissements.related(communes).sorted()
        for row in try await regionDocuments(
            StateTables.dispositifs, "\(StateTables.dispositifs.table["communes"]) && \(around)", on: connection)
        {
            state.reference.dispositifs[row.key] = row
        }
        for row in try await regionDocuments(StateTables.epcis, "\(StateTables.epcis.table["communes"]) && \(around)", on: connection) {
            state.reference.epcis[row.siren] = row
        }
        for row in try await regionDocuments(
            StateTables.psychiatricSectors, "\(StateTables.psychiatricSectors.table["communes"]) && \(around)", on: connection)
        {
            state.reference.psychiatricSectors[row.id] = row
        }
        for row in try await regionDocuments(
            StateTables.ptsmTerritories, "\(StateTables.ptsmTerritories.table["departements"]) && \(departements.sorted())",
            on: connection)
        {
            state.reference.ptsmTerritories[row.id] = row
        }
        for row in try await regionDocuments(StateTables.sismEditions, nil, on: connection) {
            state.reference.sismEditions[row.year] = row
        }
        let ptsmTable = StateTables.ptsms.table
        for record in try await regionDocuments(
            StateTables.ptsms, "\(ptsmTable["region"]) = \(region.code) OR \(ptsmTable["departements"]) && \(departements.sorted())",
            on: connection)
        {
            state.ptsms[record.id] = record
        }
        if let edition = scope.sismEdition {
            let proposalTable = StateTables.sismProposals.table
            for record in try await regionDocuments(
                StateTables.sismProposals, "\(proposalTable["edition"]) = \(edition) AND \(proposalTable["region"]) = \(region.code)",
                on: connection)
            {
                state.sismProposals[record.id] = record
            }
        }
        if scope.qpvActions {
            for record in try await regionDocuments(
                StateTables.qpvActions, "\(StateTables.qpvActions.table["qpv"]) = ANY(\(qpvs))", on: connection)
            {
                state.qpvActions[record.id] = record
            }
        }
        if scope.activityReports {
            for record in try await regionDocuments(
                StateTables.activityReports, "\(StateTables.activityReports.table["clsm_id"]) = ANY(\(clsms.map(\.id).sorted()))",
                on: connection)
            {
                state.activityReports[record.id] = record
            }
        }
        return state
    }

    private func regionDocuments<Row, Document>(
        _ table: StoredTable<Row, Document>, _ condition: PostgresQuery?,
        on connection: PostgresConnection
    ) async throws -> [Document] {
        let column = table.table.document.name
        return try await connection.query(table.table.selectDocuments(where: condition)).map {
            try RecordCoding.decode(Document.self, from: $0, column: column)
        }
    }
}
