import Foundation
import HubDomain

/// The seed corpus: the documented example events, framed as fuzz inputs, so that
/// libFuzzer starts from records that decode and reach the rules.
///
/// The fuzz target's initial state already holds the examples, so the seeds give them new
/// ids: a seed is then a re-declaration, a second proposal, a newer-or-stale diagnostic...
/// on a populated state, not a duplicate. One seed keeps an original id (the duplicate path).
public enum FuzzSeeds {
    /// File name -> input bytes.
    public static func make(from repository: RepositoryFiles = RepositoryFiles()) throws -> [(name: String, bytes: [UInt8])] {
        let envelopes = try repository.exampleEnvelopes()
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (index, envelope) in envelopes.enumerated() {
            let number = String(format: "%02d", index + 1)
            for (mode, label) in [(RepositoryFiles.Mode.structured, "structured"), (.binary, "binary")] {
                seeds.append(("example-\(number)-\(label)", FuzzFraming.encode([try FuzzRecord(renamed(envelope), mode: mode)])))
            }
        }
        let story = try envelopes.map { try FuzzRecord(renamed($0), mode: .binary) }
        seeds.append(("story-binary", FuzzFraming.encode(story)))
        seeds.append(("duplicate-structured", FuzzFraming.encode([try FuzzRecord(envelopes[0], mode: .structured)])))
        var tooLarge = try FuzzRecord(renamed(envelopes[0]), mode: .binary)
        tooLarge.smallSizeLimit = true
        seeds.append(("too-large-binary", FuzzFraming.encode([tooLarge])))
        return seeds
    }

    /// Writes the seeds into `directory` (created if needed); returns how many.
    @discardableResult
    public static func write(to directory: URL, from repository: RepositoryFiles = RepositoryFiles()) throws -> Int {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let seeds = try make(from: repository)
        for seed in seeds {
            try Data(seed.bytes).write(to: directory.appendingPathComponent(seed.name))
        }
        return seeds.count
    }

    private static func renamed(_ envelope: CloudEvent) -> CloudEvent {
        var copy = envelope
        copy.id += "-seed"
        return copy
    }
}
