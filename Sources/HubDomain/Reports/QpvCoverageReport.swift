/// `hub-admin report coverage --region R`: the region's QPVs, who serves and covers them, the
/// actions recorded there, and the QPVs a CLSM covers without any ASV.
///
/// "Covered" follows the CGET intersection rule the contract uses: a QPV is covered by a CLSM
/// when it lies in one of the communes of an *active* CLSM.
public struct QpvCoverageReport: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var qpv: Qpv
        /// "code name" of each of its communes.
        public var communes: [String]
        public var asvs: [String]
        /// Active CLSMs whose communes hold it.
        public var clsms: [String]
        public var actions: Int
        public var participants: Int
        public var lastAction: CalendarDate?

        public var isCovered: Bool { !clsms.isEmpty }
        public var coveredWithoutAsv: Bool { isCovered && asvs.isEmpty }
    }

    public var region: Region
    /// QPVs with at least one commune in the region, by code.
    public var entries: [Entry]

    public init(state: HubState, region code: String) throws(RegionReportRefusal) {
        region = try state.reportRegion(code)
        let reference = state.reference
        let qpvs = reference.qpvs(inCommunes: state.communes(ofRegion: code))
        let activeClsms = state.clsms.values.filter(\.isActive)
        let actions = Dictionary(grouping: state.qpvActions.values.map(\.action), by: \.qpv)
        entries = qpvs.map { qpv in
            let recorded = actions[qpv.code] ?? []
            return Entry(
                qpv: qpv,
                communes: qpv.communes.map { code in reference.communes[code].map { "\(code) \($0.name)" } ?? code },
                asvs: reference.asvs(servingQpv: qpv.code).map(\.id),
                clsms: activeClsms.filter { !$0.communes.isDisjoint(with: qpv.communes) }.map(\.id).sorted(),
                actions: recorded.count, participants: recorded.reduce(0) { $0 + $1.participants },
                lastAction: recorded.map(\.date).max())
        }
    }

    // MARK: Rendering

    public var qpvListing: Listing {
        var listing = Listing(columns: [
            "qpv", "name", "communes", "asv", "clsms", "coveredWithoutAsv", "actions", "participants", "lastAction",
        ])
        for entry in entries {
            listing.append([
                .text(entry.qpv.code), .text(entry.qpv.name), ReportText.list(entry.communes), ReportText.list(entry.asvs),
                ReportText.list(entry.clsms), .boolean(entry.coveredWithoutAsv), ListingValue(entry.actions),
                ListingValue(entry.participants), ListingValue(entry.lastAction?.description),
            ])
        }
        return listing
    }

    /// The QPVs an active CLSM covers and no ASV serves: where the CLSM (or the CLS) is the
    /// only dispositif to carry mental health in the neighbourhood.
    public var withoutAsvListing: Listing {
        var listing = Listing(columns: ["qpv", "name", "communes", "clsms", "actions", "lastAction"])
        for entry in entries where entry.coveredWithoutAsv {
            listing.append([
                .text(entry.qpv.code), .text(entry.qpv.name), ReportText.list(entry.communes), ReportText.list(entry.clsms),
                ListingValue(entry.actions), ListingValue(entry.lastAction?.description),
            ])
        }
        return listing
    }

    public var summaryListing: Listing {
        let total = entries.count
        let covered = entries.filter(\.isCovered)
        let rows: [(String, String, Int, Int)] = [
            ("servedByAsv", "QPVs an ASV serves", entries.filter { !$0.asvs.isEmpty }.count, total),
            ("coveredByClsm", "QPVs in the communes of an active CLSM", covered.count, total),
            ("coveredWithoutAsv", "of those covered, no ASV serves it", covered.filter(\.coveredWithoutAsv).count, covered.count),
            ("withActions", "QPVs with at least one recorded action", entries.filter { $0.actions > 0 }.count, total),
        ]
        var listing = Listing(columns: ["indicator", "description", "count", "of", "percent"])
        for (name, description, count, base) in rows {
            listing.append([.text(name), .text(description), ListingValue(count), ListingValue(base), ReportText.percent(count, of: base)])
        }
        return listing
    }

    public var document: ListingDocument {
        let withoutAsv = entries.filter(\.coveredWithoutAsv).count
        return ListingDocument(
            title: "QPVs of region \(region.code) (\(region.name)): \(entries.count), of which \(withoutAsv) covered by a CLSM without ASV",
            facts: [.init("report", "coverage")] + ReportText.regionFacts(region),
            sections: [
                .init(name: "qpvs", title: "QPVs", listing: qpvListing),
                .init(name: "withoutAsv", title: "Covered by an active CLSM, served by no ASV", listing: withoutAsvListing),
                .init(name: "summary", title: "Summary", listing: summaryListing),
            ])
    }
}
