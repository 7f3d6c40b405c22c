/// Rules for `clsm.declared`: registration, the "quatre quarts" governance check, and
/// articulation by territory (PTSM by département, CLS by shared commune, ASV by QPV, QPVs
/// without ASV, overlaps between active CLSMs), with the politique de la ville intersection
/// in the ARS's data.
///
/// On a re-declaration every articulation rule compares the current picture with what the
/// CLSM record says was already notified (`ClsmArticulation`) and notifies only the new part.
/// A `stopped` CLSM is recorded but triggers no governance or articulation notification.
enum ClsmRules {
    static func decide(_ declaration: ClsmDeclared, event: DecodedEvent, state: HubState) throws(EventRejection) -> RuleOutput {
        let reference = state.reference
        var check = ReferenceCheck()
        check.require(reference.regions[declaration.region] != nil, path: "region", "unknown region \(declaration.region)")
        for (position, code) in declaration.communes.enumerated() {
            check.require(reference.communes[code] != nil, path: "communes[\(position)]", "unknown commune \(code)")
        }
        try check.throwIfAny("clsm.declared \(declaration.clsmId)")
        try RegionConsistency.check(
            "clsm.declared \(declaration.clsmId)", region: declaration.region, parts: "communes",
            declaration.communes.map { ($0, reference.region(ofCommune: $0)) })

        let previous = state.clsms[declaration.clsmId]
        let communes = Set(declaration.communes)
        let departements = Set(declaration.communes.compactMap { reference.communes[$0]?.departement })
        let context = Context(
            declaration: declaration, communes: communes, reference: reference, coveredQpvs: reference.qpvs(inCommunes: communes))
        var articulation = previous?.articulation ?? ClsmArticulation()
        var out = RuleOutput()

        registration(context, previous: previous, out: &out)
        if declaration.status != .stopped {
            governance(context, articulation: &articulation, out: &out)
            ptsms(context, departements: departements, state: state, articulation: &articulation, out: &out)
            cls(context, articulation: &articulation, out: &out)
            asvs(context, articulation: &articulation, out: &out)
            qpvsWithoutAsv(context, articulation: &articulation, out: &out)
            overlaps(context, state: state, articulation: &articulation, out: &out)
        }

        let declarationChanged = previous?.declaration != declaration
        let record = ClsmRecord(
            declaration: declaration, lastEvent: declarationChanged ? event.identity : previous!.lastEvent,
            departements: departements, articulation: articulation)
        if record != previous {
            out.changes.insert(.putClsm(record), at: 0)
        }
        return out
    }

    /// What every rule needs about the declaration.
    struct Context {
        var declaration: ClsmDeclared
        var communes: Set<String>
        var reference: ReferenceData
        /// QPVs lying in the CLSM's communes (computed once: several rules read it).
        var coveredQpvs: [Qpv]

        var id: String { declaration.clsmId }
        var region: String { declaration.region }
        var name: String { French.quoted(declaration.name) }
        var subject: NotificationSubject { NotificationSubject(kind: "clsm", id: declaration.clsmId) }

        /// The CGET intersection rule: an active CLSM intersects the politique de la ville
        /// when at least one of its communes (or arrondissements) holds a QPV.
        var politiqueDeLaVille: JSONValue {
            let qpvs = coveredQpvs
            let communesWithQpv = MunicipalArrondissements.shared(qpvs.flatMap(\.communes), communes)
            return [
                "intersects": .bool(declaration.status == .active && !qpvs.isEmpty),
                "communesWithQpv": .sortedStrings(communesWithQpv),
                "qpvs": .sortedStrings(qpvs.map(\.code)),
            ]
        }
    }

    // MARK: clsm.registered / clsm.updated

