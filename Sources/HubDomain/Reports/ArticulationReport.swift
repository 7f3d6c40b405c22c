/// `hub-admin report articulation --region R`: each CLSM of a region against the other
/// dispositifs, then the region's rates beside the national 2022 ones.
///
/// The picture is computed again from the current declarations and reference data with the
/// contract's articulation rules (a PTSM whose départements hold one of the CLSM's communes,
/// a CLS sharing a commune, the ASVs serving a QPV in its communes), not read from what the
/// records remember having notified: a PTSM published after a CLSM's declaration, or an ASV
/// imported since, counts here.
public struct ArticulationReport: Sendable, Hashable {
    /// A PTSM on a CLSM's territory, with its latest diagnostic.
    public struct PtsmLink: Sendable, Hashable {
        public var id: String
        public var version: Int
        public var publishedOn: CalendarDate

        public var text: String { "\(id) v\(version) (\(publishedOn))" }
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
            qpvActions: actions.filter { qpvCodes.contains($0.qpv) }.count)
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
                    name: "rates", title: "Rates over the \(active) active CLSMs, beside the national survey of 2022",
                    listing: ratesListing),
            ])
    }
}
