import HubTestSupport
import Testing

@testable import HubDomain

/// Issue 19: a commune and its municipal arrondissements meet, in both directions, wherever
/// the rules match communes; two different arrondissements do not.
@Suite("Communes and arrondissements")
struct ArrondissementMatchingTests {
    /// Paris with four arrondissements, Lyon and Marseille with one each. QN07518M is coded on
    /// 75118 (served by asv-paris-18), QN07556M on the commune 75056; cls-paris covers 75056,
    /// cls-paris-20 the 20th arrondissement; QN06938M on 69381, QN01355M on 13055.
    static let referenceText = """
        {"regions":[{"code":"11","name":"Île-de-France"},{"code":"84","name":"Auvergne-Rhône-Alpes"},
                    {"code":"93","name":"Provence-Alpes-Côte d'Azur"}],
         "departements":[{"code":"75","name":"Paris","region":"11"},{"code":"69","name":"Rhône","region":"84"},
                         {"code":"13","name":"Bouches-du-Rhône","region":"93"}],
         "communes":[{"code":"75056","name":"Paris","departement":"75"},
                     {"code":"75104","name":"Paris 4e Arrondissement","departement":"75"},
                     {"code":"75118","name":"Paris 18e Arrondissement","departement":"75"},
                     {"code":"75120","name":"Paris 20e Arrondissement","departement":"75"},
                     {"code":"69123","name":"Lyon","departement":"69"},
                     {"code":"69381","name":"Lyon 1er Arrondissement","departement":"69"},
                     {"code":"13055","name":"Marseille","departement":"13"},
                     {"code":"13201","name":"Marseille 1er Arrondissement","departement":"13"}],
         "qpvs":[{"code":"QN07518M","name":"La Chapelle (test)","communes":["75118"]},
                 {"code":"QN07556M","name":"Quartier coded on Paris (test)","communes":["75056"]},
                 {"code":"QN06938M","name":"Lyon 1er (test)","communes":["69381"]},
                 {"code":"QN01355M","name":"Marseille (test)","communes":["13055"]}],
         "cls":[{"id":"cls-paris","name":"CLS de Paris","region":"11","communes":["75056"]},
                {"id":"cls-paris-20","name":"CLS du 20e","region":"11","communes":["75120"]}],
         "asvs":[{"id":"asv-paris-18","name":"ASV du 18e","qpvs":["QN07518M"]}],
         "sismEditions":[{"year":2026,"theme":"Test","startsOn":"2026-10-05","endsOn":"2026-10-18"}],
         "dispositifs":[{"kind":"clspd","id":"clspd-paris-18","name":"CLSPD du 18e","communes":["75118"]},
                        {"kind":"contratDeVille","id":"cdv-paris","name":"Contrat de ville de Paris","communes":["75056"],
                         "qpvs":["QN07518M","QN07556M"]}],
         "epcis":[{"siren":"200054781","name":"Métropole du Grand Paris","nature":"metropole","communes":["75056"]}],
         "psychiatricSectors":[{"id":"75G18","name":"Secteur du 18e","population":"adult","establishment":"GHU (test)",
                                "communes":["75118"]},
                               {"id":"75I04","name":"Intersecteur du centre","population":"child","establishment":"GHU (test)",
                                "communes":["75104"]}],
         "ptsmTerritories":[{"id":"territoire-paris","name":"Paris","departements":["75"],"ptsm":"ptsm-75"}]}
        """

    static func harness() throws -> Harness {
        let document = try ReferenceDataDocument.decode(Array(referenceText.utf8))
        return Harness(HubState(reference: document))
    }

    // MARK: The relation

