/// `hub-admin report articulation --region R`: each CLSM of a region against the other
/// dispositifs, then the region's rates beside the national 2022 ones.
///
/// The picture is computed again from the current declarations and reference data with the
/// contract's articulation rules (a PTSM whose départements hold one of the CLSM's communes,
/// a CLS sharing a commune, the ASVs serving a QPV in its communes), not read from what the
/// records remember having notified: a PTSM published after a CLSM's declaration, or an ASV
/// imported since, counts here. The other dispositifs and levels of issue 19 (CLSPD, CPTS,
/// DAC, PRE, contrats de ville, EPCIs, psychiatric sectors, PTSM territories) are reference
/// data only, matched the same way: the `territoryCounts` and `territory` sections. The
/// `declared` section sets what each CLSM declared in its latest activity report
/// (`clsm.activity.reported`) beside that geography.
public struct ArticulationReport: Sendable, Hashable {
    /// A PTSM on a CLSM's territory, with its latest diagnostic.
    public struct PtsmLink: Sendable, Hashable {
        public var id: String
        public var version: Int
        public var publishedOn: CalendarDate

        public var text: String { "\(id) v\(version) (\(publishedOn))" }
    }

    /// A dispositif or level that lies on a CLSM's territory (issue 19): a CLSPD, CPTS, DAC,
    /// PRE or contrat de ville, an EPCI, an adult or child psychiatric sector, a PTSM
    /// territory.
    public struct TerritoryLink: Sendable, Hashable {
        /// `clspd`, `cpts`, `dac`, `pre`, `contratDeVille` (as in the reference data),
        /// `epci`, `adultSector`, `childSector` or `ptsmTerritory`.
        public var kind: String
        /// Its id (a SIREN for an EPCI).
        public var id: String
        public var name: String
        /// What the field knows besides: a sector's establishment, an EPCI's nature, a
        /// contrat de ville's QPVs on the CLSM's communes, a PTSM territory's PTSM.
        public var detail: String
        /// The ground shared with the CLSM: the codes of either side that meet (a commune and
        /// its arrondissements), or the départements for a PTSM territory.
        public var shared: [String]
    }

    /// What a CLSM declared in an activity report about its articulation.
    public struct DeclaredArticulation: Sendable, Hashable {
        public var year: Int
        public var articulation: ClsmActivityReported.DeclaredArticulation
    }

    /// One CLSM against the other dispositifs.
    public struct Entry: Sendable, Hashable {
        public var clsmId: String
        public var name: String
        public var status: ClsmStatus
        public var communes: [String]
        public var ptsms: [PtsmLink]
        public var cls: [String]
        public var asvs: [String]
        /// QPVs lying in its communes.
        public var qpvs: [String]
        /// Of `qpvs`, those no ASV serves.
        public var qpvsWithoutAsv: [String]
        public var copil: Bool
        public var plenaryAssembly: Bool
        public var members: Set<GovernanceMember>
        public var workingGroups: Set<ThemeCode>
        /// QPV actions this CLSM recorded in the QPVs of its communes.
        public var qpvActions: Int
        /// The other dispositifs and levels on its territory, by kind (in `territoryKinds`
        /// order) then id.
        public var territory: [TerritoryLink] = []
        /// The articulation the CLSM declared in its latest yearly activity report
        /// (`clsm.activity.reported`), if it sent one: the year and the answers.
        public var declared: DeclaredArticulation?

        /// What lies on its territory for a dispositif it may declare an articulation with:
        /// the PTSMs (published, or a PTSM territory of the reference data), the CLS, the ASVs
        /// serving its QPVs, and the dispositifs of the reference data.
        public func onTerritory(_ dispositif: ArticulatedDispositif) -> [String] {
            switch dispositif {
            case .ptsm: Array(Set(ptsms.map(\.id) + territory.filter { $0.kind == "ptsmTerritory" }.map(\.id))).sorted()
            case .cls: cls
            case .asv: asvs
            case .clspd, .cpts, .pre, .dac, .contratDeVille: territory.filter { $0.kind == dispositif.rawValue }.map(\.id)
            }
        }

