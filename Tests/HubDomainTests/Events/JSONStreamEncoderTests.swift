import Foundation
import HubSimulation
import HubTestSupport
import Testing

@testable import HubDomain

@Suite("JSON stream encoder (pure)")
struct JSONStreamEncoderTests {
    /// Both encoders' output, parsed: equal values whatever the member order.
    private func expectSameJSON<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let streamed = try JSONStreamEncoder.encode(value)
        let foundation = try JSONEncoder().encode(value)
        #expect(try JSONParser.parse(streamed) == (try JSONParser.parse(Array(foundation))), sourceLocation: sourceLocation)
        #expect(try JSONDecoder().decode(T.self, from: Data(streamed)) == value, sourceLocation: sourceLocation)
    }

    @Test("every record of a synthetic national stream's state encodes as JSONEncoder encodes it")
    func records() throws {
        let territory = SyntheticTerritory.make(seed: 3, clsmCount: 40, qpvCount: 200)
        let events = SyntheticEventStream.decodedEvents(territory: territory, seed: 3, count: 3_000)
        var state = HubState(reference: territory.reference)
        let engine = RulesEngine()
        for event in events {
            guard let decision = try? engine.decide(event, in: state) else { continue }
            state.apply(decision.changes)
        }
        #expect(!state.clsms.isEmpty && !state.ptsms.isEmpty && !state.sismProposals.isEmpty)
        #expect(!state.sismProgrammes.isEmpty && !state.qpvActions.isEmpty)
        for record in state.clsms.values { try expectSameJSON(record) }
        for record in state.ptsms.values { try expectSameJSON(record) }
        for record in state.sismProposals.values { try expectSameJSON(record) }
        for record in state.sismProgrammes.values { try expectSameJSON(record) }
        for record in state.qpvActions.values { try expectSameJSON(record) }
        for row in state.reference.qpvs.values { try expectSameJSON(row) }
        for row in state.reference.cls.values { try expectSameJSON(row) }
        try expectSameJSON(state.reference)
    }

    @Test("every payload of a synthetic stream encodes as JSONEncoder encodes it, and its canonical bytes too")
    func payloads() throws {
        let territory = SyntheticTerritory.make(seed: 5, clsmCount: 40, qpvCount: 200)
        let events = SyntheticEventStream.decodedEvents(
            territory: territory, seed: 5, count: 500, options: SyntheticStreamOptions(activityReportShare: 0.05))
        #expect(Set(events.map(\.event.topic)).count == InboundTopic.allCases.count, "every topic's payload")
        for event in events {
            let foundation: JSONValue
            switch event.event {
            case .clsmDeclared(let payload):
                try expectSameJSON(payload)
                foundation = .encoding(payload)
            case .sismEventProposed(let payload):
                try expectSameJSON(payload)
                foundation = .encoding(payload)
            case .ptsmDiagnosticPublished(let payload):
                try expectSameJSON(payload)
                foundation = .encoding(payload)
            case .qpvActionRecorded(let payload):
                try expectSameJSON(payload)
                foundation = .encoding(payload)
            case .clsmActivityReported(let payload):
                try expectSameJSON(payload)
                foundation = .encoding(payload)
            }
            #expect(try JSONParser.parse(event.event.json()) == foundation)
            #expect(event.event.canonicalJSON() == foundation.canonicalBytes())
        }
    }

    private struct Sample: Codable, Equatable {
        enum Kind: String, Codable { case a, b }
        struct Inner: Codable, Equatable {
            var values: [Double]
            var nested: [[Int]]
        }

        var text = "quote \" backslash \\ newline \n tab \t control \u{01} slash / é"
        var integers: [Int64] = [0, -1, Int64.max, Int64.min]
        var unsigned: UInt64 = .max
        var doubles: [Double] = [0, 0.5, -1.25, 1e-7, 1e300, 12, 3.0e16]
        var floats: [Float] = [0.1, 2, -0.25, 3.0e9]
        var flag = true
        var kind = Kind.b
        var absent: String?
        var present: String? = "x"
        var empty: [String] = []
        var emptyObject: [String: Int] = [:]
        var byName: [String: Inner] = ["k": Inner(values: [1, 2.5], nested: [[], [1, 2]])]
        var byNumber: [Int: String] = [3: "three", -1: "minus one"]
        var set: Set<String> = ["s"]
        var inner = Inner(values: [], nested: [[]])
    }

    @Test("strings, numbers, optionals, nested and empty containers, dictionaries with Int keys")
    func shapes() throws {
        try expectSameJSON(Sample())
        try expectSameJSON([Sample(), Sample()])
        try expectSameJSON("alone")
        try expectSameJSON(42)
        try expectSameJSON([String?.none, "a"])
    }

    @Test("a non-finite number is refused, as JSONEncoder refuses it")
    func nonFinite() {
        #expect(throws: EncodingError.self) { try JSONStreamEncoder.encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONStreamEncoder.encode(["x": Double.infinity]) }
    }
}
