/// Rules for `ptsm.diagnostic.published`: the ARS is told, every active CLSM of the
/// territory gets the priorities it has no working group on, and the ARS sees, per priority,
/// the CLSMs without a working group. A version not newer than the stored one changes nothing.
///
/// Every newer version is a new document, so `ars.ptsm.published` and
/// `ptsm.diagnostic.available` are sent again; `ars.ptsm.priorityUncovered` lists only the
/// priorities whose set of uncovered CLSMs changed since the last report.
enum PtsmRules {
    static func decide(
        _ diagnostic: PtsmDiagnosticPublished, event: DecodedEvent, state: HubState
    ) throws(EventRejection) -> (output: RuleOutput, stale: Bool) {
        let reference = state.reference
        var check = ReferenceCheck()
        check.require(reference.regions[diagnostic.region] != nil, path: "region", "unknown region \(diagnostic.region)")
        for (position, code) in diagnostic.departements.enumerated() {
            check.require(reference.departements[code] != nil, path: "departements[\(position)]", "unknown département \(code)")
        }
        try check.throwIfAny("ptsm.diagnostic.published \(diagnostic.ptsmId)")
        try RegionConsistency.check(
            "ptsm.diagnostic.published \(diagnostic.ptsmId)", region: diagnostic.region, parts: "departements",
            diagnostic.departements.map { ($0, reference.departements[$0]?.region) })

        let previous = state.ptsms[diagnostic.ptsmId]
        if let previous, diagnostic.version <= previous.diagnostic.version {
            return (RuleOutput(), true)
        }
        let territory = Set(diagnostic.departements)
        let clsms = state.clsms.values.filter { $0.isActive && !$0.departements.isDisjoint(with: territory) }.sorted { $0.id < $1.id }
        let priorities = diagnostic.priorities
        var uncovered: [ThemeCode: Set<String>] = [:]
        for priority in priorities {
            let without = Set(clsms.filter { !$0.workingGroups.contains(priority) }.map(\.id))
            if !without.isEmpty { uncovered[priority] = without }
        }
        let subject = NotificationSubject(kind: "ptsm", id: diagnostic.ptsmId)
        let region = diagnostic.region
        let name = French.quoted(diagnostic.name)
        var out = RuleOutput()

        var published: JSONValue = [
            "ptsmId": .string(diagnostic.ptsmId), "name": .string(diagnostic.name), "version": .int(diagnostic.version),
            "departements": .sortedStrings(diagnostic.departements), "priorities": .strings(priorities.map(\.rawValue)),
            "publishedOn": .string(diagnostic.publishedOn.description), "activeClsms": .strings(clsms.map(\.id)),
        ]
        if let previous { published = merging(published, ["previousVersion": .int(previous.diagnostic.version)]) }
        if let url = diagnostic.documentUrl { published = merging(published, ["documentUrl": .string(url)]) }
        out.notify(
            .arsPtsmPublished, to: .ars(region), region: region, subject: subject,
            message:
                "Le PTSM \(name) a publié la version \(diagnostic.version) de son diagnostic territorial partagé (\(French.count(priorities.count, "priorité"))) ; \(French.count(clsms.count, "CLSM actif", "CLSM actifs")) sur son territoire.",
            data: published)

        for clsm in clsms {
            let missing = priorities.filter { !clsm.workingGroups.contains($0) }
            var data: JSONValue = [
                "ptsmId": .string(diagnostic.ptsmId), "name": .string(diagnostic.name), "version": .int(diagnostic.version),
                "priorities": .strings(priorities.map(\.rawValue)), "uncoveredPriorities": .strings(missing.map(\.rawValue)),
            ]
            if let url = diagnostic.documentUrl { data = merging(data, ["documentUrl": .string(url)]) }
            let gap =
                missing.isEmpty
                ? "Votre CLSM a un groupe de travail sur chacune de ces priorités."
                : "Votre CLSM n'a pas de groupe de travail sur : \(French.list(missing.map(French.theme)))."
            out.notify(
                .ptsmDiagnosticAvailable, to: .clsm(clsm.id), region: region, subject: subject,
                message:
                    "Le diagnostic du PTSM \(name) (version \(diagnostic.version)) est disponible ; priorités : \(French.list(priorities.map(French.theme))). \(gap)",
                data: data)
        }

        let changed: [(priority: ThemeCode, clsms: Set<String>)] = priorities.compactMap { priority in
            guard let now = uncovered[priority], previous?.uncoveredPriorities[priority] != now else { return nil }
            return (priority, now)
        }
        if !changed.isEmpty {
            out.notify(
                .arsPtsmPriorityUncovered, to: .ars(region), region: region, subject: subject,
                message:
                    "Priorités du PTSM \(name) sans groupe de travail dans certains CLSM : \(French.list(changed.map { "\(French.theme($0.priority)) (\(French.count($0.clsms.count, "CLSM", "CLSM")))" })).",
                data: [
                    "ptsmId": .string(diagnostic.ptsmId), "version": .int(diagnostic.version),
                    "priorities": .array(changed.map { ["priority": .string($0.priority.rawValue), "clsms": .sortedStrings($0.clsms)] }),
                ])
        }
        out.changes.append(.putPtsm(PtsmRecord(diagnostic: diagnostic, lastEvent: event.identity, uncoveredPriorities: uncovered)))
        return (out, false)
    }
}