    static func registration(_ c: Context, previous: ClsmRecord?, out: inout RuleOutput) {
        let d = c.declaration
        var data: JSONValue = [
            "clsmId": .string(d.clsmId), "name": .string(d.name), "status": .string(d.status.rawValue),
            "scale": .string(d.scale.rawValue), "communes": .sortedStrings(d.communes),
            "missingMembers": .sortedStrings(GovernanceMember.quatreQuarts.subtracting(d.governance.members).map(\.rawValue)),
            "workingGroups": .sortedStrings((d.workingGroups ?? []).map(\.rawValue)),
            "politiqueDeLaVille": c.politiqueDeLaVille,
        ]
        guard let previous else {
            let qpvNote =
                c.coveredQpvs.isEmpty
                ? ""
                : " Il couvre \(French.count(c.coveredQpvs.count, "quartier prioritaire", "quartiers prioritaires")) de la politique de la ville."
            out.notify(
                .clsmRegistered, to: .ars(c.region), region: c.region, subject: c.subject,
                message:
                    "Nouveau CLSM déclaré : \(c.name), \(French.status(d.status)), \(French.count(d.communes.count, "commune")).\(qpvNote)",
                data: data)
            return
        }
        guard previous.declaration != d else { return }
        let changed = changedFields(previous.declaration, d)
        data = merging(data, ["changedFields": .strings(changed), "previousStatus": .string(previous.declaration.status.rawValue)])
        out.notify(
            .clsmUpdated, to: .ars(c.region), region: c.region, subject: c.subject,
            message: "Le CLSM \(c.name) a mis à jour sa déclaration (modifié : \(changed.joined(separator: ", "))).",
            data: data)
    }

    /// Top-level payload fields whose value differs, sorted.
    static func changedFields(_ old: ClsmDeclared, _ new: ClsmDeclared) -> [String] {
        fieldComparisons(old, new).filter(\.differs).map(\.field).sorted()
    }

    /// Every payload field (`ClsmDeclared.fields`, checked by a test) and whether it differs.
    /// Compared as values rather than through their JSON (what the contract's "changed
    /// fields" means, and a test says both agree): re-declarations are frequent, and
    /// encoding two declarations to compare them is work thrown away.
    static func fieldComparisons(_ old: ClsmDeclared, _ new: ClsmDeclared) -> [(field: String, differs: Bool)] {
        [
            ("clsmId", old.clsmId != new.clsmId), ("name", old.name != new.name),
            ("region", old.region != new.region), ("status", old.status != new.status),
            ("scale", old.scale != new.scale), ("communes", old.communes != new.communes),
            ("governance", old.governance != new.governance), ("createdOn", old.createdOn != new.createdOn),
            ("population", old.population != new.population),
            ("psychiatricSectors", old.psychiatricSectors != new.psychiatricSectors),
            ("coordinator", old.coordinator != new.coordinator), ("workingGroups", old.workingGroups != new.workingGroups),
        ]
    }

    // MARK: clsm.governance.incomplete / clsm.childPsychiatry.absent

    static func governance(_ c: Context, articulation: inout ClsmArticulation, out: inout RuleOutput) {
        let members = Set(c.declaration.governance.members)
        let missing = GovernanceMember.quatreQuarts.subtracting(members)
        if !missing.isEmpty, missing != articulation.missingMembers {
            let labels = GovernanceMember.allCases.filter(missing.contains).map(French.member)
            let data: JSONValue = [
                "clsmId": .string(c.id), "missingMembers": .sortedStrings(missing.map(\.rawValue)),
                "previousMissingMembers": .sortedStrings(articulation.missingMembers.map(\.rawValue)),
                "copil": .bool(c.declaration.governance.copil), "plenaryAssembly": .bool(c.declaration.governance.plenaryAssembly),
            ]
            let message =
                "Gouvernance incomplète du CLSM \(c.name) : il manque \(French.list(labels)) parmi les « quatre quarts » (élus, psychiatrie publique, usagers, aidants)."
            out.notify(.clsmGovernanceIncomplete, to: .ars(c.region), region: c.region, subject: c.subject, message: message, data: data)
            out.notify(.clsmGovernanceIncomplete, to: .clsm(c.id), region: c.region, subject: c.subject, message: message, data: data)
        }
        articulation.missingMembers = missing

        let childAbsent = !members.contains(.childPsychiatry)
        if childAbsent, !articulation.childPsychiatryAbsent {
            out.notify(
                .clsmChildPsychiatryAbsent, to: .clsm(c.id), region: c.region, subject: c.subject,
                message:
                    "La psychiatrie infanto-juvénile n'est pas représentée dans la gouvernance du CLSM \(c.name) ; l'instruction de 2016 recommande sa présence.",
                data: ["clsmId": .string(c.id)])
        }
        articulation.childPsychiatryAbsent = childAbsent
    }