        public var isActive: Bool { status == .active }
        /// Missing "quatre quarts" members (elected, adult psychiatry, users, carers).
        public var missingQuatreQuarts: [GovernanceMember] { GovernanceMember.quatreQuarts.subtracting(members).sorted() }
        public var coversQpv: Bool { !qpvs.isEmpty }
        /// Covers QPVs, none of which an ASV serves: the survey's "no ASV on the territory".
        public var noAsvOnQpvTerritory: Bool { coversQpv && qpvsWithoutAsv.count == qpvs.count }
    }

    /// A regional share beside its national counterpart.
    public struct Indicator: Sendable, Hashable {
        /// Stable key (`withPtsm`, `member.childPsychiatry`...).
        public var name: String
        public var description: String
        public var count: Int
        /// The CLSMs counted over: the region's active CLSMs, or those of them covering QPVs.
        public var base: Int
        public var national: NationalRate?
    }

    public var region: Region
    /// Every CLSM declared in the region, whatever its status, by id.
    public var entries: [Entry]
    /// Computed over the region's active CLSMs (the survey asked active CLSMs).
    public var indicators: [Indicator]

    public init(state: HubState, region code: String) throws(RegionReportRefusal) {
        region = try state.reportRegion(code)
        let actionsByClsm = Dictionary(grouping: state.qpvActions.values.map(\.action).filter { $0.recordedBy.kind == .clsm }) {
            $0.recordedBy.id
        }
        entries = state.clsms.values.filter { $0.declaration.region == code }.sorted { $0.id < $1.id }.map { record in
            Self.entry(record, in: state, actions: actionsByClsm[record.id] ?? [])
        }
        indicators = Self.indicators(entries.filter(\.isActive))
    }

    /// `actions`: the QPV actions the CLSM recorded, wherever they were.
    static func entry(_ record: ClsmRecord, in state: HubState, actions: [QpvActionRecorded]) -> Entry {
        let reference = state.reference
        let communes = record.communes
        let departements = record.departements.union(communes.compactMap { reference.communes[$0]?.departement })
        let ptsms = state.ptsms.values.filter { !$0.departements.isDisjoint(with: departements) }.sorted { $0.id < $1.id }
        let qpvs = reference.qpvs(inCommunes: communes)
        let servedBy = Dictionary(uniqueKeysWithValues: qpvs.map { ($0.code, reference.asvs(servingQpv: $0.code)) })
        let declaration = record.declaration
        // Actions in its own QPVs only: one recorded elsewhere is the ARS's
        // `ars.qpv.actionOutsideTerritory`, not the CLSM's work in its neighbourhoods.
        let qpvCodes = Set(qpvs.map(\.code))
        return Entry(
            clsmId: record.id, name: declaration.name, status: declaration.status, communes: declaration.communes,
            ptsms: ptsms.map { PtsmLink(id: $0.id, version: $0.diagnostic.version, publishedOn: $0.diagnostic.publishedOn) },
            cls: reference.cls(coveringAny: communes).map(\.id),
            asvs: Set(servedBy.values.joined().map(\.id)).sorted(),
            qpvs: qpvs.map(\.code),
            qpvsWithoutAsv: qpvs.map(\.code).filter { servedBy[$0]?.isEmpty ?? true },
            copil: declaration.governance.copil, plenaryAssembly: declaration.governance.plenaryAssembly,
            members: Set(declaration.governance.members), workingGroups: record.workingGroups,
            qpvActions: actions.filter { qpvCodes.contains($0.qpv) }.count,
            territory: territory(communes: communes, departements: departements, qpvs: qpvCodes, reference: reference),
            declared: state.activityReports.values.filter { $0.report.clsmId == record.id }.max { $0.report.year < $1.report.year }
                .map { DeclaredArticulation(year: $0.report.year, articulation: $0.report.articulation) })
    }

    /// The kinds of `TerritoryLink`, in the order the report lists them.
    public static let territoryKinds =
        LocalDispositif.Kind.allCases.map(\.rawValue) + ["epci", "adultSector", "childSector", "ptsmTerritory"]

