import Testing

@testable import HubPostgres

/// The state tables' descriptions, and the SQL every query derives from them.
@Suite("State tables")
struct StateTablesTests {
    @Test("every state table has a key and one jsonb document; the read models are the rules' tables")
    func shapes() {
        #expect(
            StateTables.all.map(\.name) == [
                "ref_regions", "ref_departements", "ref_communes", "ref_qpvs", "ref_cls", "ref_asvs", "ref_sism_editions",
                "ref_sources", "ref_dispositifs", "ref_epcis", "ref_psychiatric_sectors", "ref_ptsm_territories",
                "clsm_activity_reports", "clsms", "ptsm_diagnostics", "ptsms", "qpv_actions", "sism_programmes", "sism_proposals",
            ])
        for table in StateTables.all {
            #expect(!table.key.isEmpty, "\(table.name)")
            #expect(table.columns.filter { $0.role == .document }.count == 1, "\(table.name)")
            #expect(table.document.type == .jsonb, "\(table.name)")
            #expect(Set(table.columns.map(\.name)).count == table.columns.count, "\(table.name)")
        }
        #expect(
            StateTables.readModels.map(\.name) == [
                "clsm_activity_reports", "clsms", "ptsm_diagnostics", "ptsms", "qpv_actions", "sism_programmes", "sism_proposals",
            ])
        #expect(
            StateTables.all.filter(\.isResident).map(\.name) == [
                "ref_regions", "ref_departements", "ref_communes", "ref_qpvs", "ref_cls", "ref_asvs", "ref_sism_editions",
                "ref_sources", "ref_dispositifs", "ref_epcis", "ref_psychiatric_sectors", "ref_ptsm_territories",
                "clsm_activity_reports", "clsms", "ptsms", "sism_programmes", "sism_proposals",
            ])
    }

    @Test("selects and key orders come from the description")
    func derivedSQL() {
        let clsms = StateTables.clsms.table
        let query = clsms.selectDocuments(where: "\(clsms["region"]) = \("11")")
        #expect(query.sql == #"SELECT "record" FROM "clsms""# + "\nWHERE " + #""region" = $1"#)
        #expect(query.bindings == ["11"])
        #expect(clsms.keyOrder.sql == #""id" COLLATE "C""#)
        #expect(StateTables.sismProgrammes.table.keyOrder.sql == #""edition", "region" COLLATE "C""#)
        #expect(StateTables.ptsmDiagnostics.table.keyOrder.sql == #""ptsm_id" COLLATE "C", "version""#)
        #expect(clsms.writtenColumns.map(\.name) == ["id", "region", "status", "communes", "departements", "record"])
        #expect(clsms.plainColumns.map(\.name) == ["id", "region", "status", "communes", "departements"])
        #expect(
            StateTables.qpvActions.table.conflictClause
                == #"ON CONFLICT ("id") DO UPDATE SET "qpv" = EXCLUDED."qpv", "record" = EXCLUDED."record", "updated_at" = now()"#)
        #expect(StateTables.regions.table.conflictClause == #"ON CONFLICT ("code") DO UPDATE SET "doc" = EXCLUDED."doc""#)
        #expect(StateTables.ptsmDiagnostics.table.conflictClause == #"ON CONFLICT ("ptsm_id", "version") DO NOTHING"#)
    }
}
