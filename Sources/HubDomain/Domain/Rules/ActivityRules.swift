/// Rules for `clsm.activity.reported` (contract v1.1): the ARS gets each CLSM's yearly
/// report; a year without any COPIL or plenary assembly, a vacant coordinator post and a
/// "quatre quarts" member not involved are flagged. A report whose version is not newer than
/// the stored one for the same CLSM and year changes nothing (`stale`).
///
/// Only what changed: a newer version of a year's report raises `clsm.governance.inactive`,
/// `ars.coordinator.vacant` and `clsm.quatreQuarts.notInvolved` only when the previous
/// version of that year did not already (for the last, when the set of members not involved
/// changed); `ars.activity.reported` is sent for every newer version.
enum ActivityRules {
    static func decide(
        _ report: ClsmActivityReported, event: DecodedEvent, state: HubState
    ) throws(EventRejection) -> (output: RuleOutput, stale: Bool) {
        var check = ReferenceCheck()
        let clsm = state.clsms[report.clsmId]
        check.require(clsm != nil, path: "clsmId", "unknown CLSM \(report.clsmId) (declare it on clsm.declared first)")
        try check.throwIfAny("clsm.activity.reported \(report.clsmId) \(report.year)")
        guard let clsm else { return (RuleOutput(), true) }

        let previous = state.activityReports[report.key]
        if let previous, report.version <= previous.report.version {
            return (RuleOutput(), true)
        }
        let region = clsm.declaration.region
        let subject = NotificationSubject(kind: "clsm", id: report.clsmId)
        let name = French.quoted(clsm.declaration.name)
        let year = report.year
        var out = RuleOutput()

        let notInvolved = notInvolvedQuarts(report)
        var data: JSONValue = [
            "clsmId": .string(report.clsmId), "name": .string(clsm.declaration.name), "year": .int(year),
            "version": .int(report.version), "reportedOn": .string(report.reportedOn.description),
            "meetings": [
                "copil": .int(report.meetings.copil), "plenaryAssembly": .int(report.meetings.plenaryAssembly),
                "technicalCommittee": .int(report.meetings.technicalCommittee), "workingGroups": .int(report.meetings.workingGroups),
            ],
            "userParticipation": .string(report.userParticipation.rawValue),
            "coordinatorVacant": .bool(report.coordinator.vacant), "coordinatorFte": .number(report.coordinator.fte),
            "needsDiagnostic": .string(report.needsDiagnostic.rawValue), "ownBudget": .bool(report.ownBudget),
            "themes": .strings(report.themes.sorted().map(\.rawValue)), "sismParticipation": .bool(report.sismParticipation),
            "notInvolved": .strings(notInvolved.map(\.rawValue)),
        ]
        if let previous { data = merging(data, ["previousVersion": .int(previous.report.version)]) }
        let revision = previous.map { " (version \(report.version), remplace la version \($0.report.version))" } ?? ""
        out.notify(
            .arsActivityReported, to: .ars(region), region: region, subject: subject,
            message:
                "Le CLSM \(name) a transmis son rapport d'activité \(year)\(revision) : \(French.count(report.meetings.copil, "COPIL", "COPIL")), \(French.count(report.meetings.plenaryAssembly, "assemblée plénière", "assemblées plénières")), \(French.count(report.actions.count, "thématique", "thématiques")) travaillées.",
            data: data)

        if report.governanceInactive, previous.map({ !$0.report.governanceInactive }) ?? true {
            let governance: JSONValue = [
                "clsmId": .string(report.clsmId), "year": .int(year), "version": .int(report.version),
                "copil": .int(report.meetings.copil), "plenaryAssembly": .int(report.meetings.plenaryAssembly),
                "technicalCommittee": .int(report.meetings.technicalCommittee), "workingGroups": .int(report.meetings.workingGroups),
                "declaredCopil": .bool(clsm.declaration.governance.copil),
                "declaredPlenaryAssembly": .bool(clsm.declaration.governance.plenaryAssembly),
            ]
            let message =
                "Le CLSM \(name) n'a réuni ni comité de pilotage ni assemblée plénière en \(year) : sa gouvernance est à relancer (l'instruction de 2016 recommande un COPIL et une assemblée plénière au moins une fois par an)."
            for recipient in [Recipient.ars(region), .clsm(report.clsmId)] {
                out.notify(.clsmGovernanceInactive, to: recipient, region: region, subject: subject, message: message, data: governance)
            }
        }

        if report.coordinator.vacant, previous.map({ !$0.report.coordinator.vacant }) ?? true {
            var vacant: JSONValue = [
                "clsmId": .string(report.clsmId), "name": .string(clsm.declaration.name), "year": .int(year),
                "version": .int(report.version), "fte": .number(report.coordinator.fte),
                "clsmsCoordinated": .int(report.coordinator.clsmsCoordinated),
                "funders": .strings(report.coordinator.funders.sorted().map(\.rawValue)),
            ]
            if let employer = report.coordinator.employer { vacant = merging(vacant, ["employer": .string(employer.rawValue)]) }
            let shared = report.coordinator.isShared ? " (poste partagé entre \(report.coordinator.clsmsCoordinated) CLSM)" : ""
            out.notify(
                .arsCoordinatorVacant, to: .ars(region), region: region, subject: subject,
                message:
                    "Le poste de coordination du CLSM \(name) est vacant (\(French.fte(report.coordinator.fte)) ETP\(shared)) d'après son rapport d'activité \(year).",
                data: vacant)
        }

        let previousNotInvolved = previous.map { notInvolvedQuarts($0.report) } ?? []
        if !notInvolved.isEmpty, notInvolved != previousNotInvolved {
            let statuses = notInvolved.compactMap { member in report.involvement.status(of: member).map { (member, $0) } }
            let members = statuses.map { member, status -> JSONValue in
                ["member": .string(member.rawValue), "status": .string(status.rawValue)]
            }
            out.notify(
                .clsmQuatreQuartsNotInvolved, to: .clsm(report.clsmId), region: region, subject: subject,
                message:
                    "Membres des « quatre quarts » non impliqués en \(year) d'après votre rapport d'activité : \(French.list(statuses.map { "\(French.member($0)) (\(French.involvement($1)))" })). Les « quatre quarts » sont la condition d'un CLSM.",
                data: [
                    "clsmId": .string(report.clsmId), "year": .int(year), "version": .int(report.version), "members": .array(members),
                    "previousMembers": .strings(previousNotInvolved.map(\.rawValue)),
                ])
        }

        out.changes.append(.putActivityReport(ActivityReportRecord(report: report, region: region, lastEvent: event.identity)))
        return (out, false)
    }

    /// The "quatre quarts" members the report does not give as involved, in the order of
    /// `GovernanceMember`.
    static func notInvolvedQuarts(_ report: ClsmActivityReported) -> [GovernanceMember] {
        report.involvement.byMember.filter { GovernanceMember.quatreQuarts.contains($0.0) && $0.1 != .involved }.map(\.0)
    }
}
