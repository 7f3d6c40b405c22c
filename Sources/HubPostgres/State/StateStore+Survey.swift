import HubDomain

extension StateStore {
    /// What `hub-admin report survey` reads: the regions, the CLSMs and the activity reports of
    /// `year`, of `region` or of every region (those the role may read: row-level security).
    /// `SurveyReport` needs nothing else.
    public func loadSurvey(year: Int, region: String?, on connection: PostgresConnection) async throws -> HubState {
        var state = HubState()
        for text in try await connection.query(StateTables.regions.table.selectDocuments()) {
            let row = try RecordCoding.decode(Region.self, from: text, column: "doc")
            state.reference.regions[row.code] = row
        }
        let clsms = StateTables.clsms.table
        let clsmCondition: PostgresQuery? = region.map { "\(clsms["region"]) = \($0)" }
        for text in try await connection.query(clsms.selectDocuments(where: clsmCondition)) {
            let record = try RecordCoding.decode(ClsmRecord.self, from: text, column: "record")
            state.clsms[record.id] = record
        }
        let reports = StateTables.activityReports.table
        var reportCondition: PostgresQuery = "\(reports["year"]) = \(year)"
        if let region { reportCondition.append(" AND \(reports["region"]) = \(region)") }
        for text in try await connection.query(reports.selectDocuments(where: reportCondition)) {
            let record = try RecordCoding.decode(ActivityReportRecord.self, from: text, column: "record")
            state.activityReports[record.id] = record
            // A CLSM of another region that reported here (moved since): its declaration too.
            if state.clsms[record.report.clsmId] == nil {
                let clsm = try await connection.query(clsms.selectDocuments(where: "\(clsms["id"]) = \(record.report.clsmId)"))
                for row in clsm {
                    let decoded = try RecordCoding.decode(ClsmRecord.self, from: row, column: "record")
                    state.clsms[decoded.id] = decoded
                }
            }
        }
        return state
    }
}
