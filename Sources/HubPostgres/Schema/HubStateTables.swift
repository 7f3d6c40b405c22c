import Foundation
import HubDomain

/// Every state table, described once.
public enum StateTables {
    // MARK: Reference data

    public static let regions = StoredTable<Region, Region>(
        "ref_regions", [.key("code", .text) { .text($0.code) }], document: "doc",
        source: .referenceImport, isResident: true
    ) { $0.reference.regions[$1.code] = $1 }

    public static let departements = StoredTable<Departement, Departement>(
        "ref_departements",
        [.key("code", .text) { .text($0.code) }, .search("region", .text) { .text($0.region) }],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.departements[$1.code] = $1 }

    public static let communes = StoredTable<Commune, Commune>(
        "ref_communes",
        [.key("code", .text) { .text($0.code) }, .search("departement", .text) { .text($0.departement) }],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.communes[$1.code] = $1 }

    public static let qpvs = StoredTable<Qpv, Qpv>(
        "ref_qpvs",
        [.key("code", .text) { .text($0.code) }, .search("communes", .textArray) { .textArray($0.communes) }],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.qpvs[$1.code] = $1 }

    public static let cls = StoredTable<Cls, Cls>(
        "ref_cls",
        [
            .key("id", .text) { .text($0.id) }, .search("region", .text) { .text($0.region) },
            .search("communes", .textArray) { .textArray($0.communes) },
        ],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.cls[$1.id] = $1 }

    public static let asvs = StoredTable<Asv, Asv>(
        "ref_asvs",
        [.key("id", .text) { .text($0.id) }, .search("qpvs", .textArray) { .textArray($0.qpvs) }],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.asvs[$1.id] = $1 }

    public static let sismEditions = StoredTable<SismEdition, SismEdition>(
        "ref_sism_editions", [.key("year", .integer) { .int(Int64($0.year)) }], document: "doc",
        source: .referenceImport, isResident: true
    ) { $0.reference.sismEditions[$1.year] = $1 }

    public static let sources = StoredTable<RegisteredSource, RegisteredSource>(
        "ref_sources",
        [.key("source", .text) { .text($0.source) }, .search("kind", .text) { .text($0.kind.rawValue) }],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.sources[$1.source] = $1 }

    // Issue 19: the other dispositifs and levels (migration 12). Resident like the rest of the
    // reference data (a few thousand rows nationally); no rule reads them yet, the
    // articulation report does.

    public static let dispositifs = StoredTable<LocalDispositif, LocalDispositif>(
        "ref_dispositifs",
        [
            .key("kind", .text) { .text($0.kind.rawValue) }, .key("id", .text) { .text($0.id) },
            .search("communes", .textArray) { .textArray($0.communes) },
        ],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.dispositifs[$1.key] = $1 }

    public static let epcis = StoredTable<Epci, Epci>(
        "ref_epcis",
        [.key("siren", .text) { .text($0.siren) }, .search("communes", .textArray) { .textArray($0.communes) }],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.epcis[$1.siren] = $1 }

    public static let psychiatricSectors = StoredTable<PsychiatricSector, PsychiatricSector>(
        "ref_psychiatric_sectors",
        [
            .key("id", .text) { .text($0.id) }, .search("population", .text) { .text($0.population.rawValue) },
            .search("communes", .textArray) { .textArray($0.communes) },
        ],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.psychiatricSectors[$1.id] = $1 }

    public static let ptsmTerritories = StoredTable<PtsmTerritory, PtsmTerritory>(
        "ref_ptsm_territories",
        [.key("id", .text) { .text($0.id) }, .search("departements", .textArray) { .textArray($0.departements) }],
        document: "doc", source: .referenceImport, isResident: true
    ) { $0.reference.ptsmTerritories[$1.id] = $1 }

    // MARK: Read models (written by the rules)

    public static let clsms = StoredTable<ClsmRecord, ClsmRecord>(
        "clsms",
        [
            .key("id", .text) { .text($0.id) },
            .search("region", .text) { .text($0.declaration.region) },
            .search("status", .text) { .text($0.declaration.status.rawValue) },
            .search("communes", .textArray) { .textArray($0.declaration.communes) },
            .search("departements", .textArray) { .textArray($0.departements.sorted()) },
        ],
        document: "record", bookkeeping: "updated_at", source: .rules, isResident: true
    ) { $0.clsms[$1.id] = $1 }

