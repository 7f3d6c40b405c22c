import Foundation
import HubDomain
import HubSimulation
import Testing

/// The synthetic national territory: deterministic, valid reference data, and the
/// proportions of the seeds (domain.md) within sampling tolerance.
@Suite("Simulation: synthetic territory")
struct SyntheticTerritoryTests {
    static let territory = SyntheticTerritory.make(seed: 1)

    @Test("the same seed gives the same territory, byte for byte; another seed another one")
    func determinism() {
        let again = SyntheticTerritory.make(seed: 1)
        #expect(again == Self.territory)
        #expect(Simulation.bytes(of: again) == Simulation.bytes(of: Self.territory))
        let other = SyntheticTerritory.make(seed: 2)
        #expect(Simulation.bytes(of: other) != Simulation.bytes(of: Self.territory))
    }

    @Test("the reference data passes the strict import (formats, duplicates, references)")
    func referenceImports() throws {
        let bytes = Array(try JSONEncoder().encode(Self.territory.reference))
        let decoded = try ReferenceDataDocument.decode(bytes)
        #expect(decoded == Self.territory.reference)
        #expect(decoded.description?.contains("SYNTHETIC") == true)
    }

    @Test("18 regions with their real codes, 101 départements, a few thousand communes, 1,600 QPVs")
    func sizes() {
        let reference = Self.territory.reference
        #expect(
            reference.regions.map(\.code).sorted() == [
                "01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94",
            ])
        #expect(reference.departements.count == 101)
        #expect(reference.departements.allSatisfy { CodeFormat.isDepartement($0.code) })
        #expect(Set(reference.departements.map(\.code)).isSuperset(of: ["2A", "2B", "971", "976", "75", "93"]))
        #expect((2000...5000).contains(reference.communes.count))
        #expect(reference.communes.allSatisfy { CodeFormat.isCommune($0.code) && $0.code.hasPrefix($0.departement) })
        #expect(reference.communes.allSatisfy { $0.name.contains("synthétique") })
        #expect(reference.qpvs.count == 1600)
        #expect(reference.qpvs.allSatisfy { CodeFormat.isQpv($0.code) && $0.communes.count == 1 })
        #expect(Self.territory.clsms.count == 270)
        #expect(Self.territory.clsms.allSatisfy { $0.name.hasPrefix("CLSM synthétique ") })
        #expect(reference.sismEditions.map(\.year) == [2015, 2017, 2018, 2021, 2022])
        for edition in reference.sismEditions {
            #expect(edition.endsOn.daysSinceEpoch - edition.startsOn.daysSinceEpoch == 13)
        }
        #expect(SyntheticTerritory.make(seed: 3, clsmCount: 40, qpvCount: 300).reference.qpvs.count == 300)
    }

    @Test("QPVs are concentrated in urban communes")
    func qpvsUrban() {
        let qpvs = Self.territory.reference.qpvs
        let urban = qpvs.filter { Self.territory.urbanCommunes.contains($0.communes[0]) }.count
        #expect(Double(urban) / Double(qpvs.count) > 0.85)
        #expect(Double(Self.territory.urbanCommunes.count) / Double(Self.territory.reference.communes.count) < 0.4)
    }

    @Test("scale, status, governance and working groups follow the 2022 survey")
    func clsmProportions() {
        let clsms = Self.territory.clsms
        func share(_ predicate: (ClsmDeclared) -> Bool) -> Double { Double(clsms.filter(predicate).count) / Double(clsms.count) }
        let tolerance = 0.08
        #expect(abs(share { $0.scale == .communal } - 0.52) < tolerance)
        #expect(abs(share { $0.scale == .intercommunal } - 0.34) < tolerance)
        #expect(share { $0.status == .active } > 0.8)
        #expect(abs(share { $0.governance.copil } - 0.85) < tolerance)
        let members: [(GovernanceMember, Double)] = [
            (.elected, 0.96), (.adultPsychiatry, 0.96), (.childPsychiatry, 0.64), (.users, 0.72), (.carers, 0.78),
        ]
        for (member, rate) in members {
            #expect(abs(share { $0.governance.members.contains(member) } - rate) < tolerance, "\(member)")
        }
        let groups: [(ThemeCode, Double)] = [(.sism, 0.76), (.housing, 0.65), (.complexCases, 0.64), (.adolescents, 0.55)]
        for (theme, rate) in groups {
            #expect(abs(share { ($0.workingGroups ?? []).contains(theme) } - rate) < tolerance, "\(theme)")
        }
        let populations = clsms.compactMap(\.population)
        #expect(populations.allSatisfy { (13_000...525_000).contains($0) })
        let mean = populations.reduce(0, +) / populations.count
        #expect((80_000...140_000).contains(mean))
        #expect(share { ($0.coordinator?.fte ?? 0) <= 0.5 } > 0.5)
    }

    @Test("articulation: 83% cover a QPV, 77% share a commune with a CLS, over 40% of QPV territories without ASV, a few overlaps")
    func articulation() {
        let facts = Simulation.facts(Self.territory)
        #expect(abs(facts.coveringQpv - 0.83) < 0.06)
        #expect(abs(facts.withCls - 0.77) < 0.06)
        #expect(facts.qpvTerritoriesWithoutAsv > 0.40)
        #expect(facts.coveredQpvsWithoutAsv > 0.40)
        #expect((1...25).contains(facts.overlappingPairs))
        #expect((0.18...0.38).contains(facts.ileDeFranceShare))
        #expect(Set(Self.territory.clsms.map(\.region)).count >= 14)
    }
}

