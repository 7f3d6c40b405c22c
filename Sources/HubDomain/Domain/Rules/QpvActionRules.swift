/// Rules for `qpv.action.recorded`: the ASVs of the QPV and the CLS of its commune are told
/// (the recorder itself is not told about its own action), and the ARS is warned when the
/// recorder is a CLSM whose territory does not cover the QPV's commune.
///
/// A re-recorded action that is identical changes nothing; a changed one is notified again
/// with `update: true`; the ARS warning is sent once per (recorder, QPV).
enum QpvActionRules {
    static func decide(_ action: QpvActionRecorded, event: DecodedEvent, state: HubState) throws(EventRejection) -> RuleOutput {
        let reference = state.reference
        var check = ReferenceCheck()
        let qpv = reference.qpvs[action.qpv]
        check.require(qpv != nil, path: "qpv", "unknown QPV \(action.qpv)")
        let recorderId = action.recordedBy.id
        switch action.recordedBy.kind {
        case .clsm: check.require(state.clsms[recorderId] != nil, path: "recordedBy.id", "unknown CLSM \(recorderId)")
        case .asv: check.require(reference.asvs[recorderId] != nil, path: "recordedBy.id", "unknown ASV \(recorderId)")
        case .cls: check.require(reference.cls[recorderId] != nil, path: "recordedBy.id", "unknown CLS \(recorderId)")
        }
        try check.throwIfAny("qpv.action.recorded \(action.actionId)")
        guard let qpv else { return RuleOutput() }

        let previous = state.qpvActions[action.actionId]
        if previous?.action == action { return RuleOutput() }
        let isUpdate = previous != nil
        let qpvCommunes = Set(qpv.communes)
        let region = qpv.communes.sorted().lazy.compactMap { reference.region(ofCommune: $0) }.first ?? ""
        let subject = NotificationSubject(kind: "qpvAction", id: action.actionId)
        let recorderName = recorderLabel(action.recordedBy, state: state)
        let data: JSONValue = [
            "actionId": .string(action.actionId), "qpv": .string(action.qpv), "communes": .sortedStrings(qpvCommunes),
            "recordedBy": ["kind": .string(action.recordedBy.kind.rawValue), "id": .string(recorderId)],
            "type": .string(action.type.rawValue), "title": .string(action.title), "date": .string(action.date.description),
            "participants": .int(action.participants), "partners": .strings(action.partners ?? []), "update": .bool(isUpdate),
        ]
        let what =
            "\(French.actionType(action.type)) \(French.quoted(action.title)) le \(French.date(action.date)) (\(French.count(action.participants, "participant")))"
        let verb = isUpdate ? "a modifié" : "a enregistré"
        var out = RuleOutput()

        for asv in reference.asvs(servingQpv: action.qpv) where !(action.recordedBy.kind == .asv && asv.id == recorderId) {
            out.notify(
                .asvQpvActionRecorded, to: .asv(asv.id), region: region, subject: subject,
                message:
                    "\(recorderName.capitalisedFirst) \(verb) \(what) dans le quartier prioritaire \(French.qpv(action.qpv, reference)).",
                data: data)
        }
        for cls in reference.cls(coveringAny: qpvCommunes) where !(action.recordedBy.kind == .cls && cls.id == recorderId) {
            out.notify(
                .clsQpvActionRecorded, to: .cls(cls.id), region: region, subject: subject,
                message:
                    "\(recorderName.capitalisedFirst) \(verb) \(what) dans le quartier prioritaire \(French.qpv(action.qpv, reference)), sur le territoire de votre contrat local de santé.",
                data: data)
        }
        if action.recordedBy.kind == .clsm, let clsm = state.clsms[recorderId],
            MunicipalArrondissements.shared(clsm.communes, qpvCommunes).isEmpty
        {
            let alreadyTold = previous.map { $0.action.recordedBy == action.recordedBy && $0.action.qpv == action.qpv } ?? false
            if !alreadyTold {
                out.notify(
                    .arsQpvActionOutsideTerritory, to: .ars(region), region: region, subject: subject,
                    message:
                        "Le CLSM \(French.quoted(clsm.declaration.name)) a enregistré une action dans le quartier prioritaire \(French.qpv(action.qpv, reference)), situé hors de son territoire (\(French.communes(qpvCommunes, reference))).",
                    data: [
                        "actionId": .string(action.actionId), "qpv": .string(action.qpv), "qpvCommunes": .sortedStrings(qpvCommunes),
                        "clsmId": .string(recorderId), "clsmCommunes": .sortedStrings(clsm.communes),
                        "clsmRegion": .string(clsm.declaration.region),
                    ])
            }
        }
        out.changes.append(.putQpvAction(QpvActionRecord(action: action, lastEvent: event.identity)))
        return out
    }

    static func recorderLabel(_ recorder: QpvActionRecorded.Recorder, state: HubState) -> String {
        let name: String? =
            switch recorder.kind {
            case .clsm: state.clsms[recorder.id]?.declaration.name
            case .asv: state.reference.asvs[recorder.id]?.name
            case .cls: state.reference.cls[recorder.id]?.name
            }
        return "\(French.recorder(recorder.kind)) \(French.quoted(name ?? recorder.id))"
    }
}

extension String {
    var capitalisedFirst: String {
        guard let first else { return self }
        return first.uppercased() + dropFirst()
    }
}
