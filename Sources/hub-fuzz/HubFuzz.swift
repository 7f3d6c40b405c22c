import Foundation
import HubFuzzing

/// The fuzz target over the hub's decide path (see `HubFuzzTarget`).
///
///     hub-fuzz seeds DIR            write the seed corpus (the example events) into DIR
///     hub-fuzz [FILE|DIR]...        built normally: run each input once (regressions)
///     hub-fuzz [libFuzzer args]     built with -sanitize=fuzzer -D HUB_FUZZING: libFuzzer
///
/// scripts/fuzz.sh builds it both ways and runs it.
@main
enum HubFuzz {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "seeds" {
            guard arguments.count == 2 else { usage() }
            let count = try FuzzSeeds.write(to: URL(fileURLWithPath: arguments[1]))
            print("wrote \(count) seeds to \(arguments[1])")
            return
        }
        #if HUB_FUZZING
            exit(runLibFuzzer())
        #else
            exit(runRegressions(arguments) ? 0 : 1)
        #endif
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: hub-fuzz seeds DIR | hub-fuzz [FILE|DIR]...\n".utf8))
        exit(2)
    }

    /// Built once, before the first input: the demo reference data and the examples.
    static let target: HubFuzzTarget = {
        do {
            return try HubFuzzTarget()
        } catch {
            fatalError("hub-fuzz: cannot build the initial state from docs/examples (set HUB_FUZZ_ROOT?): \(error)")
        }
    }()

    /// Runs every file named, or found directly in a directory named; prints each finding.
    static func runRegressions(_ paths: [String]) -> Bool {
        guard !paths.isEmpty else { usage() }
        var inputs = 0
        var findings = 0
        var unreadable = 0
        for file in paths.flatMap(inputFiles) {
            // A corpus libFuzzer is reducing loses files while this reads it: not a finding.
            guard let data = FileManager.default.contents(atPath: file) else {
                unreadable += 1
                print("\(file): cannot be read")
                continue
            }
            inputs += 1
            do {
                try target.run(Array(data))
            } catch {
                findings += 1
                print("\(file): \(error)")
            }
        }
        print("ran \(inputs) inputs, \(findings) findings" + (unreadable > 0 ? ", \(unreadable) files unreadable" : ""))
        return findings == 0 && unreadable == 0
    }

    private static func inputFiles(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { path + "/" + $0 }
    }
}

#if HUB_FUZZING
    /// libFuzzer's entry point when the program has its own `main` (compiler-rt's FuzzerDriver).
    @_silgen_name("LLVMFuzzerRunDriver")
    private func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    extension HubFuzz {
        static func runLibFuzzer() -> Int32 {
            _ = target  // the initial state is built before libFuzzer starts timing inputs
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
                do {
                    try HubFuzz.target.run(input)
                } catch {
                    // A broken property is a finding like a crash: trap so that libFuzzer saves the input.
                    fatalError("hub-fuzz finding: \(error)")
                }
                return 0
            }
        }
    }
#endif
