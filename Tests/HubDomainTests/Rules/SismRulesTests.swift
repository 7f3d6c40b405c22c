import HubTestSupport
import Testing

@testable import HubDomain

/// sism.event.proposed: answer to the CLSM, regional programme, clashes, ASVs of the QPV.
/// Demo edition 2026 runs 2026-10-05 to 2026-10-18 (Europe/Paris days).
@Suite("Rules: sism.event.proposed")
struct SismRulesTests {
    /// a: active on Saint-Denis and Aubervilliers; b: active on Aubervilliers; p: in project on Montreuil.
    static func hub() throws -> Harness {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"])))
        try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93001"])))
        try hub.send(.clsmDeclared(Fixture.clsm("p", communes: ["93048"], status: .project)))
        return hub
    }

    @Test("a proposal in the window, on its territory, from an active CLSM is accepted and counted")
    func accepted() throws {
        var hub = try Self.hub()
        let decision = try hub.send(.sismEventProposed(Fixture.proposal("s1", clsm: "a", commune: "93066")))
        #expect(decision.routing == ["sism.proposal.accepted -> clsm:a", "sism.programme.updated -> ars:11"])
        let programme = try decision.only(.sismProgrammeUpdated, to: .ars("11"))
        #expect(programme.data["proposals"] == 1)
        #expect(programme.data["edition"] == 2026)
        #expect(programme.data["byFormat"]?["conference"] == 1)
        #expect(try decision.only(.sismProposalAccepted, to: .clsm("a")).subject == NotificationSubject(kind: "sismProposal", id: "s1"))
    }

    @Test(
        "edition window compared on Europe/Paris days",
        arguments: [
            ("2026-10-05T00:30:00+02:00", "2026-10-05T02:00:00+02:00", true),
            ("2026-10-04T23:30:00+02:00", "2026-10-05T01:00:00+02:00", false),
            ("2026-10-04T22:30:00Z", "2026-10-04T23:30:00Z", true),  // 00:30 Paris on the 5th
            ("2026-10-18T21:00:00Z", "2026-10-18T21:30:00Z", true),  // 23:30 Paris on the 18th
            ("2026-10-18T21:30:00Z", "2026-10-18T22:30:00Z", false),  // ends 00:30 Paris on the 19th
            ("2026-09-20T10:00:00+02:00", "2026-09-20T12:00:00+02:00", false),
        ])
    func window(startsAt: String, endsAt: String, inside: Bool) throws {
        var hub = try Self.hub()
        let decision = try hub.send(
            .sismEventProposed(Fixture.proposal("s1", clsm: "a", commune: "93066", startsAt: startsAt, endsAt: endsAt)))
        if inside {
            #expect(decision.notifications(.sismProposalAccepted).count == 1)
        } else {
            let rejected = try decision.only(.sismProposalRejected, to: .clsm("a"))
            #expect(rejected.data["reasons"]?.arrayValue?.first?["code"] == "outsideEditionWindow")
            #expect(rejected.data["reasons"]?.arrayValue?.first?["timeZone"] == "Europe/Paris")
        }
    }

    @Test(
        "business refusals are notifications with reasons, not dead letters",
        arguments: [
            ("a", "93008", ["communeOutsideTerritory"]),
            ("p", "93048", ["clsmNotActive"]),
            ("p", "93066", ["clsmNotActive", "communeOutsideTerritory"]),
        ])
    func refusals(clsm: String, commune: String, reasons: [String]) throws {
        var hub = try Self.hub()
        let decision = try hub.send(.sismEventProposed(Fixture.proposal("s1", clsm: clsm, commune: commune)))
        let rejected = try decision.only(.sismProposalRejected, to: .clsm(clsm))
        #expect(rejected.severity == .action)
        #expect(rejected.data["reasons"]?.arrayValue?.compactMap { $0["code"]?.stringValue } == reasons)
        #expect(rejected.message.contains("n'est pas retenue"))
        #expect(hub.state.sismProposals["s1"]?.isAccepted == false)
        #expect(decision.notifications(.sismProgrammeUpdated).isEmpty)  // a refusal alone leaves the programme as it was
    }

