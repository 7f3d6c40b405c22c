import HubDomain

extension EventGenerator {
    // MARK: - Invalid records

    enum Invalidity: CaseIterable {
        case malformedJSON, unknownField, personalData, unknownReference, malformedEnvelope, unsupportedType

        var code: DeadLetterCode {
            switch self {
            case .malformedJSON, .unknownField: .schemaViolation
            case .personalData: .personalData
            case .unknownReference: .unknownReference
            case .malformedEnvelope: .malformedEnvelope
            case .unsupportedType: .unsupportedType
            }
        }
    }

    /// A record that must be dead-lettered. It is built from a valid record drawn on a copy
    /// of the generator state, so the real state does not see it.
    mutating func invalidEvent() -> SyntheticEvent {
        let kind = random.pick(Invalidity.allCases)
        var scratch = self
        var base: SyntheticEvent
        switch kind {
        case .unknownReference:
            // An unknown commune in a SISM proposal, or an unknown QPV in an action.
            base = scratch.sismEvent()
            if random.chance(0.5), var action = scratch.qpvActionEvent().flatMap(Self.decodeAction) {
                action.qpv = "QP999999"  // the generator only makes QN codes
                base = scratch.event(.qpvActionRecorded(action), source: "urn:synthetic:asv:unknown-reference", phase: .activity)
            } else if var proposal = Self.decodeProposal(base) {
                let departement = String(proposal.commune.prefix(proposal.commune.hasPrefix("97") ? 3 : 2))
                proposal.commune = departement + (departement.count == 3 ? "99" : "999")
                proposal.proposalId += "-unknown-commune"
                base = scratch.event(.sismEventProposed(proposal), source: Self.clsmSource(proposal.clsmId), phase: .activity)
            }
        default:
            base = scratch.activityEvent()
        }
        random = scratch.random  // keep drawing from where the scratch generator left off
        var event = base
        event.expectation = .deadLetter(kind.code)
        switch kind {
        case .malformedJSON:
            event.cloudEvent.data = Array(event.cloudEvent.data.dropLast(7))
        case .unknownField:
            if case .object(var object)? = try? JSONParser.parse(event.cloudEvent.data) {
                object["remarques"] = "champ inconnu du contrat (synthétique)"
                event.cloudEvent.data = JSONValue.object(object).canonicalBytes()
            }
        case .personalData:
            if case .object(var object)? = try? JSONParser.parse(event.cloudEvent.data) {
                let field = object["title"] != nil ? "title" : "name"
                object[field] = .string("Contact : coordination.synthetique@example.org")
                event.cloudEvent.data = JSONValue.object(object).canonicalBytes()
            }
        case .unknownReference:
            break
        case .malformedEnvelope:
            event.cloudEvent.specversion = "0.3"
        case .unsupportedType:
            event.cloudEvent.type = event.topic + ".v2"
        }
        return event
    }

    static func decodeProposal(_ event: SyntheticEvent) -> SismEventProposed? {
        guard let json = try? JSONParser.parse(event.cloudEvent.data),
            case .sismEventProposed(let proposal)? = try? InboundEvent.strictDecode(json, topic: .sismEventProposed)
        else { return nil }
        return proposal
    }

    static func decodeAction(_ event: SyntheticEvent) -> QpvActionRecorded? {
        guard let json = try? JSONParser.parse(event.cloudEvent.data),
            case .qpvActionRecorded(let action)? = try? InboundEvent.strictDecode(json, topic: .qpvActionRecorded)
        else { return nil }
        return action
    }
}

enum SyntheticEventStreamTables {
    static let actionTypes: [(QpvActionType, Double)] = [
        (.awareness, 0.30), (.firstAidTraining, 0.20), (.listeningPoint, 0.15), (.outreach, 0.20), (.training, 0.10),
        (.other, 0.05),
    ]
}
