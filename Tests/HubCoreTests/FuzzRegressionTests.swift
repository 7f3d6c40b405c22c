import Foundation
import HubDomain
import HubFuzzing
import HubTestSupport
import Testing

/// The fuzz target's per-input function (`HubFuzzTarget`, run by scripts/fuzz.sh) on the
/// inputs it once crashed on, kept under Tests/Fuzz/regressions/, and on its seed corpus.
/// A regression that traps again stops the test process, which fails the run.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let regressions = Fixture.repositoryRoot.appendingPathComponent("Tests/Fuzz/regressions")

    static func regressionFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: regressions.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted()
    }

    static func target() throws -> HubFuzzTarget {
        try HubFuzzTarget(repository: RepositoryFiles(root: Fixture.repositoryRoot))
    }

    @Test("the regression inputs are there (the list below is not silently empty)")
    func regressionsExist() {
        #expect(Self.regressionFiles().count >= 1)
    }

    @Test("an input that once crashed the decide path or broke a property now runs clean", arguments: regressionFiles())
    func regression(_ file: String) throws {
        let input = Array(try Data(contentsOf: Self.regressions.appendingPathComponent(file)))
        #expect(throws: Never.self) { try Self.target().run(input) }
    }

    @Test("each seed reaches the rules: the example events, renamed, are decided on the populated state")
    func seedsAreDecided() throws {
        let target = try Self.target()
        let seeds = try FuzzSeeds.make(from: RepositoryFiles(root: Fixture.repositoryRoot))
        for seed in seeds where seed.name.hasPrefix("example-") || seed.name == "story-binary" {
            let outcomes = try target.run(seed.bytes)
            #expect(!outcomes.isEmpty, "\(seed.name)")
            for outcome in outcomes {
                guard case .decided(let result, _) = outcome else {
                    Issue.record("\(seed.name): \(outcome)")
                    continue
                }
                #expect(result != .duplicate, "\(seed.name)")
            }
        }
        let byName = Dictionary(uniqueKeysWithValues: seeds.map { ($0.name, $0.bytes) })
        #expect(try target.run(try #require(byName["duplicate-structured"])) == [.decided(.duplicate, notifications: 0)])
        #expect(try target.run(try #require(byName["too-large-binary"])) == [.rejected(.tooLarge)])
    }

    @Test("the framing reads back what it writes, and reads any bytes")
    func framing() throws {
        let records = [
            FuzzRecord(
                topic: .qpvActionRecorded, key: [1, 2],
                headers: [RecordHeader(name: "a", value: nil), RecordHeader(name: "b", string: "c")],
                value: Array("{}".utf8), smallSizeLimit: true),
            FuzzRecord(topic: .clsmDeclared, headers: [], value: []),
        ]
        #expect(FuzzFraming.parse(FuzzFraming.encode(records)) == records)
        // Truncated anywhere, the framing still parses (fields take what is left).
        let bytes = FuzzFraming.encode(records)
        for end in 0..<bytes.count {
            #expect(FuzzFraming.parse(Array(bytes[..<end])).count <= records.count)
        }
        // Flags 5: topic 1 with a key; the key's length 0; the input ends there.
        #expect(FuzzFraming.parse([0x05, 0, 0]) == [FuzzRecord(topic: .sismEventProposed, key: [], headers: [], value: [])])
    }
}