    @Test("sism.schedule.clash: same commune, overlapping times, another CLSM; told to both CLSMs")
    func clash() throws {
        var hub = try Self.hub()
        try hub.send(
            .sismEventProposed(
                Fixture.proposal(
                    "s-a", clsm: "a", commune: "93001", startsAt: "2026-10-09T18:30:00+02:00", endsAt: "2026-10-09T21:00:00+02:00")))
        let decision = try hub.send(
            .sismEventProposed(
                Fixture.proposal(
                    "s-b", clsm: "b", commune: "93001", startsAt: "2026-10-09T18:00:00+02:00", endsAt: "2026-10-09T20:00:00+02:00")))
        #expect(decision.notifications(.sismScheduleClash).map(\.recipient) == [.clsm("a"), .clsm("b")])
        let toA = try decision.only(.sismScheduleClash, to: .clsm("a"))
        #expect(toA.data["clashesWith"]?.arrayValue?.map { $0["proposalId"] } == ["s-a"])
        #expect(toA.data["proposal"]?["proposalId"] == "s-b")
        #expect(hub.state.sismProposals["s-a"]?.notifiedClashes == ["s-b"])
        // The clash is not told again when s-b is edited, nor when s-a is.
        var edited = Fixture.proposal(
            "s-b", clsm: "b", commune: "93001", startsAt: "2026-10-09T18:00:00+02:00", endsAt: "2026-10-09T20:00:00+02:00")
        edited.title = "Nouveau titre"
        #expect(try hub.send(.sismEventProposed(edited)).notifications(.sismScheduleClash).isEmpty)
    }

    @Test(
        "no clash when times touch, the CLSM is the same, the commune differs, or a proposal is cancelled or rejected",
        arguments: [
            ("b", "93001", "2026-10-09T21:00:00+02:00", "2026-10-09T22:00:00+02:00", false),
            ("a", "93001", "2026-10-09T19:00:00+02:00", "2026-10-09T20:00:00+02:00", false),
            ("a", "93066", "2026-10-09T19:00:00+02:00", "2026-10-09T20:00:00+02:00", false),
            ("b", "93001", "2026-10-09T19:00:00+02:00", "2026-10-09T20:00:00+02:00", true),
        ])
    func noClash(clsm: String, commune: String, startsAt: String, endsAt: String, cancelled: Bool) throws {
        var hub = try Self.hub()
        try hub.send(
            .sismEventProposed(
                Fixture.proposal(
                    "s-a", clsm: "a", commune: "93001", startsAt: "2026-10-09T18:30:00+02:00", endsAt: "2026-10-09T21:00:00+02:00")))
        let decision = try hub.send(
            .sismEventProposed(
                Fixture.proposal("s-x", clsm: clsm, commune: commune, startsAt: startsAt, endsAt: endsAt, cancelled: cancelled)))
        #expect(decision.notifications(.sismScheduleClash).isEmpty)
    }

