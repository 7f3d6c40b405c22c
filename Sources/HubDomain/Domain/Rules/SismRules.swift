/// Rules for `sism.event.proposed`: the answer to the CLSM (accepted, or rejected with
/// reasons: a business refusal, not a dead letter), the regional programme counts for the
/// ARS, schedule clashes with other CLSMs, and the ASVs of the event's QPV.
///
/// Edition windows are Europe/Paris calendar days: a proposal fits when the Paris dates of
/// `startsAt` and `endsAt` both lie in [startsOn, endsOn]. A cancellation (`cancelled: true`)
/// is always accepted; cancelled and rejected proposals neither count nor clash.
enum SismRules {
    static func decide(_ proposal: SismEventProposed, event: DecodedEvent, state: HubState) throws(EventRejection) -> RuleOutput {
        let reference = state.reference
        var check = ReferenceCheck()
        let clsm = state.clsms[proposal.clsmId]
        let edition = reference.sismEditions[proposal.edition]
        check.require(clsm != nil, path: "clsmId", "unknown CLSM \(proposal.clsmId) (no clsm.declared received for it)")
        check.require(edition != nil, path: "edition", "SISM edition \(proposal.edition) is not in reference data")
        check.require(reference.communes[proposal.commune] != nil, path: "commune", "unknown commune \(proposal.commune)")
        if let qpv = proposal.qpv {
            check.require(reference.qpvs[qpv] != nil, path: "qpv", "unknown QPV \(qpv)")
        }
        try check.throwIfAny("sism.event.proposed \(proposal.proposalId)")
        guard let clsm, let edition else { return RuleOutput() }

        let previous = state.sismProposals[proposal.proposalId]
        let reasons = rejectionReasons(proposal, clsm: clsm, edition: edition)
        if let previous, previous.proposal == proposal, previous.rejectionReasons == reasons {
            return RuleOutput()  // the same proposal with the same answer: nothing changed
        }
        var record = SismProposalRecord(
            proposal: proposal, lastEvent: event.identity, region: clsm.declaration.region, rejectionReasons: reasons,
            notifiedClashes: previous?.notifiedClashes ?? [])
        let context = Context(proposal: proposal, clsm: clsm, edition: edition, reference: reference)
        var out = RuleOutput()

        answer(context, reasons: reasons, out: &out)
        programme(context, record: record, previous: previous, state: state, out: &out)
        clashes(context, record: &record, state: state, out: &out)
        asvs(context, record: record, previous: previous, out: &out)
        out.changes.insert(.putSismProposal(record), at: 0)
        return out
    }

    struct Context {
        var proposal: SismEventProposed
        var clsm: ClsmRecord
        var edition: SismEdition
        var reference: ReferenceData

        var region: String { clsm.declaration.region }
        var subject: NotificationSubject { NotificationSubject(kind: "sismProposal", id: proposal.proposalId) }
        var title: String { French.quoted(proposal.title) }
        var when: String {
            let start = proposal.startsAt.parisDate
            let end = proposal.endsAt.parisDate
            return start == end ? "le \(French.date(start))" : "du \(French.date(start)) au \(French.date(end))"
        }
    }

    static func rejectionReasons(_ proposal: SismEventProposed, clsm: ClsmRecord, edition: SismEdition) -> [SismRejectionReason] {
        guard !proposal.isCancelled else { return [] }
        var reasons: [SismRejectionReason] = []
        if !clsm.isActive { reasons.append(.clsmNotActive) }
        if !edition.contains(proposal.startsAt.parisDate) || !edition.contains(proposal.endsAt.parisDate) {
            reasons.append(.outsideEditionWindow)
        }
        if !MunicipalArrondissements.meets(proposal.commune, anyOf: clsm.communes) { reasons.append(.communeOutsideTerritory) }
        return reasons
    }

    // MARK: sism.proposal.accepted / sism.proposal.rejected

