import HubSimulation
import HubTestSupport
import Testing

@testable import HubDomain

@Suite("Reference data import format")
struct ReferenceDataTests {
    @Test("the demo file decodes and is labelled as demo data")
    func demo() throws {
        let document = try Fixture.demoReference()
        #expect(document.description?.hasPrefix("DEMO DATA") == true)
        #expect(document.communes.count == 6)
        #expect(document.sismEditions.map(\.year) == [2022, 2026])
        let state = HubState(reference: document)
        #expect(state.reference.region(ofCommune: "93066") == "11")
        #expect(state.reference.asvs(servingQpv: "QN09301M").map(\.id) == ["asv-saint-denis"])
    }

    @Test("lookups by commune and QPV give what filtering every row gives, after any change and in copies")
    func indexedLookups() {
        let territory = SyntheticTerritory.make(seed: 5, clsmCount: 60, qpvCount: 300)
        var reference = HubState(reference: territory.reference).reference
        var random = SystemRandomNumberGenerator()
        let communes = Array(reference.communes.keys).sorted()
        let qpvCodes = Array(reference.qpvs.keys).sorted()

        func expectNaive(_ reference: ReferenceData) {
            for _ in 0..<40 {
                let some = Set((0..<Int.random(in: 0...6, using: &random)).map { _ in communes.randomElement(using: &random)! })
                let qpv = qpvCodes.randomElement(using: &random)!
                // A commune meets its arrondissements and the reverse (Lyon and Marseille may
                // hold both in the synthetic territory).
                let meeting = { (codes: [String]) in some.contains { MunicipalArrondissements.meets($0, anyOf: codes) } }
                #expect(
                    reference.qpvs(inCommunes: some)
                        == reference.qpvs.values.filter { meeting($0.communes) }.sorted { $0.code < $1.code })
                #expect(
                    reference.cls(coveringAny: some)
                        == reference.cls.values.filter { meeting($0.communes) }.sorted { $0.id < $1.id })
                #expect(
                    reference.asvs(servingQpv: qpv)
                        == reference.asvs.values.filter { $0.qpvs.contains(qpv) }.sorted { $0.id < $1.id })
            }
        }
        expectNaive(reference)
        for step in 0..<30 {
            let before = reference
            switch step % 3 {
            case 0:
                let code = qpvCodes.randomElement(using: &random)!
                reference.qpvs[code]?.communes = [communes.randomElement(using: &random)!]
            case 1:
                let id = reference.cls.keys.sorted().randomElement(using: &random)!
                reference.cls[id]?.communes.append(communes.randomElement(using: &random)!)
                reference.cls.removeValue(forKey: reference.cls.keys.sorted().randomElement(using: &random)!)
            default:
                let id = reference.asvs.keys.sorted().randomElement(using: &random)!
                reference.asvs[id]?.qpvs = [qpvCodes.randomElement(using: &random)!, qpvCodes.randomElement(using: &random)!]
            }
            expectNaive(reference)
            expectNaive(before)  // the copy taken before the change keeps answering for its own rows
        }
        #expect(reference != HubState(reference: territory.reference).reference)
    }

    @Test("unknown fields and bad codes are schema violations with paths")
    func strict() throws {
        let text =
            #"{"regions":[{"code":"11","name":"IDF","capital":"Paris"}],"communes":[{"code":"9306","name":"X","departement":"93"}],"sismEditions":[{"year":2026,"theme":"T","startsOn":"2026-10-18","endsOn":"2026-10-05"}]}"#
        let error = try #require(rejection { try ReferenceDataDocument.decode(Array(text.utf8)) })
        #expect(error.code == .schemaViolation)
        #expect(error.violations.map(\.path) == ["communes[0].code", "regions[0].capital", "sismEditions[0].endsOn"])
    }

    @Test("dangling codes are unknown references; codes already in the hub are fine")
    func dangling() throws {
        let text =
            #"{"communes":[{"code":"93066","name":"Saint-Denis","departement":"93"}],"asvs":[{"id":"asv","name":"A","qpvs":["QN09301M"]}]}"#
        let error = try #require(rejection { try ReferenceDataDocument.decode(Array(text.utf8)) })
        #expect(error.code == .unknownReference)
        #expect(error.violations.map(\.path) == ["asvs[0].qpvs[0]", "communes[0].departement"])
        let existing = try Fixture.demoState().reference
        #expect(rejection { try ReferenceDataDocument.decode(Array(text.utf8), existing: existing) } == nil)
    }

    @Test("duplicate keys are refused")
    func duplicates() throws {
        let text = #"{"regions":[{"code":"11","name":"A"},{"code":"11","name":"B"}]}"#
        let error = try #require(rejection { try ReferenceDataDocument.decode(Array(text.utf8)) })
        #expect(error.violations == [Violation(path: "regions[1]", reason: "duplicates key 11")])
    }

    @Test("import upserts and keeps rows not mentioned")
    func upsert() throws {
        var reference = try Fixture.demoState().reference
        reference.importing(ReferenceDataDocument(regions: [Region(code: "11", name: "IDF")]))
        #expect(reference.regions["11"]?.name == "IDF")
        #expect(reference.communes.count == 6)
    }
}
