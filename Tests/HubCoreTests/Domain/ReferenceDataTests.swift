import Testing

@testable import HubCore

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

    @Test("unknown fields and bad codes are schema violations with paths")
    func strict() throws {
        let text = #"{"regions":[{"code":"11","name":"IDF","capital":"Paris"}],"communes":[{"code":"9306","name":"X","departement":"93"}],"sismEditions":[{"year":2026,"theme":"T","startsOn":"2026-10-18","endsOn":"2026-10-05"}]}"#
        let error = try #require(rejection { try ReferenceDataDocument.decode(Array(text.utf8)) })
        #expect(error.code == .schemaViolation)
        #expect(error.violations.map(\.path) == ["communes[0].code", "regions[0].capital", "sismEditions[0].endsOn"])
    }

    @Test("dangling codes are unknown references; codes already in the hub are fine")
    func dangling() throws {
        let text = #"{"communes":[{"code":"93066","name":"Saint-Denis","departement":"93"}],"asvs":[{"id":"asv","name":"A","qpvs":["QN09301M"]}]}"#
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
