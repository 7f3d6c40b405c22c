/// Who may say what: checked before the rules, so that a record nobody allowed changes
/// nothing and tells no one. A refusal is an `unauthorized` dead letter.
///
/// Two checks:
/// - **Ownership** (always): a SISM proposal belongs to the CLSM that first proposed it, a
///   QPV action to its first recorder. Ids are chosen by producers and global, so without
///   this CLSM B could replace CLSM A's proposal by reusing its id.
/// - **Registered sources** (once any is registered): the record's `ce_source` must be
///   registered and speak for what the record is about — the CLSM of a declaration or a
///   proposal, the PTSM of a diagnostic, the recorder of a QPV action — or be the ARS of
///   every region the record touches (a declaration that moves a CLSM touches both regions).
///   With no source registered the hub runs open, and says so at start-up and in `status`.
enum SourceAuthorization {
    static func check(_ event: DecodedEvent, in state: HubState) throws(EventRejection) {
        try checkOwnership(event, in: state)
        guard state.reference.someSourceRegistered else { return }
        let source = event.identity.source
        let subject = Subject(event, in: state)
        guard let registered = state.reference.sources[source] else {
            throw refusal(
                "ce_source \(quoted(source)) is not a registered source (reference data, section sources)", path: "ce_source")
        }
        if registered.kind == .ars {
            // Regions the record touches that the hub cannot tell (an unknown CLSM or QPV)
            // are left to the rules, which refuse them as unknown references.
            guard !subject.regions.isEmpty else { return }
            let foreign = subject.regions.subtracting(registered.regions).sorted()
            guard !foreign.isEmpty else { return }
            throw refusal(
                "ce_source \(quoted(source)) is the ARS of region(s) \(registered.regions.sorted().joined(separator: ", ")); "
                    + "\(subject.label) touches region(s) \(foreign.joined(separator: ", "))",
                path: "ce_source")
        }
        guard let entity = subject.entity, registered.speaks(for: entity) else {
            let spoken = registered.entities.sorted().joined(separator: ", ")
            throw refusal(
                "ce_source \(quoted(source)) (\(registered.kind.rawValue): \(spoken)) may not speak for "
                    + "\(subject.entity?.description ?? "this record"): \(subject.label)",
                path: subject.entityPath)
        }
    }

    /// A proposal or an action changed by another CLSM or recorder than its owner.
    static func checkOwnership(_ event: DecodedEvent, in state: HubState) throws(EventRejection) {
        switch event.event {
        case .sismEventProposed(let proposal):
            guard let owner = state.sismProposals[proposal.proposalId]?.proposal.clsmId, owner != proposal.clsmId else { return }
            throw EventRejection(
                code: .unauthorized,
                message: "sism.event.proposed \(proposal.proposalId) from CLSM \(proposal.clsmId): the proposal belongs to CLSM "
                    + "\(owner) (a proposal id is owned by the CLSM that first proposed it)",
                violations: [Violation(path: "clsmId", reason: "proposal \(proposal.proposalId) belongs to CLSM \(owner)")])
        case .qpvActionRecorded(let action):
            guard let owner = state.qpvActions[action.actionId]?.action.recordedBy, owner != action.recordedBy else { return }
            let ownerText = "\(owner.kind.rawValue) \(owner.id)"
            throw EventRejection(
                code: .unauthorized,
                message: "qpv.action.recorded \(action.actionId) from \(action.recordedBy.kind.rawValue) \(action.recordedBy.id): "
                    + "the action belongs to \(ownerText) (an action id is owned by its first recorder)",
                violations: [Violation(path: "recordedBy", reason: "action \(action.actionId) belongs to \(ownerText)")])
        case .clsmDeclared, .ptsmDiagnosticPublished, .clsmActivityReported:
            return
        }
    }

    /// What a record is about, for the source check.
    struct Subject {
        /// The entity a non-ARS source must list.
        var entity: SpokenEntity?
        /// The payload path naming it.
        var entityPath: String
        /// The regions the record touches (an ARS must speak for each); empty when unknown.
        var regions: Set<String>
        /// For messages, e.g. `clsm.declared clsm-lyon`.
        var label: String

        init(_ event: DecodedEvent, in state: HubState) {
            let reference = state.reference
            switch event.event {
            case .clsmDeclared(let declaration):
                entity = SpokenEntity(.clsm, declaration.clsmId)
                entityPath = "clsmId"
                regions = [declaration.region]
                if let stored = state.clsms[declaration.clsmId]?.declaration.region { regions.insert(stored) }
                label = "clsm.declared \(declaration.clsmId)"
            case .sismEventProposed(let proposal):
                entity = SpokenEntity(.clsm, proposal.clsmId)
                entityPath = "clsmId"
                regions = Set([state.clsms[proposal.clsmId]?.declaration.region].compactMap { $0 })
                label = "sism.event.proposed \(proposal.proposalId)"
            case .ptsmDiagnosticPublished(let diagnostic):
                entity = SpokenEntity(.ptsm, diagnostic.ptsmId)
                entityPath = "ptsmId"
                regions = [diagnostic.region]
                if let stored = state.ptsms[diagnostic.ptsmId]?.diagnostic.region { regions.insert(stored) }
                label = "ptsm.diagnostic.published \(diagnostic.ptsmId)"
            case .qpvActionRecorded(let action):
                entity = RegisteredSource.Kind(rawValue: action.recordedBy.kind.rawValue).map { SpokenEntity($0, action.recordedBy.id) }
                entityPath = "recordedBy"
                let communes = reference.qpvs[action.qpv]?.communes ?? []
                regions = Set(communes.compactMap { reference.region(ofCommune: $0) })
                label = "qpv.action.recorded \(action.actionId)"
            case .clsmActivityReported(let report):
                entity = SpokenEntity(.clsm, report.clsmId)
                entityPath = "clsmId"
                regions = Set([state.clsms[report.clsmId]?.declaration.region].compactMap { $0 })
                label = "clsm.activity.reported \(report.clsmId) \(report.year)"
            }
        }
    }

    private static func refusal(_ message: String, path: String) -> EventRejection {
        EventRejection(code: .unauthorized, message: message, violations: [Violation(path: path, reason: "not allowed for this source")])
    }

    private static func quoted(_ text: String) -> String { "\"\(text)\"" }
}