    @Test("a commune meets its arrondissements and the reverse, in the three cities; two arrondissements do not meet")
    func relation() {
        let pairs: [(String, String)] = [
            ("75056", "75101"), ("75056", "75120"), ("69123", "69381"), ("69123", "69389"), ("13055", "13201"), ("13055", "13216"),
        ]
        for (commune, arrondissement) in pairs {
            #expect(MunicipalArrondissements.meet(commune, arrondissement))
            #expect(MunicipalArrondissements.meet(arrondissement, commune))
            #expect(MunicipalArrondissements.commune(ofArrondissement: arrondissement) == commune)
        }
        #expect(MunicipalArrondissements.arrondissements(of: "75056").count == 20)
        #expect(MunicipalArrondissements.arrondissements(of: "69123").count == 9)
        #expect(MunicipalArrondissements.arrondissements(of: "13055").count == 16)
        #expect(!MunicipalArrondissements.meet("75101", "75102"))
        #expect(!MunicipalArrondissements.meet("75056", "69381"))
        #expect(!MunicipalArrondissements.meet("75056", "75121"))  // no 21st arrondissement
        #expect(!MunicipalArrondissements.meet("93066", "93001"))
        #expect(MunicipalArrondissements.related("93066") == ["93066"])
        #expect(MunicipalArrondissements.related(["75118", "93066"]) == ["75118", "75056", "93066"])
        #expect(MunicipalArrondissements.shared(["75056"], ["75118", "93066"]) == ["75056", "75118"])
        #expect(MunicipalArrondissements.shared(["75118", "93066"], ["75056"]) == ["75056", "75118"])
        #expect(MunicipalArrondissements.shared(["75118"], ["75120"]).isEmpty)
        // Hostile codes never trap.
        for code in ["", "7", "75", "7510", "751011", "7510x", "7５101", "\u{0}5101", "13055\u{301}"] {
            _ = MunicipalArrondissements.related(code)
            #expect(!MunicipalArrondissements.meet(code, "75101") || code == "75101")
        }
    }

    // MARK: CLSM against QPV, ASV, CLS, PTSM