    static func answer(_ c: Context, reasons: [SismRejectionReason], out: inout RuleOutput) {
        let p = c.proposal
        var data: JSONValue = [
            "proposalId": .string(p.proposalId), "clsmId": .string(p.clsmId), "edition": .int(p.edition),
            "commune": .string(p.commune), "format": .string(p.format.rawValue), "startsAt": .string(p.startsAt.text),
            "endsAt": .string(p.endsAt.text), "cancelled": .bool(p.isCancelled),
        ]
        if let qpv = p.qpv { data = merging(data, ["qpv": .string(qpv)]) }
        guard !reasons.isEmpty else {
            let message =
                p.isCancelled
                ? "L'annulation de \(c.title) (SISM \(p.edition)) est enregistrée."
                : "Votre proposition \(c.title) (\(French.format(p.format)), \(c.when) à \(French.commune(p.commune, c.reference))) est retenue dans le programme des SISM \(p.edition)."
            out.notify(.sismProposalAccepted, to: .clsm(p.clsmId), region: c.region, subject: c.subject, message: message, data: data)
            return
        }
        let explained: [(JSONValue, String)] = reasons.map { reason in
            switch reason {
            case .clsmNotActive:
                return (
                    ["code": .string(reason.rawValue), "status": .string(c.clsm.declaration.status.rawValue)],
                    "le CLSM n'est pas actif (statut : \(French.status(c.clsm.declaration.status)))"
                )
            case .outsideEditionWindow:
                return (
                    [
                        "code": .string(reason.rawValue),
                        "startsOn": .string(c.edition.startsOn.description), "endsOn": .string(c.edition.endsOn.description),
                        "localStartDate": .string(p.startsAt.parisDate.description),
                        "localEndDate": .string(p.endsAt.parisDate.description),
                        "timeZone": "Europe/Paris",
                    ],
                    "les dates (\(c.when)) sont hors de la période de l'édition, du \(French.date(c.edition.startsOn)) au \(French.date(c.edition.endsOn))"
                )
            case .communeOutsideTerritory:
                return (
                    ["code": .string(reason.rawValue), "commune": .string(p.commune)],
                    "la commune \(French.commune(p.commune, c.reference)) ne fait pas partie du territoire du CLSM"
                )
            }
        }
        data = merging(data, ["reasons": .array(explained.map(\.0))])
        out.notify(
            .sismProposalRejected, to: .clsm(p.clsmId), region: c.region, subject: c.subject,
            message: "Votre proposition \(c.title) pour les SISM \(p.edition) n'est pas retenue : \(French.list(explained.map(\.1))).",
            data: data)
    }

    // MARK: sism.programme.updated

    /// Counts of the regional programme of one edition, as the notification reports them.
    /// The communes and CLSMs are the tally's key views (compared as sets, without copying
    /// the hundreds of keys a region's programme has); `byFormat` omits formats with none,
    /// as the tally does.
    struct ProgrammeCounts: Equatable {
        var scheduled: Int
        var byFormat: [String: Int]
        var communes: Dictionary<String, Int>.Keys
        var clsms: Dictionary<String, Int>.Keys
        var qpvEvents: Int
        var cancelled: Int
        var rejected: Int

        init(_ tally: SismProgrammeTally) {
            scheduled = tally.scheduled
            byFormat = tally.byFormat
            communes = tally.communes.keys
            clsms = tally.clsms.keys
            qpvEvents = tally.qpvEvents
            cancelled = tally.cancelled
            rejected = tally.rejected
        }

        var json: JSONValue {
            var formats: [String: JSONValue] = [:]
            for format in SismFormat.allCases { formats[format.rawValue] = .int(byFormat[format.rawValue] ?? 0) }
            return [
                "proposals": .int(scheduled), "byFormat": .object(formats), "communes": .int(communes.count),
                "clsms": .int(clsms.count), "qpvEvents": .int(qpvEvents), "cancelled": .int(cancelled), "rejected": .int(rejected),
            ]
        }
    }

    /// Moves `record` (replacing `previous`) in the programme tallies, and tells the ARS when
    /// the programme of the proposal's region changed. `previous` may count in another
    /// programme (its CLSM changed region, or the proposal its edition): that tally loses it.
    static func programme(_ c: Context, record: SismProposalRecord, previous: SismProposalRecord?, state: HubState, out: inout RuleOutput) {
        let id = SismProgrammeId(of: record)
        var tallies: [SismProgrammeId: SismProgrammeTally] = [:]
        func tally(_ programme: SismProgrammeId) -> SismProgrammeTally {
            tallies[programme] ?? state.sismProgrammes[programme] ?? SismProgrammeTally(programme)
        }
        let before = tally(id)
        if let previous {
            var left = tally(SismProgrammeId(of: previous))
            left.count(previous, -1)
            tallies[left.id] = left
        }
        let after = tally(id).counting(record)
        tallies[id] = after
        for programme in tallies.keys.sorted() {
            let tally = tallies[programme]!
            if (tally.isEmpty ? nil : tally) != state.sismProgrammes[programme] {
                out.changes.append(.putSismProgramme(tally))
            }
        }

        let counts = ProgrammeCounts(after)
        // A refusal alone does not change the programme: the ARS is told when what is
        // scheduled (or cancelled) changes; `rejected` is context in the data.
        var previousCounts = ProgrammeCounts(before)
        previousCounts.rejected = counts.rejected
        guard previousCounts != counts else { return }
        let data = merging(
            counts.json,
            [
                "edition": .int(c.proposal.edition), "region": .string(c.region), "theme": .string(c.edition.theme),
                "changedProposalId": .string(record.id),
            ])
        out.notify(
            .sismProgrammeUpdated, to: .ars(c.region), region: c.region, subject: c.subject,
            message:
                "Programme régional des SISM \(c.proposal.edition) (« \(c.edition.theme) ») : \(French.count(counts.scheduled, "événement retenu", "événements retenus")) dans \(French.count(counts.communes.count, "commune")), \(French.count(counts.clsms.count, "CLSM", "CLSM")).",
            data: data)
    }