    /// What lies on a CLSM's communes (arrondissement-aware, like every commune match) and
    /// départements.
    static func territory(
        communes: Set<String>, departements: Set<String>, qpvs: Set<String>, reference: ReferenceData
    )
        -> [TerritoryLink]
    {
        func shared(_ codes: [String]) -> [String] { MunicipalArrondissements.shared(communes, codes).sorted() }
        var links = reference.dispositifs(coveringAny: communes).map { row in
            TerritoryLink(
                kind: row.kind.rawValue, id: row.id, name: row.name,
                detail: row.qpvs.isEmpty ? "" : "QPVs: " + row.qpvs.filter(qpvs.contains).joined(separator: ", "),
                shared: shared(row.communes))
        }
        links += reference.epcis(coveringAny: communes).map { row in
            TerritoryLink(kind: "epci", id: row.siren, name: row.name, detail: row.nature?.rawValue ?? "", shared: shared(row.communes))
        }
        let sectors = reference.psychiatricSectors(coveringAny: communes)
        for population in PsychiatricSector.Population.allCases {
            links += sectors.filter { $0.population == population }.map { row in
                TerritoryLink(
                    kind: "\(population.rawValue)Sector", id: row.id, name: row.name, detail: row.establishment,
                    shared: shared(row.communes))
            }
        }
        links += reference.ptsmTerritories(inDepartements: departements).map { row in
            TerritoryLink(
                kind: "ptsmTerritory", id: row.id, name: row.name, detail: row.ptsm.map { "PTSM \($0)" } ?? "",
                shared: departements.intersection(row.departements).sorted())
        }
        return links
    }

    static func indicators(_ active: [Entry]) -> [Indicator] {
        let total = active.count
        func share(
            _ name: String, _ description: String, _ national: NationalRate?, over base: [Entry]? = nil,
            _ holds: (Entry) -> Bool
        ) -> Indicator {
            let counted = base ?? active
            return Indicator(
                name: name, description: description, count: counted.filter(holds).count,
                base: base?.count ?? total, national: national)
        }
        let coveringQpv = active.filter(\.coversQpv)
        var indicators = [
            share(
                "withPtsm", "on the territory of a PTSM (a PTSM's départements hold one of its communes)",
                NationalRates2022.withPtsm
            ) { !$0.ptsms.isEmpty },
            share("withCls", "sharing a commune with a CLS", NationalRates2022.withCls) { !$0.cls.isEmpty },
            share("coversQpv", "with at least one QPV in its communes", NationalRates2022.coversQpv, \.coversQpv),
            share(
                "qpvTerritoryWithoutAsv", "of those covering QPVs: no ASV serves any of them",
                NationalRates2022.qpvTerritoryWithoutAsv, over: coveringQpv, \.noAsvOnQpvTerritory),
            share(
                "someQpvWithoutAsv", "of those covering QPVs: at least one QPV no ASV serves",
                nil, over: coveringQpv
            ) { !$0.qpvsWithoutAsv.isEmpty },
            share("actionsInQpv", "recorded at least one action in one of its QPVs", NationalRates2022.actionsInQpv) { $0.qpvActions > 0 },
            share("copil", "with a steering committee (COPIL)", NationalRates2022.copil, \.copil),
            share("plenaryAssembly", "holding a plenary assembly", NationalRates2022.plenaryAssembly, \.plenaryAssembly),
        ]
        for (member, rate) in NationalRates2022.members {
            indicators.append(
                share("member.\(member.rawValue)", "governance counts \(member.rawValue)", rate) {
                    $0.members.contains(member)
                })
        }
        indicators.append(
            share(
                "quatreQuartsComplete", "governance counts all four quarts (elected, adultPsychiatry, users, carers)",
                nil
            ) { $0.missingQuatreQuarts.isEmpty })
        for (theme, rate) in NationalRates2022.workingGroups {
            indicators.append(
                share("workingGroup.\(theme.rawValue)", "with a working group on \(theme.rawValue)", rate) {
                    $0.workingGroups.contains(theme)
                })
        }
        return indicators
    }

    // MARK: Rendering

    public var clsmListing: Listing {
        var listing = Listing(columns: [
            "clsm", "name", "status", "communes", "ptsm", "cls", "asv", "qpvs", "qpvsWithoutAsv", "copil", "plenaryAssembly",
            "missingQuatreQuarts", "childPsychiatry", "qpvActions",
        ])
        for entry in entries {
            listing.append([
                .text(entry.clsmId), .text(entry.name), .text(entry.status.rawValue), ListingValue(entry.communes.count),
                ReportText.list(entry.ptsms.map(\.text)), ReportText.list(entry.cls), ReportText.list(entry.asvs),
                ListingValue(entry.qpvs.count), ReportText.list(entry.qpvsWithoutAsv), .boolean(entry.copil),
                .boolean(entry.plenaryAssembly), ReportText.list(entry.missingQuatreQuarts.map(\.rawValue)),
                .boolean(entry.members.contains(.childPsychiatry)), ListingValue(entry.qpvActions),
            ])
        }
        return listing
    }

