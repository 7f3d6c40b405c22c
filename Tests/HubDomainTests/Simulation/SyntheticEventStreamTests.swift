import HubDomain
import HubSimulation
import HubTestSupport
import Testing

/// The synthetic event stream: deterministic bytes, and processed in order through the
/// real decoder and rules engine it gives exactly what each record expects.
@Suite("Simulation: synthetic event stream")
struct SyntheticEventStreamTests {
    static let territory = SyntheticTerritory.make(seed: 1)

    /// What the hub does with one record: decode, then decide on the in-memory fold.
    static func outcome(
        of event: SyntheticEvent, state: inout HubState, engine: RulesEngine = RulesEngine()
    ) -> (SyntheticEvent.Expectation, Decision?) {
        let decoded: DecodedEvent
        do {
            decoded = try InboundDecoder().decode(
                topic: event.topic, key: Array(event.key.utf8), headers: event.headers, value: event.cloudEvent.data)
        } catch {
            return (.deadLetter(error.code), nil)
        }
        do {
            let decision = try engine.process(decoded, state: &state)
            switch decision.outcome {
            case .applied: return (.applied, decision)
            case .stale: return (.stale, decision)
            case .duplicate: return (.duplicate, decision)
            }
        } catch {
            return (.deadLetter(error.code), nil)
        }
    }

    static func wire(_ events: [SyntheticEvent]) -> [[UInt8]] {
        events.map { event in
            let message = event.outboundRecord()
            return Array((message.topic + "|" + (message.keyString ?? "")).utf8)
                + message.headers.flatMap { Array($0.name.utf8) + ($0.value ?? []) } + message.value
        }
    }