/// Figures computed from a territory, shared by the tests.
enum Simulation {
    static func bytes(of territory: SyntheticTerritory) -> [UInt8] {
        JSONValue.encoding(territory.reference).canonicalBytes()
            + territory.clsms.flatMap { InboundEvent.clsmDeclared($0).canonicalJSON() }
    }

    struct Facts {
        var coveringQpv: Double
        var withCls: Double
        var qpvTerritoriesWithoutAsv: Double
        var coveredQpvsWithoutAsv: Double
        var overlappingPairs: Int
        var ileDeFranceShare: Double
    }

    static func facts(_ territory: SyntheticTerritory) -> Facts {
        var reference = ReferenceData()
        reference.importing(territory.reference)
        let clsms = territory.clsms
        let served = Set(reference.asvs.values.flatMap(\.qpvs))
        let clsCommunes = Set(reference.cls.values.flatMap(\.communes))
        var covering = 0, withCls = 0, withoutAsv = 0
        var coveredQpvs: Set<String> = []
        for clsm in clsms {
            let qpvs = reference.qpvs(inCommunes: Set(clsm.communes)).map(\.code)
            if !qpvs.isEmpty {
                covering += 1
                coveredQpvs.formUnion(qpvs)
                if served.isDisjoint(with: qpvs) { withoutAsv += 1 }
            }
            if !clsCommunes.isDisjoint(with: clsm.communes) { withCls += 1 }
        }
        var pairs: Set<[String]> = []
        var byCommune: [String: [String]] = [:]
        for clsm in clsms where clsm.status == .active {
            for commune in clsm.communes { byCommune[commune, default: []].append(clsm.clsmId) }
        }
        for ids in byCommune.values where ids.count > 1 {
            for a in ids { for b in ids where a < b { pairs.insert([a, b]) } }
        }
        return Facts(
            coveringQpv: Double(covering) / Double(clsms.count),
            withCls: Double(withCls) / Double(clsms.count),
            qpvTerritoriesWithoutAsv: Double(withoutAsv) / Double(max(1, covering)),
            coveredQpvsWithoutAsv: Double(coveredQpvs.subtracting(served).count) / Double(max(1, coveredQpvs.count)),
            overlappingPairs: pairs.count,
            ileDeFranceShare: Double(clsms.filter { $0.region == "11" }.count) / Double(clsms.count))
    }
}
