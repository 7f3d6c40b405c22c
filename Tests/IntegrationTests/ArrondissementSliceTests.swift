import HubDomain
import HubPostgres
import Testing

/// Issue 19: a commune and its municipal arrondissements meet wherever the rules match
/// communes, and the rules' slices are widened to the codes that meet
/// (`MunicipalArrondissements`): what PostgreSQL loads for an event must give the decision the
/// whole state gives. The pure tests of each direction are HubDomainTests'
/// `ArrondissementMatchingTests`.
@Suite("Communes and arrondissements in the stored slices", .enabled(if: TestServers.hasDatabase))
struct ArrondissementSliceTests {
    /// Paris with three arrondissements and Lyon with one; QN07518M is coded on 75118,
    /// QN07556M on 75056, QN06938M on 69381; cls-paris covers 75056, cls-paris-20 75120.
    static let reference = """
        {"regions":[{"code":"11","name":"Île-de-France"},{"code":"84","name":"Auvergne-Rhône-Alpes"}],
         "departements":[{"code":"75","name":"Paris","region":"11"},{"code":"69","name":"Rhône","region":"84"}],
         "communes":[{"code":"75056","name":"Paris","departement":"75"},{"code":"75104","name":"Paris 4e","departement":"75"},
                     {"code":"75118","name":"Paris 18e","departement":"75"},{"code":"75120","name":"Paris 20e","departement":"75"},
                     {"code":"69123","name":"Lyon","departement":"69"},{"code":"69381","name":"Lyon 1er","departement":"69"}],
         "qpvs":[{"code":"QN07518M","name":"Q18","communes":["75118"]},{"code":"QN07556M","name":"Q56","communes":["75056"]},
                 {"code":"QN06938M","name":"Q69","communes":["69381"]}],
         "cls":[{"id":"cls-paris","name":"CLS de Paris","region":"11","communes":["75056"]},
                {"id":"cls-paris-20","name":"CLS du 20e","region":"11","communes":["75120"]}],
         "asvs":[{"id":"asv-paris-18","name":"ASV du 18e","qpvs":["QN07518M"]}],
         "sismEditions":[{"year":2026,"theme":"Test","startsOn":"2026-10-05","endsOn":"2026-10-18"}]}
        """

    static func clsm(_ id: String, _ communes: [String], region: String = "11") -> InboundEvent {
        .clsmDeclared(
            ClsmDeclared(
                clsmId: id, name: "CLSM \(id)", region: region, status: .active, scale: .communal, communes: communes,
                governance: .init(copil: true, plenaryAssembly: true, members: [.elected, .adultPsychiatry, .users, .carers])))
    }

    static func proposal(_ id: String, _ clsm: String, _ commune: String) -> InboundEvent {
        .sismEventProposed(
            SismEventProposed(
                proposalId: id, clsmId: clsm, edition: 2026, title: "Événement \(id)", format: .conference,
                startsAt: Timestamp("2026-10-07T14:00:00+02:00")!, endsAt: Timestamp("2026-10-07T16:00:00+02:00")!, commune: commune,
                venue: "Salle", audience: "grand public"))
    }

    static func action(_ id: String, _ qpv: String, _ kind: RecorderKind, _ recorder: String) -> InboundEvent {
        .qpvActionRecorded(
            QpvActionRecorded(
                actionId: id, qpv: qpv, recordedBy: .init(kind: kind, id: recorder), type: .awareness, title: "Action \(id)",
                date: CalendarDate("2026-10-10")!, participants: 10))
    }

    static let events: [InboundEvent] = [
        .ptsmDiagnosticPublished(
            PtsmDiagnosticPublished(
                ptsmId: "ptsm-75", name: "PTSM de Paris", region: "11", departements: ["75"], version: 1,
                publishedOn: CalendarDate("2026-09-10")!, priorities: [.housing])),
        clsm("paris-18", ["75118"]), clsm("paris", ["75056"]), clsm("paris-20", ["75120"]),
        clsm("lyon", ["69123"], region: "84"), clsm("lyon-1", ["69381"], region: "84"),
        proposal("p1", "paris", "75104"), proposal("p2", "paris-18", "75056"), proposal("p3", "paris-18", "75120"),
        action("a1", "QN07518M", .clsm, "paris-20"), action("a2", "QN07556M", .cls, "cls-paris-20"),
        action("a3", "QN06938M", .clsm, "lyon"), clsm("paris-18", ["75118", "75120"]),
    ]

    @Test("for every event, the slice StateStore loads decides as the whole state, in both directions")
    func storedSlices() async throws {
        try await PostgresTestDatabase.withSchema { connection, schema in
            _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
            let document = try ReferenceDataDocument.decode(Array(Self.reference.utf8))
            let store = StateStore()
            try await store.importReference(document, on: connection)
            var state = HubState(reference: document)
            let engine = RulesEngine()
            var notified: Set<String> = []
            for (position, payload) in Self.events.enumerated() {
                let event = DecodedEvent(
                    identity: EventIdentity(source: "urn:test", id: "arrondissement-\(position)"),
                    time: Timestamp("2026-09-01T10:00:00+02:00")!, event: payload)
                let loaded = try await store.load(engine.requirements(for: event), on: connection)
                let decision = try engine.decide(event, in: state)
                #expect(try engine.decide(event, in: loaded) == decision, "event \(position)")
                state.apply(decision.changes)
                var changes = StateChangeSet()
                changes.note(decision.changes, appliedTo: state)
                try await store.store(changes, from: state, on: connection)
                notified.formUnion(decision.notifications.map(\.rule.rawValue))
            }
            // The sequence exercises every rule that matches communes.
            #expect(
                notified.isSuperset(of: [
                    "ptsm.clsm.onTerritory", "cls.clsm.overlap", "asv.clsm.coversQpv", "clsm.territory.overlap",
                    "sism.proposal.accepted", "sism.proposal.rejected", "cls.qpv.actionRecorded", "ars.qpv.actionOutsideTerritory",
                ]),
                "\(notified.sorted())")
        }
    }
}
