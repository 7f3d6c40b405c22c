import HubDomain
import HubTestSupport
import Testing

/// clsm.activity.reported: the ARS gets each report; governance inactive, vacant coordinator
/// and "quatre quarts" not involved are flagged once per change; stale versions ignored.
@Suite("Rules: clsm.activity.reported")
struct ActivityRulesTests {
    static func hub() throws -> Harness {
        var hub = try Harness.demo()
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"], workingGroups: [.housing])))
        return hub
    }

    /// A report where everything is in order (nothing flagged).
    static func report(
        _ clsmId: String = "a", year: Int = 2025, version: Int = 1, copil: Int = 2, plenary: Int = 1, vacant: Bool = false,
        users: InvolvementStatus = .involved, carers: InvolvementStatus = .involved
    ) -> ClsmActivityReported {
        ClsmActivityReported(
            clsmId: clsmId, year: year, version: version, reportedOn: CalendarDate("2026-02-15")!,
            meetings: .init(copil: copil, plenaryAssembly: plenary, technicalCommittee: 0, workingGroups: 12),
            involvement: .init(elected: .involved, adultPsychiatry: .involved, childPsychiatry: .notAsked, users: users, carers: carers),
            userParticipation: .starting,
            coordinator: .init(fte: 0.5, vacant: vacant, clsmsCoordinated: 1, employer: .localAuthority, funders: [.localAuthority, .ars]),
            ownBudget: false, needsDiagnostic: .inProgress,
            articulation: .init(
                ptsm: .yes, cls: .yes, clspd: .no, asv: .yes, cpts: .notOnTerritory, pre: .no, dac: .yes, contratDeVille: .yes),
            actions: [.init(theme: .sism, count: 4), .init(theme: .housing, count: 2)], sismParticipation: true)
    }

    @Test("a first report reaches the ARS and is kept as the latest of its CLSM and year")
    func reported() throws {
        var hub = try Self.hub()
        let decision = try hub.send(.clsmActivityReported(Self.report()))
        #expect(decision.routing == ["ars.activity.reported -> ars:11"])
        let notification = try decision.only(.arsActivityReported, to: .ars("11"))
        #expect(notification.severity == .info)
        #expect(notification.subject == NotificationSubject(kind: "clsm", id: "a"))
        #expect(notification.data["year"] == 2025)
        #expect(notification.data["themes"] == ["housing", "sism"])
        #expect(notification.message.contains("rapport d'activité 2025"))
        #expect(hub.state.activityReports[ActivityReportKey(clsmId: "a", year: 2025)]?.report == Self.report())
        #expect(hub.state.activityReports[ActivityReportKey(clsmId: "a", year: 2025)]?.region == "11")
    }