    @Test("a clash that was resolved and came back is reported again")
    func clashComesBack() throws {
        var hub = try Self.hub()
        let evening = ("2026-10-09T18:00:00+02:00", "2026-10-09T20:00:00+02:00")
        try hub.send(.sismEventProposed(Fixture.proposal("s-a", clsm: "a", commune: "93001", startsAt: evening.0, endsAt: evening.1)))
        #expect(
            try hub.send(.sismEventProposed(Fixture.proposal("s-b", clsm: "b", commune: "93001", startsAt: evening.0, endsAt: evening.1)))
                .notifications(.sismScheduleClash).count == 2)
        try hub.send(
            .sismEventProposed(
                Fixture.proposal(
                    "s-b", clsm: "b", commune: "93001", startsAt: "2026-10-10T18:00:00+02:00", endsAt: "2026-10-10T20:00:00+02:00")))
        let back = try hub.send(
            .sismEventProposed(Fixture.proposal("s-b", clsm: "b", commune: "93001", startsAt: evening.0, endsAt: evening.1)))
        #expect(back.notifications(.sismScheduleClash).map(\.recipient) == [.clsm("a"), .clsm("b")])
    }

    @Test("a cancelled proposal does not clash with later ones")
    func cancelledDoesNotClash() throws {
        var hub = try Self.hub()
        try hub.send(.sismEventProposed(Fixture.proposal("s-a", clsm: "a", commune: "93001")))
        try hub.send(.sismEventProposed(Fixture.proposal("s-a", clsm: "a", commune: "93001", cancelled: true)))
        #expect(
            try hub.send(.sismEventProposed(Fixture.proposal("s-b", clsm: "b", commune: "93001"))).notifications(.sismScheduleClash).isEmpty
        )
    }

    @Test("asv.sism.inQpv: the ASVs of the event's QPV, told again only when something changed")
    func asvInQpv() throws {
        var hub = try Self.hub()
        let proposal = Fixture.proposal("s1", clsm: "a", commune: "93066", qpv: "QN09301M")
        let first = try hub.send(.sismEventProposed(proposal))
        let toAsv = try first.only(.asvSismInQpv, to: .asv("asv-saint-denis"))
        #expect(toAsv.data["inProgramme"] == true)
        #expect(try hub.send(.sismEventProposed(proposal)).notifications.isEmpty)
        let cancelled = try hub.send(
            .sismEventProposed(Fixture.proposal("s1", clsm: "a", commune: "93066", qpv: "QN09301M", cancelled: true)))
        #expect(
            cancelled.routing == [
                "sism.proposal.accepted -> clsm:a", "sism.programme.updated -> ars:11", "asv.sism.inQpv -> asv:asv-saint-denis",
            ])
        #expect(try cancelled.only(.asvSismInQpv, to: .asv("asv-saint-denis")).message.contains("n'aura pas lieu"))
        #expect(try cancelled.only(.sismProgrammeUpdated, to: .ars("11")).data["cancelled"] == 1)
    }

    @Test("an accepted proposal moved out of the window leaves the programme: the ARS is told")
    func leavesProgramme() throws {
        var hub = try Self.hub()
        try hub.send(.sismEventProposed(Fixture.proposal("s1", clsm: "a", commune: "93066")))
        let moved = try hub.send(
            .sismEventProposed(
                Fixture.proposal(
                    "s1", clsm: "a", commune: "93066", startsAt: "2026-11-02T10:00:00+01:00", endsAt: "2026-11-02T12:00:00+01:00")))
        #expect(moved.routing == ["sism.proposal.rejected -> clsm:a", "sism.programme.updated -> ars:11"])
        let data = try moved.only(.sismProgrammeUpdated, to: .ars("11")).data
        #expect(data["proposals"] == 0 && data["rejected"] == 1)
    }

    @Test("regional programme counts: by edition and region, formats, communes, CLSMs, QPV events")
    func programmeCounts() throws {
        var hub = try Self.hub()
        try hub.send(.sismEventProposed(Fixture.proposal("s1", clsm: "a", commune: "93066", format: .workshop, qpv: "QN09301M")))
        try hub.send(
            .sismEventProposed(
                Fixture.proposal(
                    "s2", clsm: "a", commune: "93001", startsAt: "2026-10-10T10:00:00+02:00", endsAt: "2026-10-10T11:00:00+02:00")))
        let decision = try hub.send(
            .sismEventProposed(
                Fixture.proposal(
                    "s3", clsm: "b", commune: "93001", startsAt: "2026-10-12T10:00:00+02:00", endsAt: "2026-10-12T11:00:00+02:00",
                    format: .workshop)))
        let data = try decision.only(.sismProgrammeUpdated, to: .ars("11")).data
        #expect(data["proposals"] == 3)
        #expect(data["byFormat"]?["workshop"] == 2)
        #expect(data["byFormat"]?["conference"] == 1)
        #expect(data["communes"] == 2)
        #expect(data["clsms"] == 2)
        #expect(data["qpvEvents"] == 1)
        #expect(data["region"] == "11")
        #expect(data["theme"] == "Édition de démonstration")
    }

    @Test("unknown CLSM, edition, commune and QPV are unknown_reference, all listed")
    func unknownReferences() throws {
        let hub = try Self.hub()
        let error = try #require(
            hub.rejection(.sismEventProposed(Fixture.proposal("s1", clsm: "zz", commune: "13055", edition: 2031, qpv: "QN13001M"))))
        #expect(error.code == .unknownReference)
        #expect(error.violations.map(\.path) == ["clsmId", "commune", "edition", "qpv"])
    }
}