    /// One row per CLSM and dispositif or level on its territory: long rather than wide, so
    /// that the table stays readable; `--section territory` in CSV.
    public var territoryListing: Listing {
        var listing = Listing(columns: ["clsm", "kind", "id", "name", "detail", "shared"])
        for entry in entries {
            for link in entry.territory {
                listing.append([
                    .text(entry.clsmId), .text(link.kind), .text(link.id), .text(link.name), .text(link.detail),
                    ReportText.list(link.shared),
                ])
            }
        }
        return listing
    }

    /// Per CLSM, how many of each kind lie on its territory (zeros included).
    public var territoryCountsListing: Listing {
        var listing = Listing(columns: ["clsm"] + Self.territoryKinds)
        for entry in entries {
            let counts = Dictionary(grouping: entry.territory, by: \.kind).mapValues(\.count)
            listing.append([.text(entry.clsmId)] + Self.territoryKinds.map { ListingValue(counts[$0] ?? 0) })
        }
        return listing
    }

    /// The declared articulation beside the geographic one: per CLSM that sent an activity
    /// report, its latest year's answer for each dispositif of the survey, and what the
    /// reference data and the state put on its territory. `check` flags the two answers that
    /// the geography contradicts: `yes` with nothing of that kind on the territory
    /// (`noneOnTerritory`; the reference data may lack it) and `notOnTerritory` with one there
    /// (`presentOnTerritory`).
    public var declaredListing: Listing {
        var listing = Listing(columns: ["clsm", "year", "dispositif", "declared", "onTerritory", "check"])
        for entry in entries {
            guard let declared = entry.declared else { continue }
            for (dispositif, answer) in declared.articulation.byDispositif {
                let present = entry.onTerritory(dispositif)
                let check: String =
                    switch answer {
                    case .yes where present.isEmpty: "noneOnTerritory"
                    case .notOnTerritory where !present.isEmpty: "presentOnTerritory"
                    default: ""
                    }
                listing.append([
                    .text(entry.clsmId), ListingValue(declared.year), .text(dispositif.rawValue), .text(answer.rawValue),
                    ReportText.list(present), .text(check),
                ])
            }
        }
        return listing
    }

    public var ratesListing: Listing {
        var listing = Listing(columns: [
            "indicator", "description", "count", "of", "regionPercent", "nationalPercent2022", "national2022", "source",
        ])
        for indicator in indicators {
            listing.append([
                .text(indicator.name), .text(indicator.description), ListingValue(indicator.count), ListingValue(indicator.base),
                ReportText.percent(indicator.count, of: indicator.base),
                indicator.national.map { .decimal($0.share * 100, fractionDigits: 0) } ?? .null,
                ListingValue(indicator.national?.text), ListingValue(indicator.national?.source),
            ])
        }
        return listing
    }

    public var document: ListingDocument {
        let active = entries.filter(\.isActive).count
        return ListingDocument(
            title: "Articulation of the CLSMs of region \(region.code) (\(region.name)): \(entries.count) declared, \(active) active",
            facts: [.init("report", "articulation")] + ReportText.regionFacts(region),
            sections: [
                .init(name: "clsms", title: "CLSMs (every status)", listing: clsmListing),
                .init(
                    name: "territoryCounts",
                    title:
                        "Dispositifs and levels on each CLSM's territory (CLSPD, CPTS, DAC, PRE, contrat de ville, EPCI, sectors, PTSM territory)",
                    listing: territoryCountsListing),
                .init(name: "territory", title: "Which ones", listing: territoryListing),
                .init(
                    name: "declared",
                    title: "Declared articulation (latest activity report) beside the geographic one",
                    listing: declaredListing),
                .init(
                    name: "rates", title: "Rates over the \(active) active CLSMs, beside the national survey of 2022",
                    listing: ratesListing),
            ])
    }
}