    @Test("clsm.governance.inactive: neither COPIL nor plenary assembly met, to the ARS and the CLSM, once")
    func governanceInactive() throws {
        var hub = try Self.hub()
        let decision = try hub.send(.clsmActivityReported(Self.report(copil: 0, plenary: 0)))
        #expect(
            decision.routing == [
                "ars.activity.reported -> ars:11", "clsm.governance.inactive -> ars:11", "clsm.governance.inactive -> clsm:a",
            ])
        #expect(try decision.only(.clsmGovernanceInactive, to: .clsm("a")).severity == .action)
        #expect(try decision.only(.clsmGovernanceInactive, to: .ars("11")).data["declaredCopil"] == true)
        // A newer version still inactive says nothing new; one COPIL is enough to be active.
        let again = try hub.send(.clsmActivityReported(Self.report(version: 2, copil: 0, plenary: 0)))
        #expect(again.notifications(.clsmGovernanceInactive).isEmpty)
        let copilOnly = try hub.send(.clsmActivityReported(Self.report(year: 2024, copil: 1, plenary: 0)))
        #expect(copilOnly.notifications(.clsmGovernanceInactive).isEmpty)
    }

    @Test("ars.coordinator.vacant: a vacant post, to the ARS, only when it became vacant")
    func coordinatorVacant() throws {
        var hub = try Self.hub()
        let decision = try hub.send(.clsmActivityReported(Self.report(vacant: true)))
        let vacant = try decision.only(.arsCoordinatorVacant, to: .ars("11"))
        #expect(vacant.severity == .action)
        #expect(vacant.data["fte"] == 0.5)
        #expect(vacant.data["funders"] == ["localAuthority", "ars"])
        #expect(vacant.message.contains("0,5 ETP"))
        #expect(try hub.send(.clsmActivityReported(Self.report(version: 2, vacant: true))).notifications(.arsCoordinatorVacant).isEmpty)
        #expect(try hub.send(.clsmActivityReported(Self.report(version: 3))).notifications(.arsCoordinatorVacant).isEmpty)
        #expect(try hub.send(.clsmActivityReported(Self.report(version: 4, vacant: true))).notifications(.arsCoordinatorVacant).count == 1)
    }

    @Test("clsm.quatreQuarts.notInvolved: to the CLSM, when the set of members not involved changes")
    func quatreQuarts() throws {
        var hub = try Self.hub()
        let first = try hub.send(.clsmActivityReported(Self.report(users: .declined)))
        let notification = try first.only(.clsmQuatreQuartsNotInvolved, to: .clsm("a"))
        #expect(notification.severity == .warning)
        #expect(notification.data["members"] == [["member": "users", "status": "declined"]])
        #expect(notification.message.contains("les usagers (absents malgré les sollicitations)"))
        // Child psychiatry is not one of the quatre quarts: not flagged here.
        #expect(
            try hub.send(.clsmActivityReported(Self.report(version: 2, users: .declined))).routing == ["ars.activity.reported -> ars:11"])
        let more = try hub.send(.clsmActivityReported(Self.report(version: 3, users: .declined, carers: .absentFromTerritory)))
        #expect(try more.only(.clsmQuatreQuartsNotInvolved, to: .clsm("a")).data["previousMembers"] == ["users"])
    }

    @Test("a version not newer than the stored one for the same CLSM and year changes nothing", arguments: [2, 1])
    func stale(version: Int) throws {
        var hub = try Self.hub()
        try hub.send(.clsmActivityReported(Self.report(version: 2)))
        let before = hub.state.activityReports
        let decision = try hub.send(.clsmActivityReported(Self.report(version: version, copil: 0, plenary: 0, vacant: true)))
        #expect(decision.outcome == .stale)
        #expect(decision.notifications.isEmpty)
        #expect(decision.domainChanges.isEmpty)
        #expect(hub.state.activityReports == before)
        // Another year is another report.
        #expect(try hub.send(.clsmActivityReported(Self.report(year: 2026, version: 1))).outcome == .applied)
        #expect(hub.state.activityReports.count == 2)
    }

    @Test("a report of a CLSM the hub does not know is an unknown_reference")
    func unknownClsm() throws {
        let hub = try Self.hub()
        let error = try #require(hub.rejection(.clsmActivityReported(Self.report("zz"))))
        #expect(error.code == .unknownReference)
        #expect(error.violations.map(\.path) == ["clsmId"])
    }

    @Test("the decision on the slice is the decision on the whole state")
    func slice() throws {
        var hub = try Self.hub()
        try hub.send(.clsmActivityReported(Self.report(version: 1)))
        let event = Fixture.event(.clsmActivityReported(Self.report(version: 2, vacant: true)), id: "slice")
        let engine = RulesEngine()
        let whole = try engine.decide(event, in: hub.state)
        let sliced = try engine.decide(event, in: hub.state.slice(engine.requirements(for: event)))
        #expect(whole == sliced)
        #expect(ResidentState(hub.state).slice(engine.requirements(for: event)) == hub.state.slice(engine.requirements(for: event)))
    }
}

/// Who may report a CLSM's activity: its own tool, or the ARS of its region.
@Suite("Rules: clsm.activity.reported sources")
struct ActivitySourceTests {
    @Test(
        "a CLSM's tool reports for its CLSM only; the ARS of its region may, another region's may not",
        arguments: [
            (SourceAuthorizationTests.clsmTool, "a", nil),
            (SourceAuthorizationTests.otherTool, "a", DeadLetterCode.unauthorized),
            (SourceAuthorizationTests.ars11, "a", nil),
            (SourceAuthorizationTests.ars84, "a", .unauthorized),
            ("urn:nobody", "a", .unauthorized),
        ] as [(String, String, DeadLetterCode?)])
    func sources(source: String, clsmId: String, code: DeadLetterCode?) throws {
        let hub = try SourceAuthorizationTests.hub()
        let refusal = SourceAuthorizationTests.refusal(hub, .clsmActivityReported(ActivityRulesTests.report(clsmId)), from: source)
        #expect(refusal?.code == code, "\(String(describing: refusal))")
    }
}