    // MARK: ptsm.clsm.onTerritory

    static func ptsms(_ c: Context, departements: Set<String>, state: HubState, articulation: inout ClsmArticulation, out: inout RuleOutput)
    {
        let onTerritory = state.ptsms.values.filter { !$0.departements.isDisjoint(with: departements) }.sorted { $0.id < $1.id }
        for ptsm in onTerritory where !articulation.ptsms.contains(ptsm.id) {
            let shared = c.communes.filter { code in c.reference.communes[code].map { ptsm.departements.contains($0.departement) } ?? false
            }
            out.notify(
                .ptsmClsmOnTerritory, to: .ptsm(ptsm.id), region: c.region, subject: c.subject,
                message:
                    "Le CLSM \(c.name) (\(French.status(c.declaration.status))) est déclaré sur le territoire du PTSM \(French.quoted(ptsm.diagnostic.name)) : \(French.communes(shared, c.reference)).",
                data: [
                    "clsmId": .string(c.id), "name": .string(c.declaration.name), "status": .string(c.declaration.status.rawValue),
                    "communes": .sortedStrings(shared),
                    "workingGroups": .sortedStrings((c.declaration.workingGroups ?? []).map(\.rawValue)),
                ])
        }
        articulation.ptsms = Set(onTerritory.map(\.id))
    }

    // MARK: cls.clsm.overlap

    static func cls(_ c: Context, articulation: inout ClsmArticulation, out: inout RuleOutput) {
        var current: [String: Set<String>] = [:]
        for cls in c.reference.cls(coveringAny: c.communes) {
            let shared = MunicipalArrondissements.shared(c.communes, cls.communes)
            current[cls.id] = shared
            let new = shared.subtracting(articulation.cls[cls.id] ?? [])
            guard !new.isEmpty else { continue }
            out.notify(
                .clsClsmOverlap, to: .cls(cls.id), region: c.region, subject: c.subject,
                message: "Le CLSM \(c.name) couvre des communes de votre contrat local de santé : \(French.communes(new, c.reference)).",
                data: [
                    "clsmId": .string(c.id), "name": .string(c.declaration.name), "status": .string(c.declaration.status.rawValue),
                    "sharedCommunes": .sortedStrings(shared), "newCommunes": .sortedStrings(new),
                ])
        }
        articulation.cls = current
    }

    // MARK: asv.clsm.coversQpv

    static func asvs(_ c: Context, articulation: inout ClsmArticulation, out: inout RuleOutput) {
        var current: [String: Set<String>] = [:]
        for qpv in c.coveredQpvs {
            for asv in c.reference.asvs(servingQpv: qpv.code) {
                current[asv.id, default: []].insert(qpv.code)
            }
        }
        for asvId in current.keys.sorted() {
            let covered = current[asvId]!
            let new = covered.subtracting(articulation.asvs[asvId] ?? [])
            guard !new.isEmpty else { continue }
            out.notify(
                .asvClsmCoversQpv, to: .asv(asvId), region: c.region, subject: c.subject,
                message:
                    "Le CLSM \(c.name) couvre des quartiers prioritaires que votre atelier santé ville accompagne : \(French.qpvs(new, c.reference)).",
                data: [
                    "clsmId": .string(c.id), "name": .string(c.declaration.name), "status": .string(c.declaration.status.rawValue),
                    "qpvs": .sortedStrings(covered), "newQpvs": .sortedStrings(new),
                ])
        }
        articulation.asvs = current
    }

    // MARK: ars.qpv.withoutAsv