    // MARK: sism.schedule.clash

    static func clashes(_ c: Context, record: inout SismProposalRecord, state: HubState, out: inout RuleOutput) {
        let p = c.proposal
        let previouslyNotified = record.notifiedClashes
        guard record.isScheduled else {
            record.notifiedClashes = []
            return
        }
        // The slice holds the proposals of every schedule its segment named: test the
        // edition and the (five-character) commune first, the long identifiers last.
        let current = state.sismProposals.values.filter { other in
            other.proposal.edition == p.edition && other.proposal.commune == p.commune && other.isScheduled
                && other.proposal.startsAt.isBefore(p.endsAt) && p.startsAt.isBefore(other.proposal.endsAt)
                && other.proposal.clsmId != p.clsmId && other.id != p.proposalId
        }.sorted { $0.id < $1.id }
        // Reported before only if both records say so (a side that stopped clashing in
        // between dropped its entry, and the clash is news again).
        let clashing = current.filter { !(previouslyNotified.contains($0.id) && $0.notifiedClashes.contains(p.proposalId)) }
        record.notifiedClashes = Set(current.map(\.id))
        for other in current where !other.notifiedClashes.contains(p.proposalId) {
            out.changes.append(.recordClash(proposalId: other.id, otherProposalId: p.proposalId))
        }
        guard !clashing.isEmpty else { return }

        func entry(_ q: SismEventProposed) -> JSONValue {
            [
                "proposalId": .string(q.proposalId), "clsmId": .string(q.clsmId), "title": .string(q.title),
                "startsAt": .string(q.startsAt.text), "endsAt": .string(q.endsAt.text), "venue": .string(q.venue),
            ]
        }
        let commune = French.commune(p.commune, c.reference)
        out.notify(
            .sismScheduleClash, to: .clsm(p.clsmId), region: c.region, subject: c.subject,
            message:
                "Chevauchement d'horaires à \(commune) : \(c.title) a lieu en même temps que \(French.list(clashing.map { "\(French.quoted($0.proposal.title)) (CLSM \($0.proposal.clsmId))" })).",
            data: [
                "edition": .int(p.edition), "commune": .string(p.commune), "proposal": entry(p),
                "clashesWith": .array(clashing.map { entry($0.proposal) }),
            ])
        let byClsm = Dictionary(grouping: clashing, by: { $0.proposal.clsmId })
        for clsmId in byClsm.keys.sorted() {
            let theirs = byClsm[clsmId]!
            out.notify(
                .sismScheduleClash, to: .clsm(clsmId), region: c.region, subject: c.subject,
                message:
                    "Chevauchement d'horaires à \(commune) : \(c.title) (CLSM \(p.clsmId)) a lieu en même temps que \(French.list(theirs.map { French.quoted($0.proposal.title) })).",
                data: [
                    "edition": .int(p.edition), "commune": .string(p.commune), "proposal": entry(p),
                    "clashesWith": .array(theirs.map { entry($0.proposal) }),
                ])
        }
    }

    // MARK: asv.sism.inQpv

    static func asvs(_ c: Context, record: SismProposalRecord, previous: SismProposalRecord?, out: inout RuleOutput) {
        guard let qpv = c.proposal.qpv else { return }
        let tell: Bool
        if record.isScheduled {
            tell = previous?.isScheduled != true || previous?.proposal != c.proposal
        } else {
            // A cancellation (or a change that took it out of the programme) of an event the ASV was told about.
            tell = previous?.isScheduled == true && previous?.proposal.qpv == qpv
        }
        guard tell else { return }
        let p = c.proposal
        let inProgramme = record.isScheduled
        for asv in c.reference.asvs(servingQpv: qpv) {
            out.notify(
                .asvSismInQpv, to: .asv(asv.id), region: c.region, subject: c.subject,
                message: inProgramme
                    ? "Un événement des SISM \(p.edition) a lieu dans le quartier prioritaire \(French.qpv(qpv, c.reference)) : \(c.title) (\(French.format(p.format))), \(c.when), lieu : \(p.venue)."
                    : "L'événement des SISM \(p.edition) \(c.title) prévu dans le quartier prioritaire \(French.qpv(qpv, c.reference)) n'aura pas lieu.",
                data: [
                    "proposalId": .string(p.proposalId), "clsmId": .string(p.clsmId), "edition": .int(p.edition), "qpv": .string(qpv),
                    "title": .string(p.title), "format": .string(p.format.rawValue), "startsAt": .string(p.startsAt.text),
                    "endsAt": .string(p.endsAt.text), "venue": .string(p.venue), "audience": .string(p.audience),
                    "inProgramme": .bool(inProgramme), "cancelled": .bool(p.isCancelled),
                ])
        }
    }
}
