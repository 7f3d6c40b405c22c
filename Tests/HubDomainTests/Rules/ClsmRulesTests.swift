import HubTestSupport
import Testing

@testable import HubDomain

/// clsm.declared: registration, "quatre quarts", articulation by territory, overlaps,
/// politique de la ville, and "on an update, only what changed".
///
/// Demo territory (docs/examples/reference-demo.json): Saint-Denis 93066 holds QPV QN09301M
/// served by asv-saint-denis; Aubervilliers 93001 holds QN09302M with no ASV; both are in
/// cls-plaine-commune. Bobigny 93008 holds QN09303M (asv-bobigny, cls-bobigny). Montreuil
/// 93048 holds no QPV.
@Suite("Rules: clsm.declared")
struct ClsmRulesTests {
    @Test("a first declaration registers the CLSM and articulates it with CLS, ASV and the ARS")
    func firstDeclaration() throws {
        var hub = try Harness.demo()
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"])))
        #expect(
            decision.routing == [
                "clsm.registered -> ars:11",
                "cls.clsm.overlap -> cls:cls-plaine-commune",
                "asv.clsm.coversQpv -> asv:asv-saint-denis",
                "ars.qpv.withoutAsv -> ars:11",
            ])
        let registered = try decision.only(.clsmRegistered, to: .ars("11"))
        #expect(registered.severity == .info)
        #expect(registered.subject == NotificationSubject(kind: "clsm", id: "a"))
        #expect(registered.message.hasPrefix("Nouveau CLSM déclaré : « CLSM a », actif, 2 communes."))
        #expect(
            registered.data["politiqueDeLaVille"] == [
                "intersects": true, "communesWithQpv": ["93001", "93066"], "qpvs": ["QN09301M", "QN09302M"],
            ])
        let withoutAsv = try decision.only(.arsQpvWithoutAsv, to: .ars("11"))
        #expect(withoutAsv.data["qpvs"] == ["QN09302M"])
        #expect(try decision.only(.asvClsmCoversQpv, to: .asv("asv-saint-denis")).data["qpvs"] == ["QN09301M"])
        #expect(try decision.only(.clsClsmOverlap, to: .cls("cls-plaine-commune")).data["sharedCommunes"] == ["93001", "93066"])
        #expect(hub.state.clsms["a"]?.departements == ["93"])
    }

    @Test(
        "the intersection with the politique de la ville: active CLSM with at least one commune holding a QPV",
        arguments: [
            (["93066"], ClsmStatus.active, true),
            (["93048"], .active, false),
            (["93066"], .project, false),
            (["93048", "93008"], .active, true),
        ])
    func intersection(communes: [String], status: ClsmStatus, intersects: Bool) throws {
        var hub = try Harness.demo()
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("a", communes: communes, status: status)))
        #expect(try decision.only(.clsmRegistered, to: .ars("11")).data["politiqueDeLaVille"]?["intersects"] == .bool(intersects))
    }

    @Test(
        "quatre quarts: each missing member makes the governance incomplete, for the ARS and the CLSM",
        arguments: [
            GovernanceMember.elected, .adultPsychiatry, .users, .carers,
        ])
    func quatreQuarts(missing: GovernanceMember) throws {
        var hub = try Harness.demo()
        let members = Fixture.fullGovernance.filter { $0 != missing }
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93048"], members: members)))
        #expect(decision.notifications(.clsmGovernanceIncomplete).map(\.recipient) == [.ars("11"), .clsm("a")])
        let notification = try decision.only(.clsmGovernanceIncomplete, to: .clsm("a"))
        #expect(notification.severity == .action)
        #expect(notification.data["missingMembers"] == .strings([missing.rawValue]))
        #expect(notification.message.contains("il manque \(French.member(missing)) parmi les « quatre quarts »"))
    }

    @Test("child psychiatry absent is told to the CLSM only; a complete governance triggers nothing")
    func childPsychiatry() throws {
        var hub = try Harness.demo()
        let absent = try hub.send(
            .clsmDeclared(Fixture.clsm("a", communes: ["93048"], members: [.elected, .adultPsychiatry, .users, .carers])))
        #expect(absent.routing == ["clsm.registered -> ars:11", "clsm.childPsychiatry.absent -> clsm:a"])
        let complete = try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["92050"])))
        #expect(complete.routing == ["clsm.registered -> ars:11"])
    }

    @Test("ptsm.clsm.onTerritory: each PTSM whose départements hold one of its communes")
    func ptsmOnTerritory() throws {
        var hub = try Harness.demo()
        try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", departements: ["93"], version: 1, priorities: [.housing])))
        try hub.send(.ptsmDiagnosticPublished(Fixture.ptsm("ptsm-92", departements: ["92"], version: 1, priorities: [.housing])))
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93048"], workingGroups: [.housing])))
        let notification = try decision.only(.ptsmClsmOnTerritory, to: .ptsm("ptsm-93"))
        #expect(notification.data["communes"] == ["93048"])
        #expect(decision.notifications(.ptsmClsmOnTerritory).count == 1)
        let both = try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93048", "92050"])))
        #expect(both.notifications(.ptsmClsmOnTerritory).map(\.recipient) == [.ptsm("ptsm-92"), .ptsm("ptsm-93")])
    }

    @Test("clsm.territory.overlap: two active CLSMs on one commune, to the ARS and both CLSMs")
    func overlap() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"])))
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93001"])))
        #expect(decision.notifications(.clsmTerritoryOverlap).map(\.recipient) == [.ars("11"), .clsm("a"), .clsm("b")])
        let toA = try decision.only(.clsmTerritoryOverlap, to: .clsm("a"))
        #expect(toA.data["overlaps"] == [["clsmId": "a", "name": "CLSM a", "communes": ["93001"]]])
        #expect(toA.data["clsmId"] == "b")
        #expect(hub.state.clsms["a"]?.articulation.overlaps["b"] == ["93001"])
    }

    @Test("no overlap unless both CLSMs are active", arguments: [ClsmStatus.project, .starting, .stopped])
    func overlapNeedsActive(status: ClsmStatus) throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"])))
        #expect(
            try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93066"], status: status))).notifications(.clsmTerritoryOverlap).isEmpty
        )
        var other = try Harness.demo()
        try other.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"], status: status)))
        #expect(try other.send(.clsmDeclared(Fixture.clsm("b", communes: ["93066"]))).notifications(.clsmTerritoryOverlap).isEmpty)
    }

    @Test("an identical re-declaration (new event id) changes and notifies nothing")
    func identicalRedeclaration() throws {
        var hub = try Harness.demo()
        let declaration = Fixture.clsm("a", communes: ["93066", "93001"], members: [.elected])
        try hub.send(.clsmDeclared(declaration))
        let again = try hub.send(.clsmDeclared(declaration))
        #expect(again.notifications.isEmpty)
        #expect(again.domainChanges.isEmpty)
    }

    @Test("an update is clsm.updated with the changed fields, and articulation is not repeated")
    func update() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"], members: [.elected, .adultPsychiatry, .users])))
        try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93001"])))
        var renamed = Fixture.clsm("a", communes: ["93066", "93001"], members: [.elected, .adultPsychiatry, .users])
        renamed.name = "CLSM Plaine Commune"
        let decision = try hub.send(.clsmDeclared(renamed))
        #expect(decision.routing == ["clsm.updated -> ars:11"])
        #expect(try decision.only(.clsmUpdated, to: .ars("11")).data["changedFields"] == ["name"])
    }

    @Test("changed fields: every payload field compared, as their JSON would compare them")
    func changedFieldsAgreeWithJSON() throws {
        let fields = ClsmRules.fieldComparisons(Fixture.clsm("a", communes: ["93066"]), Fixture.clsm("a", communes: ["93066"])).map(\.field)
        #expect(Set(fields) == ClsmDeclared.fields)
        #expect(fields.count == ClsmDeclared.fields.count)

        var full = Fixture.clsm("a", communes: ["93066", "93001"], members: [.elected, .users])
        full.createdOn = CalendarDate(year: 2019, month: 3, day: 1)
        full.population = 120_000
        full.psychiatricSectors = .init(adult: 2, child: 1)
        full.coordinator = .init(fte: 0.5, employer: "Ville")
        full.workingGroups = [.housing, .children]
        var variants: [ClsmDeclared] = [Fixture.clsm("a", communes: ["93066"]), full]
        for change in [
            { (d: inout ClsmDeclared) in d.clsmId = "b" }, { $0.name = "Autre" }, { $0.region = "84" },
            { $0.status = .stopped }, { $0.scale = .intercommunal }, { $0.communes.reverse() },
            { $0.governance.copil.toggle() }, { $0.governance.members = [.users, .elected] },
            { $0.createdOn = nil }, { $0.population = 120_001 }, { $0.psychiatricSectors?.child = 2 },
            { $0.coordinator?.fte = 0.25 }, { $0.coordinator = nil }, { $0.workingGroups = [] },
        ] {
            var variant = full
            change(&variant)
            variants.append(variant)
        }
        func changedInJSON(_ old: ClsmDeclared, _ new: ClsmDeclared) -> [String] {
            let before = JSONValue.encoding(old).objectValue ?? [:]
            let after = JSONValue.encoding(new).objectValue ?? [:]
            return Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
        }
        for old in variants {
            for new in variants {
                #expect(ClsmRules.changedFields(old, new) == changedInJSON(old, new))
            }
        }
        #expect(ClsmRules.changedFields(full, variants[2]) == ["clsmId"])
    }

    @Test("on an update only the new articulation is notified: a new commune brings its CLS and ASV only")
    func updateNewCommune() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"])))
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001", "93008"])))
        #expect(
            decision.routing == [
                "clsm.updated -> ars:11",
                "cls.clsm.overlap -> cls:cls-bobigny",
                "asv.clsm.coversQpv -> asv:asv-bobigny",
            ])
        #expect(try decision.only(.clsmUpdated, to: .ars("11")).data["changedFields"] == ["communes"])
    }

    @Test("a new overlap on update is notified, an old one is not")
    func updateOverlap() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"])))
        try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93001"])))
        // b re-declares unchanged overlap plus a new commune shared with a: only the new commune is news.
        let widened = try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93001", "93066"])))
        let toArs = try widened.only(.clsmTerritoryOverlap, to: .ars("11"))
        #expect(toArs.data["overlaps"] == [["clsmId": "a", "name": "CLSM a", "communes": ["93066"]]])
        // a re-declares itself: the overlap with b is already known on a's side.
        var renamed = Fixture.clsm("a", communes: ["93066", "93001"])
        renamed.name = "Renamed"
        #expect(try hub.send(.clsmDeclared(renamed)).notifications(.clsmTerritoryOverlap).isEmpty)
    }

    @Test("an overlap that ended and came back is reported again")
    func overlapComesBack() throws {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("x", communes: ["93001"])))
        #expect(
            try hub.send(.clsmDeclared(Fixture.clsm("c", communes: ["93066", "93001"]))).notifications(.clsmTerritoryOverlap).count == 3)
        try hub.send(.clsmDeclared(Fixture.clsm("c", communes: ["93066"])))  // c leaves 93001
        try hub.send(.clsmDeclared(Fixture.clsm("x", communes: ["93001"], status: .project)))  // x pauses
        try hub.send(.clsmDeclared(Fixture.clsm("c", communes: ["93066", "93001"])))  // c comes back, x inactive: no overlap
        let back = try hub.send(.clsmDeclared(Fixture.clsm("x", communes: ["93001"])))  // x active again
        #expect(back.notifications(.clsmTerritoryOverlap).map(\.recipient) == [.ars("11"), .clsm("c"), .clsm("x")])
    }

    @Test("clsm.governance.incomplete only when the set of missing members changed")
    func governanceChanges() throws {
        var hub = try Harness.demo()
        try hub.send(
            .clsmDeclared(Fixture.clsm("a", communes: ["93048"], members: [.elected, .adultPsychiatry, .users, .childPsychiatry])))
        var same = Fixture.clsm("a", communes: ["93048"], members: [.elected, .adultPsychiatry, .users, .childPsychiatry])
        same.workingGroups = [.housing]
        #expect(try hub.send(.clsmDeclared(same)).notifications(.clsmGovernanceIncomplete).isEmpty)
        let worse = try hub.send(
            .clsmDeclared(Fixture.clsm("a", communes: ["93048"], members: [.elected, .adultPsychiatry, .childPsychiatry])))
        let notification = try worse.only(.clsmGovernanceIncomplete, to: .ars("11"))
        #expect(notification.data["missingMembers"] == ["carers", "users"])
        #expect(notification.data["previousMissingMembers"] == ["carers"])
        #expect(try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93048"]))).notifications(.clsmGovernanceIncomplete).isEmpty)
    }

    @Test("a new ASV in reference data is notified at the next declaration, even an identical one")
    func newReferenceData() throws {
        var hub = try Harness.demo()
        let declaration = Fixture.clsm("a", communes: ["93001"])
        try hub.send(.clsmDeclared(declaration))
        hub.state.apply([.importReference(ReferenceDataDocument(asvs: [Asv(id: "asv-aubervilliers", name: "ASV", qpvs: ["QN09302M"])]))])
        let decision = try hub.send(.clsmDeclared(declaration))
        #expect(decision.routing == ["asv.clsm.coversQpv -> asv:asv-aubervilliers"])
    }

    @Test("a stopped CLSM is recorded without governance or articulation notifications")
    func stopped() throws {
        var hub = try Harness.demo()
        let decision = try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"], status: .stopped, members: [])))
        #expect(decision.routing == ["clsm.registered -> ars:11"])
    }

    @Test("unknown region or communes are unknown_reference, all listed")
    func unknownReferences() throws {
        let hub = try Harness.demo()
        let error = try #require(hub.rejection(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "13055", "69123"], region: "84"))))
        #expect(error.code == .unknownReference)
        #expect(error.violations.map(\.path) == ["communes[1]", "communes[2]", "region"])
    }

    @Test("the same event delivered twice takes effect once")
    func duplicate() throws {
        var hub = try Harness.demo()
        let event = Fixture.event(.clsmDeclared(Fixture.clsm("a", communes: ["93066"])), id: "same")
        #expect(try hub.send(event).outcome == .applied)
        let again = try hub.send(event)
        #expect(again.outcome == .duplicate)
        #expect(again.changes.isEmpty && again.notifications.isEmpty)
    }
}