    static func qpvsWithoutAsv(_ c: Context, articulation: inout ClsmArticulation, out: inout RuleOutput) {
        let without = Set(c.coveredQpvs.filter { c.reference.asvs(servingQpv: $0.code).isEmpty }.map(\.code))
        let new = without.subtracting(articulation.qpvsWithoutAsv)
        if !new.isEmpty {
            out.notify(
                .arsQpvWithoutAsv, to: .ars(c.region), region: c.region, subject: c.subject,
                message:
                    "Le CLSM \(c.name) couvre \(French.count(new.count, "quartier prioritaire", "quartiers prioritaires")) sans atelier santé ville : \(French.qpvs(new, c.reference)).",
                data: [
                    "clsmId": .string(c.id), "qpvs": .sortedStrings(without), "newQpvs": .sortedStrings(new),
                    "qpvsCovered": .int(c.coveredQpvs.count),
                    "politiqueDeLaVille": c.politiqueDeLaVille,
                ])
        }
        articulation.qpvsWithoutAsv = without
    }

    // MARK: clsm.territory.overlap

    static func overlaps(_ c: Context, state: HubState, articulation: inout ClsmArticulation, out: inout RuleOutput) {
        var current: [String: Set<String>] = [:]
        if c.declaration.status == .active {
            for other in state.clsms.values where other.id != c.id && other.isActive {
                let shared = MunicipalArrondissements.shared(c.communes, other.declaration.communes)
                if !shared.isEmpty { current[other.id] = shared }
            }
        }
        var newOverlaps: [(other: ClsmRecord, communes: Set<String>)] = []
        for otherId in current.keys.sorted() {
            let other = state.clsms[otherId]!
            let shared = current[otherId]!
            if other.articulation.overlaps[c.id] != shared {
                out.changes.append(.recordOverlap(clsmId: otherId, otherClsmId: c.id, communes: shared))
            }
            // Reported before only if both records say so: a side that stopped overlapping in
            // between dropped its entry, and the overlap is news again.
            let reported = (articulation.overlaps[otherId] ?? []).intersection(other.articulation.overlaps[c.id] ?? [])
            let new = shared.subtracting(reported)
            if !new.isEmpty { newOverlaps.append((other, new)) }
        }
        articulation.overlaps = current
        guard !newOverlaps.isEmpty else { return }

        func entry(_ other: ClsmRecord, _ communes: Set<String>) -> JSONValue {
            ["clsmId": .string(other.id), "name": .string(other.declaration.name), "communes": .sortedStrings(communes)]
        }
        func sentence(_ other: ClsmRecord, _ communes: Set<String>) -> String {
            "\(French.quoted(other.declaration.name)) sur \(French.communes(communes, c.reference))"
        }
        let all = newOverlaps.map { entry($0.other, $0.communes) }
        let summary = French.list(newOverlaps.map { sentence($0.other, $0.communes) })
        let data: JSONValue = ["clsmId": .string(c.id), "name": .string(c.declaration.name), "overlaps": .array(all)]
        out.notify(
            .clsmTerritoryOverlap, to: .ars(c.region), region: c.region, subject: c.subject,
            message: "Chevauchement de territoires : le CLSM actif \(c.name) partage des communes avec d'autres CLSM actifs : \(summary).",
            data: data)
        out.notify(
            .clsmTerritoryOverlap, to: .clsm(c.id), region: c.region, subject: c.subject,
            message: "Votre CLSM partage des communes avec d'autres CLSM actifs : \(summary).",
            data: data)
        for (other, communes) in newOverlaps {
            out.notify(
                .clsmTerritoryOverlap, to: .clsm(other.id), region: c.region, subject: c.subject,
                message: "Le CLSM actif \(c.name) couvre aussi \(French.communes(communes, c.reference)), sur le territoire de votre CLSM.",
                data: ["clsmId": .string(c.id), "name": .string(c.declaration.name), "overlaps": [entry(other, communes)]])
        }
    }
}

/// Shallow merge of two JSON objects (right wins).
func merging(_ left: JSONValue, _ right: JSONValue) -> JSONValue {
    guard case .object(var members) = left, case .object(let extra) = right else { return right }
    for (key, value) in extra { members[key] = value }
    return .object(members)
}
