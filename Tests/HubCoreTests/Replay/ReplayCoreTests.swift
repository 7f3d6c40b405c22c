import Foundation
import HubSimulation
import HubTestSupport
import Testing

@testable import HubCore
@testable import HubDomain
@testable import HubPostgres

/// The pure parts of `hub-admin replay`: the canonical form the state checksum hashes, the
/// checksum's definition, and the consumer-group rewind's checks and plan.
@Suite("Replay: checksum and rewind, pure")
struct ReplayCoreTests {
    // MARK: Canonical encoding

    /// Sets built in different orders and sizes, so their iteration orders differ.
    private func articulations() -> (ClsmArticulation, ClsmArticulation) {
        var first = ClsmArticulation()
        var second = ClsmArticulation()
        let ptsms = (0..<40).map { "PTSM-\($0)" }
        for id in ptsms { first.ptsms.insert(id) }
        second.ptsms.reserveCapacity(500)
        for id in ptsms.reversed() { second.ptsms.insert(id) }
        first.cls = ["CLS-1": ["93066", "93001"], "CLS-2": ["93008"]]
        second.cls = ["CLS-2": ["93008"], "CLS-1": ["93001", "93066"]]
        first.missingMembers = [.users, .carers, .elected]
        second.missingMembers = [.elected, .carers, .users]
        return (first, second)
    }

    @Test("equal values with sets in different iteration orders encode to the same canonical text")
    func setsAreSorted() throws {
        let (first, second) = articulations()
        #expect(first == second)
        #expect(Array(first.ptsms) != Array(second.ptsms), "the test needs two iteration orders")
        let firstText = try CanonicalEncoding.value(first).canonicalString()
        #expect(firstText == (try CanonicalEncoding.value(second).canonicalString()))
        #expect(firstText.contains(#""ptsms":["PTSM-0","PTSM-1","PTSM-10","PTSM-11""#))
        #expect(firstText.contains(#""cls":{"CLS-1":["93001","93066"],"CLS-2":["93008"]}"#))
    }

    @Test("a dictionary keyed by an enum becomes an object; arrays keep their order")
    func enumKeysAndArrays() throws {
        let record = PtsmRecord(
            diagnostic: Fixture.ptsm("PTSM-93", departements: ["93", "75"], version: 2, priorities: [.suicidePrevention, .housing]),
            lastEvent: EventIdentity(source: "urn:test", id: "1"),
            uncoveredPriorities: [.housing: ["C2", "C1"], .suicidePrevention: []])
        let text = try CanonicalEncoding.value(record).canonicalString()
        #expect(text.contains(#""uncoveredPriorities":{"housing":["C1","C2"],"suicidePrevention":[]}"#), "\(text)")
        #expect(text.contains(#""departements":["93","75"]"#), "a list's order means something: \(text)")
        #expect(text.contains(#""priorities":["suicidePrevention","housing"]"#), "\(text)")
    }

    @Test("a changed value changes the canonical text")
    func differencesShow() throws {
        var (first, second) = articulations()
        second.qpvsWithoutAsv = ["QN093001"]
        #expect(try CanonicalEncoding.value(first).canonicalString() != (try CanonicalEncoding.value(second).canonicalString()))
        first.childPsychiatryAbsent = true
        #expect(try CanonicalEncoding.value(first).canonicalString().contains(#""childPsychiatryAbsent":true"#))
    }

    @Test("the canonical text decodes back to the same record")
    func roundTrip() throws {
        let (first, _) = articulations()
        let decoded = try CanonicalEncoding.value(first).decoding(ClsmArticulation.self)
        #expect(decoded == first)
    }

    // MARK: Checksum definition

