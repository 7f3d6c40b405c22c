import HubTestSupport
import Testing

@testable import HubDomain

/// Who may say what: ownership of proposals and actions, registered sources, and a region
/// that must be the one of the territory it names.
@Suite("Rules: ownership, registered sources and regions")
struct SourceAuthorizationTests {
    static let clsmTool = "urn:clsm-tool:saint-denis"
    static let otherTool = "urn:clsm-tool:bobigny"
    static let ars11 = "https://ars.example/idf"
    static let ars84 = "https://ars.example/ara"
    static let ptsmTeam = "urn:ptsm:93"
    static let asvSaintDenis = "urn:asv:saint-denis"

    /// The demo territory (region 11) plus a commune of region 84, and the sources above.
    static func hub(registered: Bool = true) throws -> Harness {
        var reference = try Fixture.demoReference()
        reference.regions.append(Region(code: "84", name: "Auvergne-Rhône-Alpes"))
        reference.departements.append(Departement(code: "69", name: "Rhône", region: "84"))
        reference.communes.append(Commune(code: "69123", name: "Lyon", departement: "69"))
        if registered {
            reference.sources = [
                RegisteredSource(source: clsmTool, kind: .clsm, name: "Outil CLSM Saint-Denis", entities: ["a"]),
                RegisteredSource(source: otherTool, kind: .clsm, name: "Outil CLSM Bobigny", entities: ["b"]),
                RegisteredSource(source: ars11, kind: .ars, name: "ARS Île-de-France", regions: ["11"]),
                RegisteredSource(source: ars84, kind: .ars, name: "ARS Auvergne-Rhône-Alpes", regions: ["84"]),
                RegisteredSource(source: ptsmTeam, kind: .ptsm, name: "PTSM 93", entities: ["ptsm-93"]),
                RegisteredSource(source: asvSaintDenis, kind: .asv, name: "ASV Saint-Denis", entities: ["asv-saint-denis"]),
            ]
        }
        var hub = Harness(HubState(reference: reference))
        try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"])), source: registered ? clsmTool : "urn:test")
        try hub.send(.clsmDeclared(Fixture.clsm("b", communes: ["93008"])), source: registered ? otherTool : "urn:test")
        return hub
    }