    @Test("the same territory, seed, count and options give the same records byte for byte")
    func determinism() {
        let options = SyntheticStreamOptions(invalidFraction: 0.05, duplicateFraction: 0.05)
        let first = Array(SyntheticEventStream(territory: Self.territory, seed: 1, count: 3000, options: options))
        let second = Array(SyntheticEventStream(territory: SyntheticTerritory.make(seed: 1), seed: 1, count: 3000, options: options))
        #expect(first.count == 3000)
        #expect(Self.wire(first) == Self.wire(second))
        #expect(first.map { $0.structuredJSONLine() } == second.map { $0.structuredJSONLine() })
        let other = Array(SyntheticEventStream(territory: Self.territory, seed: 2, count: 3000, options: options))
        #expect(Self.wire(other) != Self.wire(first))
        // Identity and time come from the seed and the position.
        #expect(first[42].cloudEvent.id == "synthetic-1-42")
        #expect(
            Set(first.filter { $0.expectation != .duplicate }.map(\.cloudEvent.id)).count
                == first.filter { $0.expectation != .duplicate }.count)
    }

    @Test("set-up first: every CLSM declaration, then a PTSM diagnostic per département")
    func setupOrder() {
        let stream = SyntheticEventStream(territory: Self.territory, seed: 1, count: 1000)
        let events = Array(stream)
        let setup = stream.setupCount
        #expect(setup >= 270 + 101)
        #expect(events[0..<270].allSatisfy { $0.topic == "clsm.declared" && $0.phase == .setup })
        #expect(events[270..<setup].allSatisfy { $0.topic == "ptsm.diagnostic.published" && $0.phase == .setup })
        #expect(Set(events[270..<setup].map(\.key)).count == 101)
        #expect(events[setup...].allSatisfy { $0.phase == .activity })
        // ce_time never goes backwards.
        let times = events.map(\.cloudEvent.time.epochMilliseconds)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("5,000 valid records decode and fold through the rules engine with no rejection")
    func validStreamFolds() {
        var state = HubState(reference: Self.territory.reference)
        var rules: [NotificationRule: Int] = [:]
        var rejected: [String] = []
        var topics: [String: Int] = [:]
        let events = Array(SyntheticEventStream(territory: Self.territory, seed: 1, count: 5000))
        for event in events {
            topics[event.topic, default: 0] += 1
            let (outcome, decision) = Self.outcome(of: event, state: &state)
            if case .deadLetter(let code) = outcome { rejected.append("\(event.sequence) \(code)") }
            #expect(outcome == event.expectation, "record \(event.sequence) on \(event.topic)")
            for notification in decision?.notifications ?? [] { rules[notification.rule, default: 0] += 1 }
            // One notification per (cause, rule, recipient), as the contract's ids imply: the
            // workers copy a batch's notifications into the outbox as new rows.
            let ids = decision?.notifications.map(\.notificationId) ?? []
            #expect(Set(ids).count == ids.count, "record \(event.sequence): two notifications share an id")
        }
        #expect(rejected.isEmpty)
        #expect(state.clsms.count == 270)
        #expect(state.processedEvents.count == 5000)
        #expect(topics.keys.sorted() == ["clsm.declared", "ptsm.diagnostic.published", "qpv.action.recorded", "sism.event.proposed"])
        // A realistic mix: mostly accepted proposals, some refusals and clashes, actions outside territories.
        let accepted = rules[.sismProposalAccepted] ?? 0
        let refused = rules[.sismProposalRejected] ?? 0
        #expect(
            accepted > 5 * refused && refused > 0,
            "\(rules.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" })")
        for rule: NotificationRule in [
            .clsmRegistered, .clsmUpdated, .clsmGovernanceIncomplete, .ptsmClsmOnTerritory, .clsClsmOverlap,
            .asvClsmCoversQpv, .arsQpvWithoutAsv, .clsmTerritoryOverlap, .sismProgrammeUpdated, .sismScheduleClash,
            .asvSismInQpv, .arsPtsmPublished, .ptsmDiagnosticAvailable, .asvQpvActionRecorded, .clsQpvActionRecorded,
            .arsQpvActionOutsideTerritory,
        ] {
            #expect((rules[rule] ?? 0) > 0, "no \(rule.rawValue) notification")
        }
    }

    @Test("invalid records and duplicates give the expected dead-letter codes and no effect")
    func invalidAndDuplicates() {
        var state = HubState(reference: Self.territory.reference)
        let options = SyntheticStreamOptions(invalidFraction: 0.1, duplicateFraction: 0.05)
        var codes: [DeadLetterCode: Int] = [:]
        var duplicates = 0
        var mismatches: [String] = []
        for event in SyntheticEventStream(territory: Self.territory, seed: 7, count: 4000, options: options) {
            let (outcome, _) = Self.outcome(of: event, state: &state)
            if outcome != event.expectation {
                mismatches.append("\(event.sequence): expected \(event.expectation), got \(outcome)")
            }
            switch outcome {
            case .deadLetter(let code): codes[code, default: 0] += 1
            case .duplicate: duplicates += 1
            default: break
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        #expect(Set(codes.keys) == [.schemaViolation, .personalData, .unknownReference, .malformedEnvelope, .unsupportedType])
        let invalid = codes.values.reduce(0, +)
        #expect((250...550).contains(invalid))
        #expect((100...300).contains(duplicates))
    }

    @Test("SISM proposals per (edition, region) stay bounded and spread over the editions")
    func boundedProgrammes() {
        var programme: [String: Set<String>] = [:]
        var editions: Set<Int> = []
        for event in SyntheticEventStream(territory: Self.territory, seed: 1, count: 20_000) where event.topic == "sism.event.proposed" {
            guard case .object(let object)? = try? JSONParser.parse(event.cloudEvent.data),
                case .integer(let edition)? = object["edition"], case .string(let clsmId)? = object["clsmId"],
                case .string(let proposalId)? = object["proposalId"]
            else { continue }
            let region = Self.territory.clsms.first { $0.clsmId == clsmId }!.region
            programme["\(edition)|\(region)", default: []].insert(proposalId)
            editions.insert(Int(edition))
        }
        #expect(editions == [2015, 2017, 2018, 2021, 2022])
        // At most 12 distinct proposals per CLSM and edition (the default limit).
        let clsmsPerRegion = Dictionary(grouping: Self.territory.clsms, by: \.region).mapValues(\.count)
        for (key, proposals) in programme {
            let region = String(key.split(separator: "|")[1])
            #expect(proposals.count <= 12 * clsmsPerRegion[region]!, "\(key)")
        }
        #expect(programme.values.map(\.count).max()! < 1000)
    }
}
