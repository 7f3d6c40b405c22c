import Foundation
import HubSimulation

/// The hub-workers processes of a chaos run: a few members of one consumer group, each
/// killed and started again by the run, and started again (as an orchestrator would) when
/// one exits by itself. Exits the run did not cause are kept for the report.
final class ChaosWorkers: @unchecked Sendable {
    // @unchecked: `slots` and `unexpectedExits` are touched only under `lock`.

    /// One member: its current process, and whether the run killed it.
    struct Slot {
        var name: String
        var log: URL
        var process: Process
        var starts = 1
        var killedByRun = false
    }

    private let lock = NSLock()
    private var slots: [Slot] = []
    private var unexpected: [String] = []
    private let environment: [String: String]
    private let binary: URL

    /// `environment` is the workers' whole environment (group, database, Kafka settings).
    init(binary: URL, environment: [String: String], count: Int, logPrefix: String) throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BrokerControl.Failure(description: "no hub-workers executable at \(binary.path) (build it, or give --workers-binary)")
        }
        self.binary = binary
        self.environment = environment
        for index in 0..<count {
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("\(logPrefix)-worker\(index + 1).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = try launch(logFile: log)
            slots.append(Slot(name: "worker\(index + 1)", log: log, process: process))
            say("  hub-workers worker\(index + 1) started: pid \(process.processIdentifier), log \(log.path)")
        }
    }

    /// A new process appending to `logFile` (every start of a member writes to the same log).
    private func launch(logFile: URL) throws -> Process {
        let handle = try FileHandle(forWritingTo: logFile)
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = binary
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    var logs: [URL] { lock.withLock { slots.map(\.log) } }
    var unexpectedExits: [String] { lock.withLock { unexpected } }
    var starts: Int { lock.withLock { slots.map(\.starts).reduce(0, +) } }

    /// SIGKILL of one running member picked with `random`; waits until it is gone. Returns
    /// its slot and pid, nil when none runs.
    func killOne(using random: inout SeededRandom) async -> (slot: Int, pid: Int32)? {
        let victim: (slot: Int, pid: Int32)? = lock.withLock {
            let running = slots.indices.filter { slots[$0].process.isRunning }
            guard !running.isEmpty else { return nil }
            let index = random.pick(running)
            slots[index].killedByRun = true
            let pid = slots[index].process.processIdentifier
            kill(pid, SIGKILL)
            return (index, pid)
        }
        guard let victim else { return nil }
        let process = lock.withLock { slots[victim.slot].process }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return victim
    }

    /// Starts the member of `slot` again; its new pid.
    func restart(slot: Int) throws -> Int32 {
        try lock.withLock {
            let process = try launch(logFile: slots[slot].log)
            slots[slot].process = process
            slots[slot].starts += 1
            slots[slot].killedByRun = false
            return process.processIdentifier
        }
    }

    /// Starts again every member that exited without the run killing it, noting how it
    /// ended (a trap is a signal the run did not send). Called every half second.
    func restartUnexpectedExits(at elapsed: Double) {
        lock.withLock {
            for index in slots.indices where !slots[index].process.isRunning && !slots[index].killedByRun {
                let old = slots[index].process
                let how = old.terminationReason == .uncaughtSignal ? "signal" : "status"
                let note = String(
                    format: "%.1f s: %@ (pid %d) exited by itself (%@ %d)", elapsed, slots[index].name, old.processIdentifier, how,
                    old.terminationStatus)
                unexpected.append(note)
                say("  [chaos] " + note + "; started again")
                do {
                    slots[index].process = try launch(logFile: slots[index].log)
                    slots[index].starts += 1
                } catch {
                    unexpected.append("\(slots[index].name) could not be started again: \(error)")
                }
            }
        }
    }

    /// Each running member's name and pid.
    var running: [(name: String, pid: Int32)] {
        lock.withLock { slots.filter { $0.process.isRunning }.map { ($0.name, $0.process.processIdentifier) } }
    }

    /// Whether every member runs now.
    var allRunning: Bool { lock.withLock { slots.allSatisfy { $0.process.isRunning } } }

    /// SIGTERM to every member, SIGKILL after `timeout`; each one's exit status.
    func stopAll(timeout: Duration = .seconds(30)) async -> [String] {
        let processes = lock.withLock { slots.map { ($0.name, $0.process) } }
        for (_, process) in processes where process.isRunning { process.terminate() }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while processes.contains(where: { $0.1.isRunning }), clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return processes.map { name, process in
            if process.isRunning {
                // Not waitUntilExit: it can hang in an async context (see ChildProcess).
                kill(process.processIdentifier, SIGKILL)
                return "\(name): did not stop within \(timeout), killed"
            }
            let how = process.terminationReason == .uncaughtSignal ? "signal" : "status"
            return "\(name): \(how) \(process.terminationStatus)"
        }
    }

    /// The last lines of every member's log, for a failure's report.
    func logTails(lines: Int = 20) -> String {
        logs.map { log in
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return "--- \(log.path)\n"
                + text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