    public static let ptsms = StoredTable<PtsmRecord, PtsmRecord>(
        "ptsms",
        [
            .key("id", .text) { .text($0.id) },
            .search("region", .text) { .text($0.diagnostic.region) },
            .search("version", .integer) { .int(Int64($0.diagnostic.version)) },
            .search("departements", .textArray) { .textArray($0.departements.sorted()) },
        ],
        document: "record", bookkeeping: "updated_at", source: .rules, isResident: true
    ) { $0.ptsms[$1.id] = $1 }

    /// Every published version of every PTSM diagnostic (history: a version once stored stays).
    public static let ptsmDiagnostics = StoredTable<PtsmDiagnosticVersion, PtsmDiagnosticPublished>(
        "ptsm_diagnostics",
        [
            .key("ptsm_id", .text) { .text($0.record.id) },
            .key("version", .integer) { .int(Int64($0.record.diagnostic.version)) },
            .search("event_source", .text) { .text($0.event.source) },
            .search("event_id", .text) { .text($0.event.id) },
        ],
        document: "diagnostic", { $0.record.diagnostic }, bookkeeping: "recorded_at", onConflict: .keep, source: .rules,
        isResident: false, put: nil)

    public static let sismProposals = StoredTable<SismProposalRecord, SismProposalRecord>(
        "sism_proposals",
        [
            .key("id", .text) { .text($0.id) },
            .search("clsm_id", .text) { .text($0.proposal.clsmId) },
            .search("edition", .integer) { .int(Int64($0.proposal.edition)) },
            .search("commune", .text) { .text($0.proposal.commune) },
            .search("region", .text) { .text($0.region) },
            .search("accepted", .boolean) { .bool($0.isAccepted) },
            .search("cancelled", .boolean) { .bool($0.proposal.isCancelled) },
        ],
        document: "record", bookkeeping: "updated_at", source: .rules, isResident: true
    ) { $0.sismProposals[$1.id] = $1 }

    public static let sismProgrammes = StoredTable<SismProgrammeTally, SismProgrammeTally>(
        "sism_programmes",
        [.key("edition", .integer) { .int(Int64($0.edition)) }, .key("region", .text) { .text($0.region) }],
        document: "tally", bookkeeping: "updated_at", source: .rules, isResident: true
    ) { $0.sismProgrammes[$1.id] = $1 }

    public static let qpvActions = StoredTable<QpvActionRecord, QpvActionRecord>(
        "qpv_actions",
        [.key("id", .text) { .text($0.id) }, .search("qpv", .text) { .text($0.action.qpv) }],
        document: "record", bookkeeping: "updated_at", source: .rules, isResident: false
    ) { $0.qpvActions[$1.id] = $1 }

    /// The latest activity report of each CLSM and year (migration 11).
    public static let activityReports = StoredTable<ActivityReportRecord, ActivityReportRecord>(
        "clsm_activity_reports",
        [
            .key("clsm_id", .text) { .text($0.report.clsmId) }, .key("year", .integer) { .int(Int64($0.report.year)) },
            .search("region", .text) { .text($0.region) }, .search("version", .integer) { .int(Int64($0.report.version)) },
        ],
        document: "record", bookkeeping: "updated_at", source: .rules, isResident: true
    ) { $0.activityReports[$1.id] = $1 }

    /// Every state table: the reference data, then the read models by name.
    public static let all: [StateTable] = [
        regions.table, departements.table, communes.table, qpvs.table, cls.table, asvs.table, sismEditions.table,
        sources.table, dispositifs.table, epcis.table, psychiatricSectors.table, ptsmTerritories.table, activityReports.table, clsms.table,
        ptsmDiagnostics.table, ptsms.table, qpvActions.table, sismProgrammes.table, sismProposals.table,
    ]

    /// The tables the rules derive from the event log, by name: what `ReadModelRebuild`
    /// writes again and `StateChecksum` covers.
    public static var readModels: [StateTable] { all.filter { $0.source == .rules } }
}