    @Test("the checksum is SHA-256 over `table<TAB>row<LF>` lines, per table and overall")
    func checksumDefinition() {
        var builder = StateChecksum.Builder()
        builder.begin(table: "clsms")
        builder.add(row: #"{"id":"a"}"#)
        builder.add(row: #"{"id":"b"}"#)
        builder.begin(table: "ptsms")
        builder.add(row: #"{"id":"p"}"#)
        builder.begin(table: "qpv_actions")
        let checksum = builder.finish()
        // printf 'clsms\t{"id":"a"}\nclsms\t{"id":"b"}\nptsms\t{"id":"p"}\n' | sha256sum, and per table.
        #expect(checksum.sha256 == "7e6756da382c42cfbb9624feca11256475579e21f7ea9c81d1c57335548ad220")
        #expect(
            checksum.table("clsms")
                == .init(name: "clsms", rows: 2, sha256: "9ef36a29378d3eda512ccd908d690ac0a81f41d24c903ff90a8ccb3cae3bd276"))
        #expect(checksum.table("ptsms")?.sha256 == "0514c132c1d998707502b2d4c32445e6c2a0471fbf7d95fa6a97857951751132")
        #expect(
            checksum.table("qpv_actions")
                == .init(
                    name: "qpv_actions", rows: 0,
                    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
    }

    @Test("the read models are the seven derived tables, in name order")
    func readModels() {
        let names = ReadModelTable.all.map(\.name)
        #expect(
            names == ["clsm_activity_reports", "clsms", "ptsm_diagnostics", "ptsms", "qpv_actions", "sism_programmes", "sism_proposals"])
        #expect(names == names.sorted())
        for table in ReadModelTable.all {
            #expect(!table.selectSQL.contains("updated_at") && !table.selectSQL.contains("recorded_at"))
        }
    }

    @Test("a row's canonical form joins its plain columns and its canonical document")
    func canonicalRow() throws {
        let table = ReadModelTable.all.first { $0.name == "qpv_actions" }!
        let record = QpvActionRecord(
            action: Fixture.action("A-1", qpv: "QN093001", by: .asv, "ASV-1"),
            lastEvent: EventIdentity(source: "urn:test", id: "1"))
        let document = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        let row = try table.canonicalRow(plain: #"{"id": "A-1", "qpv": "QN093001"}"#, document: document)
        #expect(row.hasPrefix(#"{"id":"A-1","qpv":"QN093001","record":{"action":{"#), "\(row)")
        #expect(throws: PostgresError.self) { try table.canonicalRow(plain: #"{"id": "A-1"}"#, document: "{}") }
    }

    // MARK: Indexed fold

    @Test("the indexed fold gives the plain fold's state and notifications, byte for byte", arguments: [UInt64(5), 9])
    func indexedFoldIsTheFold(seed: UInt64) throws {
        let territory = SyntheticTerritory.make(seed: seed, clsmCount: 25, qpvCount: 120)
        // Updates and re-declarations included: a proposal that moves changes its index keys.
        let stream = SyntheticEventStream(
            territory: territory, seed: seed, count: 2500,
            options: SyntheticStreamOptions(
                duplicateFraction: 0.02, clsmUpdateShare: 0.06,
                ptsmShare: 0.04, maxProposalsPerClsmAndEdition: 4, activityReportShare: 0.01))
        let events = stream.compactMap { event -> DecodedEvent? in
            let message = event.outboundRecord()
            return try? InboundDecoder().decode(topic: message.topic, headers: message.headers, value: message.value)
        }
        let initial = HubState(reference: territory.reference)
        let plain = RulesEngine().fold(events, from: initial)
        var indexed = IndexedFold(state: initial)
        var notifications: [HubNotification] = []
        var rejected = 0
        for event in events {
            do {
                notifications += try indexed.process(event).notifications
            } catch {
                rejected += 1
            }
        }
        #expect(plain.notifications.filter { $0.rule == .sismScheduleClash }.count > 0, "the stream must exercise clashes")
        #expect(notifications.count == plain.notifications.count)
        #expect(notifications.map { $0.outboundRecord().value } == plain.notifications.map { $0.outboundRecord().value })
        #expect(indexed.state == plain.state)
        #expect(rejected == plain.rejections.count)
    }

    // MARK: Rewind

    @Test("only the inbound topics can be rewound; the refusal names them")
    func topics() throws {
        #expect(try ConsumerGroupRewind.inboundTopic("clsm.declared") == .clsmDeclared)
        for name in ["hub.notifications", "hub.deadletter", "clsm", ""] {
            let refusal = #expect(throws: ConsumerGroupRewind.InputRefusal.self) { try ConsumerGroupRewind.inboundTopic(name) }
            #expect(refusal?.message.contains("clsm.declared, sism.event.proposed, ptsm.diagnostic.published, qpv.action.recorded") == true)
        }
    }

    @Test("the time is RFC 3339 with an offset, and not in the future")
    func times() throws {
        let now = Date(timeIntervalSince1970: 1_780_000_000)
        #expect(try ConsumerGroupRewind.instant("2026-03-01T00:00:00Z", now: now).timeIntervalSince1970 == 1_772_323_200)
        #expect(try ConsumerGroupRewind.instant("2026-03-01T01:00:00+01:00", now: now).timeIntervalSince1970 == 1_772_323_200)
        for text in ["2026-03-01", "2026-03-01T00:00:00", "yesterday", "2026-13-01T00:00:00Z"] {
            #expect(throws: ConsumerGroupRewind.InputRefusal.self) { try ConsumerGroupRewind.instant(text, now: now) }
        }
        let future = #expect(throws: ConsumerGroupRewind.InputRefusal.self) {
            try ConsumerGroupRewind.instant("2026-06-01T00:00:00Z", now: now)
        }
        #expect(future?.message.contains("future") == true)
    }

    @Test("partitions go back to the target, never forward, and uncommitted ones stay so")
    func plan() {
        let p = (0..<4).map { TopicPartition(topic: "clsm.declared", partition: Int32($0)) }
        let moves = ConsumerGroupRewind.plan(
            targets: [p[0]: 3, p[1]: 10, p[2]: 5, p[3]: 0],
            committed: [p[0]: 8, p[1]: 7, p[3]: 4])
        #expect(moves.map(\.partition) == p)
        #expect(moves.map(\.after) == [3, 7, nil, 0])
        #expect(moves.map(\.before) == [8, 7, nil, 4])
        #expect(moves.map(\.moved) == [true, false, false, true])
        #expect(moves.map(\.recordsToReread) == [5, 0, nil, 4])
    }
}