    @Test("a CLSM on 75056 covers the QPV coded 75118 (its ASV told), shares ground with the CLS of the 20th, is on the PTSM of 75")
    func communeMeetsArrondissements() throws {
        var hub = try Self.harness()
        try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-75", departements: ["75"], version: 1, priorities: [.housing])))
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("paris", communes: ["75056"])))
        #expect(
            decision.routing == [
                "clsm.registered -> ars:11",
                "ptsm.clsm.onTerritory -> ptsm:ptsm-75",
                "cls.clsm.overlap -> cls:cls-paris",
                "cls.clsm.overlap -> cls:cls-paris-20",
                "asv.clsm.coversQpv -> asv:asv-paris-18",
                "ars.qpv.withoutAsv -> ars:11",
            ])
        #expect(try decision.only(.asvClsmCoversQpv, to: .asv("asv-paris-18")).data["qpvs"] == ["QN07518M"])
        #expect(try decision.only(.arsQpvWithoutAsv, to: .ars("11")).data["qpvs"] == ["QN07556M"])
        #expect(try decision.only(.clsClsmOverlap, to: .cls("cls-paris-20")).data["sharedCommunes"] == ["75056", "75120"])
        #expect(try decision.only(.clsClsmOverlap, to: .cls("cls-paris")).data["sharedCommunes"] == ["75056"])
        let registered = try decision.only(.clsmRegistered, to: .ars("11"))
        #expect(registered.data["politiqueDeLaVille"]?["qpvs"] == ["QN07518M", "QN07556M"])
        #expect(registered.data["politiqueDeLaVille"]?["communesWithQpv"] == ["75056", "75118"])
    }

    @Test("a CLSM on 75118 covers its own QPV and the one coded 75056, shares ground with the CLS of 75056, not with the 20th's")
    func arrondissementMeetsCommune() throws {
        var hub = try Self.harness()
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("paris-18", communes: ["75118"])))
        #expect(
            decision.routing == [
                "clsm.registered -> ars:11",
                "cls.clsm.overlap -> cls:cls-paris",
                "asv.clsm.coversQpv -> asv:asv-paris-18",
                "ars.qpv.withoutAsv -> ars:11",
            ])
        #expect(try decision.only(.clsClsmOverlap, to: .cls("cls-paris")).data["sharedCommunes"] == ["75056", "75118"])
        #expect(try decision.only(.arsQpvWithoutAsv, to: .ars("11")).data["qpvs"] == ["QN07556M"])
        // A CLSM on the 4th meets the commune-coded QPV only, not the 18th's.
        let fourth = try hub.send(.clsmDeclared(Fixture.clsm("paris-4", communes: ["75104"])))
        #expect(fourth.notifications(.asvClsmCoversQpv).isEmpty)
        #expect(try fourth.only(.arsQpvWithoutAsv, to: .ars("11")).data["qpvs"] == ["QN07556M"])
    }

    @Test("Lyon and Marseille: a CLSM on the commune covers a QPV coded by arrondissement, and the reverse")
    func lyonAndMarseille() throws {
        var hub = try Self.harness()
        let lyon = try hub.send(.clsmDeclared(Fixture.clsm("lyon", communes: ["69123"], region: "84")))
        #expect(try lyon.only(.arsQpvWithoutAsv, to: .ars("84")).data["qpvs"] == ["QN06938M"])
        let lyon1 = try hub.send(.clsmDeclared(Fixture.clsm("lyon-1", communes: ["69381"], region: "84")))
        #expect(try lyon1.only(.arsQpvWithoutAsv, to: .ars("84")).data["qpvs"] == ["QN06938M"])
        let marseille1 = try hub.send(.clsmDeclared(Fixture.clsm("marseille-1", communes: ["13201"], region: "93")))
        #expect(try marseille1.only(.arsQpvWithoutAsv, to: .ars("93")).data["qpvs"] == ["QN01355M"])
        let marseille = try hub.send(.clsmDeclared(Fixture.clsm("marseille", communes: ["13055"], region: "93")))
        #expect(try marseille.only(.arsQpvWithoutAsv, to: .ars("93")).data["qpvs"] == ["QN01355M"])
        // The two active CLSMs of Lyon overlap, and so do Marseille's.
        #expect(lyon1.notifications(.clsmTerritoryOverlap).map(\.recipient) == [.ars("84"), .clsm("lyon"), .clsm("lyon-1")])
        #expect(marseille.notifications(.clsmTerritoryOverlap).map(\.recipient) == [.ars("93"), .clsm("marseille"), .clsm("marseille-1")])
    }

    // MARK: CLSM against other CLSMs

    @Test("two active CLSMs on 75056 and 75120 overlap, whichever declares first; on 75118 and 75120 they do not")
    func overlaps() throws {
        for order in [["75056", "75120"], ["75120", "75056"]] {
            var hub = try Self.harness()
            try hub.send(.clsmDeclared(Fixture.clsm("first", communes: [order[0]])))
            let second = try hub.send(.clsmDeclared(Fixture.clsm("second", communes: [order[1]])))
            let overlap = try second.only(.clsmTerritoryOverlap, to: .ars("11"))
            #expect(overlap.data["overlaps"]?.arrayValue?.first?["communes"] == ["75056", "75120"], "\(order)")
            #expect(second.notifications(.clsmTerritoryOverlap).map(\.recipient) == [.ars("11"), .clsm("first"), .clsm("second")])
            #expect(hub.state.clsms["first"]?.articulation.overlaps["second"] == ["75056", "75120"])
            // Declared again unchanged: nothing new to tell.
            let again = try hub.send(.clsmDeclared(Fixture.clsm("second", communes: [order[1]])))
            #expect(again.notifications(.clsmTerritoryOverlap).isEmpty)
        }
        var hub = try Self.harness()
        try hub.send(.clsmDeclared(Fixture.clsm("paris-18", communes: ["75118"])))
        let twentieth = try hub.send(.clsmDeclared(Fixture.clsm("paris-20", communes: ["75120"])))
        #expect(twentieth.notifications(.clsmTerritoryOverlap).isEmpty)
    }

    // MARK: SISM proposal inside the CLSM's territory

    @Test(
        "a SISM proposal's commune is inside the territory when it meets one of the CLSM's communes",
        arguments: [
            (["75056"], "75104", true),  // the commune's CLSM, an event coded by arrondissement
            (["75118"], "75056", true),  // an arrondissement's CLSM, an event coded on the commune
            (["75118"], "75118", true),
            (["75118"], "75120", false),  // another arrondissement
            (["75056"], "69381", false),
        ])
    func sismProposalCommune(communes: [String], commune: String, accepted: Bool) throws {
        var hub = try Self.harness()
        try hub.send(.clsmDeclared(Fixture.clsm("c", communes: communes, region: "11")))
        let decision = try hub.send(.sismEventProposed(Fixture.proposal("p", clsm: "c", commune: commune)))
        if accepted {
            #expect(decision.routing.contains("sism.proposal.accepted -> clsm:c"), "\(decision.routing)")
        } else {
            let rejected = try decision.only(.sismProposalRejected, to: .clsm("c"))
            #expect(rejected.data["reasons"]?.arrayValue?.first?["code"] == "communeOutsideTerritory")
        }
    }

    // MARK: QPV actions

    @Test("an action in the QPV coded 75118 reaches the CLS of 75056 and is inside a CLSM on 75056; outside one on the 20th")
    func qpvActions() throws {
        var hub = try Self.harness()
        try hub.send(.clsmDeclared(Fixture.clsm("paris", communes: ["75056"])))
        try hub.send(.clsmDeclared(Fixture.clsm("paris-20", communes: ["75120"])))
        let inside = try hub.send(.qpvActionRecorded(Fixture.action("a1", qpv: "QN07518M", by: .clsm, "paris")))
        #expect(inside.routing == ["asv.qpv.actionRecorded -> asv:asv-paris-18", "cls.qpv.actionRecorded -> cls:cls-paris"])
        let outside = try hub.send(.qpvActionRecorded(Fixture.action("a2", qpv: "QN07518M", by: .clsm, "paris-20")))
        #expect(outside.routing.contains("ars.qpv.actionOutsideTerritory -> ars:11"))
        // The QPV coded on the commune is inside the 20th's CLSM, and reaches both CLS.
        let commune = try hub.send(.qpvActionRecorded(Fixture.action("a3", qpv: "QN07556M", by: .clsm, "paris-20")))
        #expect(commune.routing == ["cls.qpv.actionRecorded -> cls:cls-paris", "cls.qpv.actionRecorded -> cls:cls-paris-20"])
    }

    // MARK: Slices

    @Test("every decision on the slice the requirements ask for is the decision on the whole state, and the resident slice is the slice")
    func slices() throws {
        var hub = try Self.harness()
        let events: [InboundEvent] = [
            .ptsmDiagnosticPublished(Fixture.ptsm("ptsm-75", departements: ["75"], version: 1, priorities: [.housing])),
            .clsmDeclared(Fixture.clsm("paris-18", communes: ["75118"])),
            .clsmDeclared(Fixture.clsm("paris", communes: ["75056"])),
            .clsmDeclared(Fixture.clsm("paris-20", communes: ["75120"])),
            .sismEventProposed(Fixture.proposal("p1", clsm: "paris", commune: "75104")),
            .sismEventProposed(Fixture.proposal("p2", clsm: "paris-18", commune: "75056")),
            .qpvActionRecorded(Fixture.action("a1", qpv: "QN07518M", by: .clsm, "paris-20")),
            .qpvActionRecorded(Fixture.action("a2", qpv: "QN07556M", by: .cls, "cls-paris-20")),
            .clsmDeclared(Fixture.clsm("paris-18", communes: ["75118", "75120"])),
        ]
        for (position, payload) in events.enumerated() {
            let event = Fixture.event(payload, id: "slice-\(position)")
            let requirements = hub.engine.requirements(for: event)
            let slice = hub.state.slice(requirements)
            #expect(try hub.engine.decide(event, in: slice) == hub.engine.decide(event, in: hub.state), "event \(position)")
            let resident = ResidentState(hub.state)
            #expect(resident.slice(requirements, completedWith: hub.state) == slice, "event \(position)")
            try hub.send(event)
        }
    }
}