    /// The code and message of the refusal `payload` from `source` gets, or nil when accepted.
    static func refusal(_ hub: Harness, _ payload: InboundEvent, from source: String) -> EventRejection? {
        do {
            _ = try hub.engine.decide(Fixture.event(payload, id: "probe", source: source), in: hub.state)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Registered sources

    @Test(
        "a record is accepted from a source that speaks for its entity, or from the ARS of its region",
        arguments: [
            (clsmTool, InboundEvent.clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"]))),
            (ars11, .clsmDeclared(Fixture.clsm("a", communes: ["93066", "93001"]))),
            (ars11, .clsmDeclared(Fixture.clsm("new", communes: ["93048"]))),
            (clsmTool, .sismEventProposed(Fixture.proposal("p1", clsm: "a", commune: "93066"))),
            (ars11, .sismEventProposed(Fixture.proposal("p1", clsm: "a", commune: "93066"))),
            (ptsmTeam, .ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", version: 1, priorities: [.suicidePrevention]))),
            (asvSaintDenis, .qpvActionRecorded(Fixture.action("x1", qpv: "QN09301M", by: .asv, "asv-saint-denis"))),
            (clsmTool, .qpvActionRecorded(Fixture.action("x1", qpv: "QN09301M", by: .clsm, "a"))),
            (ars11, .qpvActionRecorded(Fixture.action("x1", qpv: "QN09301M", by: .cls, "cls-plaine-commune"))),
        ])
    func allowed(source: String, payload: InboundEvent) throws {
        let hub = try Self.hub()
        #expect(Self.refusal(hub, payload, from: source) == nil)
    }

    @Test(
        "a foreign source is refused as unauthorized, naming the source",
        arguments: [
            // Another CLSM's tool re-declares, stops or proposes for CLSM a.
            (otherTool, InboundEvent.clsmDeclared(Fixture.clsm("a", communes: ["93066"], status: .stopped))),
            (otherTool, .sismEventProposed(Fixture.proposal("p1", clsm: "a", commune: "93066"))),
            // An unregistered source.
            ("urn:somebody", .clsmDeclared(Fixture.clsm("a", communes: ["93066"]))),
            // The ARS of another region.
            (ars84, .clsmDeclared(Fixture.clsm("a", communes: ["93066"]))),
            (ars84, .sismEventProposed(Fixture.proposal("p1", clsm: "a", commune: "93066"))),
            (ars84, .ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", version: 1, priorities: [.suicidePrevention]))),
            (ars84, .qpvActionRecorded(Fixture.action("x1", qpv: "QN09301M", by: .asv, "asv-saint-denis"))),
            // A source of another kind: a PTSM team declaring a CLSM, a CLSM tool publishing a diagnostic.
            (ptsmTeam, .clsmDeclared(Fixture.clsm("a", communes: ["93066"]))),
            (clsmTool, .ptsmDiagnosticPublished(Fixture.ptsm("ptsm-93", version: 1, priorities: [.suicidePrevention]))),
            // An action recorded in another's name.
            (asvSaintDenis, .qpvActionRecorded(Fixture.action("x1", qpv: "QN09301M", by: .asv, "asv-bobigny"))),
            (clsmTool, .qpvActionRecorded(Fixture.action("x1", qpv: "QN09301M", by: .clsm, "b"))),
        ])
    func refused(source: String, payload: InboundEvent) throws {
        let hub = try Self.hub()
        let refusal = try #require(Self.refusal(hub, payload, from: source))
        #expect(refusal.code == .unauthorized)
        #expect(refusal.message.contains("ce_source \"\(source)\""), "\(refusal)")
    }

    @Test("moving a CLSM to another region needs the ARS of both regions")
    func moving() throws {
        var hub = try Self.hub()
        try hub.send(.clsmDeclared(Fixture.clsm("lyon", communes: ["69123"], region: "84")), source: Self.ars84)
        let moved = InboundEvent.clsmDeclared(Fixture.clsm("lyon", communes: ["93048"], region: "11"))
        let refusal = try #require(Self.refusal(hub, moved, from: Self.ars11))
        #expect(refusal.code == .unauthorized)
        #expect(refusal.message.contains("touches region(s) 84"), "\(refusal)")
    }

    @Test("a refused record changes nothing and tells no one")
    func refusedChangesNothing() throws {
        var hub = try Self.hub()
        let before = hub.state
        #expect(throws: EventRejection.self) {
            try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"], status: .stopped)), source: Self.otherTool)
        }
        #expect(hub.state == before)
    }

    @Test("with no source registered the hub runs open: any source speaks for anything")
    func open() throws {
        let hub = try Self.hub(registered: false)
        #expect(!hub.state.reference.someSourceRegistered)
        let stop = InboundEvent.clsmDeclared(Fixture.clsm("a", communes: ["93066"], status: .stopped))
        #expect(Self.refusal(hub, stop, from: "urn:anyone") == nil)
    }

    @Test("a slice knows that sources are registered even when it holds none of them")
    func sliceKeepsTheFlag() throws {
        let hub = try Self.hub()
        let event = Fixture.event(.clsmDeclared(Fixture.clsm("a", communes: ["93066"])), id: "e", source: "urn:nobody")
        let slice = hub.state.slice(hub.engine.requirements(for: event))
        #expect(slice.reference.sources.isEmpty)
        #expect(slice.reference.someSourceRegistered)
        #expect(throws: EventRejection.self) { try hub.engine.decide(event, in: slice) }
    }

    // MARK: Ownership (registered sources or not)

    @Test("CLSM b cannot touch CLSM a's proposal, even with the hub open", arguments: [true, false])
    func proposalOwnership(registered: Bool) throws {
        var hub = try Self.hub(registered: registered)
        try hub.send(
            .sismEventProposed(Fixture.proposal("p1", clsm: "a", commune: "93066")), source: registered ? Self.clsmTool : "urn:test")
        let takeover = InboundEvent.sismEventProposed(Fixture.proposal("p1", clsm: "b", commune: "93008", cancelled: true))
        let refusal = try #require(Self.refusal(hub, takeover, from: registered ? Self.otherTool : "urn:test"))
        #expect(refusal.code == .unauthorized)
        #expect(refusal.violations.map(\.path) == ["clsmId"])
        #expect(refusal.message.contains("belongs to CLSM a"))
        #expect(hub.state.sismProposals["p1"]?.proposal.clsmId == "a")
        // Its owner may still change it.
        let update = InboundEvent.sismEventProposed(Fixture.proposal("p1", clsm: "a", commune: "93066", cancelled: true))
        #expect(Self.refusal(hub, update, from: registered ? Self.clsmTool : "urn:test") == nil)
    }

    @Test("an action belongs to its first recorder", arguments: [true, false])
    func actionOwnership(registered: Bool) throws {
        var hub = try Self.hub(registered: registered)
        try hub.send(
            .qpvActionRecorded(Fixture.action("x1", qpv: "QN09301M", by: .asv, "asv-saint-denis")),
            source: registered ? Self.asvSaintDenis : "urn:test")
        let takeover = InboundEvent.qpvActionRecorded(Fixture.action("x1", qpv: "QN09301M", by: .clsm, "a", participants: 0))
        let refusal = try #require(Self.refusal(hub, takeover, from: registered ? Self.ars11 : "urn:test"))
        #expect(refusal.code == .unauthorized)
        #expect(refusal.message.contains("belongs to asv asv-saint-denis"), "\(refusal)")
    }

    // MARK: Regions

    @Test("a CLSM's region must be its communes' region")
    func clsmRegion() throws {
        let hub = try Self.hub(registered: false)
        let wrong = InboundEvent.clsmDeclared(Fixture.clsm("lyon", communes: ["69123"], region: "11"))
        let refusal = try #require(Self.refusal(hub, wrong, from: "urn:test"))
        #expect(refusal.code == .unknownReference)
        #expect(refusal.violations == [Violation(path: "communes[0]", reason: "69123 lies in region 84, not 11")])
        let mixed = InboundEvent.clsmDeclared(Fixture.clsm("mixed", communes: ["93066", "69123"], region: "11"))
        #expect(Self.refusal(hub, mixed, from: "urn:test")?.violations.map(\.path) == ["communes[1]"])
        let right = InboundEvent.clsmDeclared(Fixture.clsm("lyon", communes: ["69123"], region: "84"))
        #expect(Self.refusal(hub, right, from: "urn:test") == nil)
    }

    @Test("a PTSM's region must be its départements' region")
    func ptsmRegion() throws {
        let hub = try Self.hub(registered: false)
        let wrong = InboundEvent.ptsmDiagnosticPublished(
            Fixture.ptsm("ptsm-69", departements: ["69"], version: 1, priorities: [.suicidePrevention], region: "11"))
        let refusal = try #require(Self.refusal(hub, wrong, from: "urn:test"))
        #expect(refusal.code == .unknownReference)
        #expect(refusal.violations == [Violation(path: "departements[0]", reason: "69 lies in region 84, not 11")])
    }

    // MARK: Reference data

    @Test("sources in reference data: strict shape, known regions, CLS and ASV")
    func referenceDocument() throws {
        let valid = """
            {"sources": [
              {"source": "https://ars.example/idf", "kind": "ars", "name": "ARS", "regions": ["11"]},
              {"source": "urn:clsm-tool:x", "kind": "clsm", "name": "Outil", "entities": ["clsm-x", "clsm-y"]},
              {"source": "urn:asv:sd", "kind": "asv", "name": "ASV", "entities": ["asv-saint-denis"]}
            ]}
            """
        let existing = try Fixture.demoState().reference
        let document = try ReferenceDataDocument.decode(Array(valid.utf8), existing: existing)
        #expect(document.sources.map(\.kind) == [.ars, .clsm, .asv])
        var merged = existing
        merged.importing(document)
        #expect(merged.someSourceRegistered)
        #expect(merged.sources["urn:clsm-tool:x"]?.speaks(for: SpokenEntity(.clsm, "clsm-y")) == true)

        let cases: [(String, DeadLetterCode, String)] = [
            (#"{"source": "a", "kind": "ars", "name": "n", "entities": ["x"]}"#, .schemaViolation, "sources[0].regions"),
            (#"{"source": "a", "kind": "clsm", "name": "n"}"#, .schemaViolation, "sources[0].entities"),
            (#"{"source": "a", "kind": "minister", "name": "n", "entities": ["x"]}"#, .schemaViolation, "sources[0].kind"),
            (#"{"source": "a", "kind": "ars", "name": "n", "regions": ["84"]}"#, .unknownReference, "sources[0].regions[0]"),
            (#"{"source": "a", "kind": "cls", "name": "n", "entities": ["cls-nowhere"]}"#, .unknownReference, "sources[0].entities[0]"),
        ]
        for (row, code, path) in cases {
            do {
                _ = try ReferenceDataDocument.decode(Array("{\"sources\": [\(row)]}".utf8), existing: existing)
                Issue.record("accepted \(row)")
            } catch {
                #expect(error.code == code, "\(row)")
                #expect(error.violations.map(\.path).contains(path), "\(row): \(error)")
            }
        }
    }
}
