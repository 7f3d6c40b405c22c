import Foundation
import HubCore
import Testing

/// `--version` on the two executables the hub ships, run as an administrator would: the
/// same version (HubBuild.version), exit 0, and no server or configuration needed.
@Suite("--version")
struct VersionTests {
    /// Runs `binary --version` with an empty environment; its exit status and output.
    private func version(of binary: URL) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--version"]
        process.environment = [:]
        let outputFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("version-\(UUID().uuidString.prefix(8)).out")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let handle = try FileHandle(forWritingTo: outputFile)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let end = ContinuousClock.now.advanced(by: .seconds(30))
        while process.isRunning, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        }
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "")
    }

    @Test("hub-workers --version and hub-admin --version print the same version and exit 0")
    func bothExecutables() async throws {
        let workers = try await version(of: WorkerProcess.binary)
        #expect(workers.status == 0, "\(workers)")
        #expect(workers.output == HubBuild.version + "\n", "\(workers)")
        let admin = try await version(of: AdminProcess.binary)
        #expect(admin.status == 0, "\(admin)")
        #expect(admin.output == workers.output, "\(admin)")
        // Semantic versioning, as CHANGELOG.md's releases will be named.
        #expect(HubBuild.version.wholeMatch(of: /[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?/) != nil, "\(HubBuild.version)")
    }
}
