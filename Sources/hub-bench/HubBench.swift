import ArgumentParser
import Foundation
import HubDomain
import HubSimulation
import Logging

/// hub-bench: end-to-end benchmark of the hub on a synthetic national territory, and the
/// generator of that territory and its event stream for inspection.
@main
struct HubBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-bench",
        abstract: "Benchmark the hub end to end on synthetic national data, or write that data out.",
        discussion: """
            run: reads HUB_KAFKA_BROKERS, HUB_DATABASE_URL and HUB_KAFKA_* like the other \
            executables; works in a fresh PostgreSQL schema and a fresh consumer group, with \
            the real hub-workers executable as a child process.
            """,
        subcommands: [Run.self, Generate.self, Core.self, Chaos.self, Soak.self]
    )
}

/// Options shared by both subcommands: which synthetic data.
struct DataOptions: ParsableArguments {
    @Option(help: "Number of records in the stream (set-up records included).")
    var events: Int = 1_000_000

    @Option(help: "Seed of the territory and of the stream.")
    var seed: UInt64 = 1

    @Option(help: "CLSMs in the synthetic territory.")
    var clsms: Int = 270

    @Option(help: "QPVs in the synthetic territory.")
    var qpvs: Int = 1600

    @Option(help: "Share of invalid records (dead letters), 0...1.")
    var invalidFraction: Double = 0

    @Option(help: "Share of exact duplicates (same ce_source/ce_id re-sent), 0...1.")
    var duplicateFraction: Double = 0

    func validate() throws {
        guard events >= 0 else { throw ValidationError("--events must be positive") }
        guard (0...1).contains(invalidFraction), (0...1).contains(duplicateFraction), invalidFraction + duplicateFraction <= 1 else {
            throw ValidationError("--invalid-fraction and --duplicate-fraction must be in 0...1 and add up to at most 1")
        }
    }

    var territory: SyntheticTerritory { SyntheticTerritory.make(seed: seed, clsmCount: clsms, qpvCount: qpvs) }

    func stream(_ territory: SyntheticTerritory) -> SyntheticEventStream {
        SyntheticEventStream(
            territory: territory, seed: seed, count: events,
            options: SyntheticStreamOptions(invalidFraction: invalidFraction, duplicateFraction: duplicateFraction))
    }
}

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write the synthetic reference data (reference.json, for hub-admin reference import) and the events (events.jsonl, one structured CloudEvent per line)."
    )

    @OptionGroup var data: DataOptions

    @Option(help: "Directory to write into (created if missing).")
    var output: String

    func run() async throws {
        let directory = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let territory = data.territory
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(territory.reference).write(to: directory.appendingPathComponent("reference.json"))

        let path = directory.appendingPathComponent("events.jsonl").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        var written = 0
        var expectations: [String: Int] = [:]
        var topics: [String: Int] = [:]
        for event in data.stream(territory) {
            buffer += event.structuredJSONLine()
            buffer.append(UInt8(ascii: "\n"))
            written += 1
            expectations[event.expectation.description, default: 0] += 1
            topics[event.topic, default: 0] += 1
            if buffer.count > 1 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        print(
            "wrote \(directory.appendingPathComponent("reference.json").path): \(territory.reference.regions.count) regions, \(territory.reference.departements.count) départements, \(territory.reference.communes.count) communes, \(territory.reference.qpvs.count) QPVs, \(territory.reference.cls.count) CLS, \(territory.reference.asvs.count) ASV, \(territory.reference.sismEditions.count) SISM editions"
        )
        print("wrote \(path): \(written) events")
        for topic in topics.keys.sorted() { print("  \(topic): \(topics[topic]!)") }
        for expectation in expectations.keys.sorted() { print("  expected \(expectation): \(expectations[expectation]!)") }
    }
}
