/// `hub-admin report sism --region R --edition Y`: the regional SISM programme, i.e. the
/// scheduled proposals (accepted, not cancelled) of the region's CLSMs for one edition, in
/// start order, as a listing or as an iCalendar file.
public struct SismProgrammeReport: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var proposal: SismEventProposed
        public var clsmName: String?
        public var communeName: String?
        public var qpvName: String?
        /// Other scheduled proposals of the programme, by another CLSM, in the same commune at
        /// overlapping times (the contract's `sism.schedule.clash`), by id.
        public var clashesWith: [String]

        public var id: String { proposal.proposalId }
    }

    public var region: Region
    public var edition: SismEdition
    public var entries: [Entry]

    public init(state: HubState, region code: String, edition year: Int) throws(RegionReportRefusal) {
        region = try state.reportRegion(code)
        guard let edition = state.reference.sismEditions[year] else {
            throw .unknownSismEdition(year, known: state.reference.sismEditions.keys.sorted())
        }
        self.edition = edition
        let scheduled = state.sismProposals.values
            .filter { $0.region == code && $0.proposal.edition == year && $0.isScheduled }
            .map(\.proposal)
            .sorted(by: Self.startOrder)
        let reference = state.reference
        entries = scheduled.map { proposal in
            Entry(
                proposal: proposal, clsmName: state.clsms[proposal.clsmId]?.declaration.name,
                communeName: reference.communes[proposal.commune]?.name,
                qpvName: proposal.qpv.flatMap { reference.qpvs[$0]?.name },
                clashesWith: scheduled.filter { Self.clash(proposal, $0) }.map(\.proposalId))
        }
    }

    /// By start instant, then end instant, then id: a total order, so the output is stable.
    static func startOrder(_ a: SismEventProposed, _ b: SismEventProposed) -> Bool {
        (a.startsAt.epochMilliseconds, a.endsAt.epochMilliseconds, a.proposalId)
            < (b.startsAt.epochMilliseconds, b.endsAt.epochMilliseconds, b.proposalId)
    }

    /// The contract's clash: another CLSM, same commune, `start < otherEnd && otherStart < end`.
    static func clash(_ a: SismEventProposed, _ b: SismEventProposed) -> Bool {
        a.clsmId != b.clsmId && a.commune == b.commune
            && a.startsAt.isBefore(b.endsAt) && b.startsAt.isBefore(a.endsAt)
    }

    // MARK: Rendering

    public var listing: Listing {
        var listing = Listing(columns: [
            "startsAt", "endsAt", "commune", "communeName", "venue", "title", "format", "clsm", "qpv", "proposal", "clashesWith",
        ])
        for entry in entries {
            let proposal = entry.proposal
            listing.append([
                .text(ReportTime.paris(proposal.startsAt)), .text(ReportTime.paris(proposal.endsAt)), .text(proposal.commune),
                ListingValue(entry.communeName), .text(proposal.venue), .text(proposal.title), .text(proposal.format.rawValue),
                .text(proposal.clsmId), ListingValue(proposal.qpv), .text(proposal.proposalId), ReportText.list(entry.clashesWith),
            ])
        }
        return listing
    }

    public var title: String {
        "SISM \(edition.year) « \(edition.theme) », region \(region.code) (\(region.name)): \(entries.count) events from \(edition.startsOn) to \(edition.endsOn)"
    }

    public var document: ListingDocument {
        ListingDocument(
            title: title,
            facts: [.init("report", "sism")] + ReportText.regionFacts(region) + [
                .init("edition", String(edition.year)), .init("theme", edition.theme),
            ],
            sections: [.init(name: "events", title: "Events (Europe/Paris times)", listing: listing)])
    }

    /// The programme as a calendar. UIDs are `<proposalId>@clsm-hub`: proposal ids are unique
    /// in the hub and stable across updates, so re-importing an export updates the events.
    public var calendar: ICalendar {
        ICalendar(
            productId: "-//CLSM hub//hub-admin report sism//FR",
            name: "SISM \(edition.year) – \(region.name)",
            calendarDescription: "Semaines d'information sur la santé mentale \(edition.year) : \(edition.theme)",
            events: entries.map { entry in
                let proposal = entry.proposal
                let commune = entry.communeName.map { "\($0) (\(proposal.commune))" } ?? proposal.commune
                var description = [
                    "Proposé par : \(entry.clsmName ?? proposal.clsmId) (\(proposal.clsmId))",
                    "Format : \(proposal.format.rawValue)",
                    "Public : \(proposal.audience)",
                ]
                if let qpv = proposal.qpv {
                    description.append("Quartier prioritaire : \(entry.qpvName.map { "\($0) (\(qpv))" } ?? qpv)")
                }
                if let themes = proposal.themes, !themes.isEmpty {
                    description.append("Thèmes : \(themes.map(\.rawValue).joined(separator: ", "))")
                }
                return ICalendar.Event(
                    uid: "\(proposal.proposalId)@clsm-hub", startsAt: proposal.startsAt, endsAt: proposal.endsAt,
                    summary: proposal.title, location: "\(proposal.venue), \(commune)",
                    description: description.joined(separator: "\n"),
                    categories: ["SISM \(edition.year)", proposal.format.rawValue])
            })
    }
}

/// Times as the reports print them.
enum ReportTime {
    /// RFC 3339 in Europe/Paris civil time (`2026-10-07T14:00:00+02:00`), whatever offset the
    /// proposal was sent with, so that a region's programme reads in one time zone.
    static func paris(_ timestamp: Timestamp) -> String {
        let offset = ParisTime.offsetSeconds(epochMilliseconds: timestamp.epochMilliseconds)
        let seconds = ParisTime.floorDiv(timestamp.epochMilliseconds, 1000) + Int64(offset)
        let day = CalendarDate(daysSinceEpoch: Int(ParisTime.floorDiv(seconds, 86_400)))
        let secondOfDay = Int(seconds - Int64(day.daysSinceEpoch) * 86_400)
        return
            "\(day)T\(Digits.padded(secondOfDay / 3600, 2)):\(Digits.padded(secondOfDay / 60 % 60, 2)):\(Digits.padded(secondOfDay % 60, 2))"
            + "+\(Digits.padded(offset / 3600, 2)):00"
    }
}
