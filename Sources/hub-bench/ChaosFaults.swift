import Foundation
import HubSimulation

/// One fault the chaos run injects, at a planned moment after the activity starts.
struct ChaosFault: Sendable, CustomStringConvertible {
    enum Kind: Sendable, CustomStringConvertible {
        /// SIGKILL of one running hub-workers process, restarted `restartAfter` later.
        case killWorker(restartAfter: Duration)
        /// PostgreSQL stopped the way `mode` says, down for `downtime`, started again.
        case restartPostgres(PostgresServerControl.StopMode, downtime: Duration)
        /// The broker stopped with SIGSTOP for `duration`, then SIGCONT.
        case freezeBroker(duration: Duration)

        var description: String {
            switch self {
            case .killWorker(let delay): "kill -9 of a worker, restarted after \(Bench.seconds(delay)) s"
            case .restartPostgres(let mode, let downtime):
                mode == .fast ? "PostgreSQL restart (\(mode))" : "PostgreSQL \(mode), down \(Bench.seconds(downtime)) s"
            case .freezeBroker(let duration): "broker frozen for \(Bench.seconds(duration)) s"
            }
        }
    }

    /// Seconds after the activity's first record.
    var at: Double
    var kind: Kind

    var description: String { String(format: "%7.1f s  ", at) + kind.description }

    /// The run's faults at seeded random moments over `window` seconds (the first and last
    /// twentieth left quiet), in time order. The same seed gives the same plan.
    static func plan(
        seed: UInt64, window: Double, workerKills: Int, postgresRestarts: Int, brokerFreezes: Int
    ) -> [ChaosFault] {
        var random = SeededRandom(seed: seed, stream: "chaos")
        func moment() -> Double { window * (0.05 + 0.9 * random.unit()) }
        func seconds(_ range: ClosedRange<Double>) -> Duration {
            .milliseconds(Int((range.lowerBound + random.unit() * (range.upperBound - range.lowerBound)) * 1000))
        }
        var faults: [ChaosFault] = []
        for _ in 0..<workerKills {
            faults.append(ChaosFault(at: moment(), kind: .killWorker(restartAfter: seconds(0.5...3))))
        }
        // The harshest first: with a single restart (the short form), PostgreSQL is killed.
        let modes: [PostgresServerControl.StopMode] = [.killed, .fast, .immediate]
        for index in 0..<postgresRestarts {
            let mode = modes[index % modes.count]
            faults.append(ChaosFault(at: moment(), kind: .restartPostgres(mode, downtime: mode == .fast ? .zero : seconds(0.5...5))))
        }
        for _ in 0..<brokerFreezes {
            faults.append(ChaosFault(at: moment(), kind: .freezeBroker(duration: seconds(2...8))))
        }
        return faults.sorted { $0.at < $1.at }
    }
}

/// What happened when a fault ran, for the report.
struct ChaosFaultRecord: Sendable {
    var fault: ChaosFault
    /// Seconds after the activity's first record when the fault began (later than planned
    /// when the previous fault was still running).
    var startedAt: Double
    var took: Double
    var detail: String
    var error: String?
}

/// The local PostgreSQL of `scripts/env.sh` (its data directory in `HUB_ENV_PG_DATA`),
/// stopped and started with its own `pg_ctl`, as the `postgres` user when run as root (the
/// cluster belongs to it there).
struct PostgresServerControl: Sendable {
    enum StopMode: String, Sendable, CustomStringConvertible {
        /// `pg_ctl restart -m fast`: sessions ended, a checkpoint, a clean start.
        case fast
        /// `pg_ctl stop -m immediate`: every process quits at once, no checkpoint; the
        /// start replays the WAL (crash recovery).
        case immediate
        /// SIGKILL of the postmaster and of every one of its children, mid-transaction
        /// wherever they were; crash recovery on start.
        case killed = "killed -9"

        var description: String { rawValue }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var dataDirectory: String
    var pgCtl: String
    var logFile: String

    /// From `HUB_ENV_PG_DATA`; nil with the reason when the environment does not say where
    /// the cluster is or no `pg_ctl` is installed.
    static func fromEnvironment(_ environment: [String: String]) -> Result<PostgresServerControl, Failure> {
        guard let data = environment["HUB_ENV_PG_DATA"], FileManager.default.fileExists(atPath: data + "/PG_VERSION") else {
            return .failure(
                Failure(description: "HUB_ENV_PG_DATA does not name a PostgreSQL data directory (source the env file of scripts/env.sh)"))
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard
            let pgCtl = versions.sorted().reversed().map({ "/usr/lib/postgresql/\($0)/bin/pg_ctl" })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            return .failure(Failure(description: "no pg_ctl under /usr/lib/postgresql/*/bin"))
        }
        // scripts/env.sh keeps the server's log beside the data directory.
        let log = URL(fileURLWithPath: data).deletingLastPathComponent().appendingPathComponent("postgres.log").path
        return .success(PostgresServerControl(dataDirectory: data, pgCtl: pgCtl, logFile: log))
    }

    /// Stops the server as `mode` says, waits `downtime`, starts it again; what was done.
    func restart(_ mode: StopMode, downtime: Duration) async throws -> String {
        switch mode {
        case .fast:
            try await runPgCtl(["restart", "-m", "fast", "-w", "-t", "120", "-l", logFile])
            return "postmaster \(postmasterPid().map(String.init) ?? "?") after the restart"
        case .immediate:
            let before = postmasterPid()
            try await runPgCtl(["stop", "-m", "immediate", "-w", "-t", "60"])
            try await Task.sleep(for: downtime)
            try await start()
            return "postmaster \(before.map(String.init) ?? "?") stopped, \(postmasterPid().map(String.init) ?? "?") started"
        case .killed:
            guard let postmaster = postmasterPid() else { throw Failure(description: "no postmaster.pid in \(dataDirectory)") }
            // The children first read, then everyone killed at once: a backend left alive
            // would keep the shared memory and stop the new postmaster from starting.
            let children = Self.children(of: postmaster)
            kill(postmaster, SIGKILL)
            for child in children { kill(child, SIGKILL) }
            try await Self.waitUntilGone([postmaster] + children, within: .seconds(30))
            try await Task.sleep(for: downtime)
            try await start()
            return "postmaster \(postmaster) and \(children.count) children killed, \(postmasterPid().map(String.init) ?? "?") started"
        }
    }

    /// `pg_ctl restart` on a stopped server starts it with the options of its last start
    /// (postmaster.opts: port, socket directory, settings), which `pg_ctl start` would not.
    private func start() async throws {
        try await runPgCtl(["restart", "-w", "-t", "120", "-l", logFile])
    }

    func postmasterPid() -> Int32? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }

    private func runPgCtl(_ arguments: [String]) async throws {
        let command =
            getuid() == 0
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", pgCtl, "-D", dataDirectory] + arguments
            : [pgCtl, "-D", dataDirectory] + arguments
        let status = await ChildProcess.run(command)
        guard status == 0 else {
            throw Failure(description: "pg_ctl \(arguments.joined(separator: " ")) exited with \(status) (see \(logFile))")
        }
    }

    /// The processes whose parent is `pid`, from /proc.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { parent(of: $0) == pid }
    }

    /// The parent pid in /proc/PID/stat: the field after the state, after the command's
    /// closing parenthesis (the command itself may hold spaces or parentheses).
    static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// Waits until every one of `pids` is reaped (a zombie still counts: `pg_ctl` takes a
    /// postmaster it can signal for a running one and would wait for it to stop).
    static func waitUntilGone(_ pids: [Int32], within timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while pids.contains(where: { kill($0, 0) == 0 }) {
            guard clock.now < deadline else { throw Failure(description: "PostgreSQL processes still there \(timeout) after SIGKILL") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// The local Tansu broker of `scripts/env.sh` (its pid file in `HUB_ENV_TANSU_PID_FILE`),
/// frozen with SIGSTOP and thawed with SIGCONT. Never restarted: it keeps every record in
/// memory, and a restart would empty the topics the run reads back.
struct BrokerControl: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var pid: Int32

    static func fromEnvironment(_ environment: [String: String]) -> Result<BrokerControl, Failure> {
        guard let file = environment["HUB_ENV_TANSU_PID_FILE"],
            let text = try? String(contentsOfFile: file, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0
        else {
            return .failure(
                Failure(description: "HUB_ENV_TANSU_PID_FILE does not name a running Tansu (source the env file of scripts/env.sh)"))
        }
        return .success(BrokerControl(pid: pid))
    }

    /// SIGSTOP, `duration`, SIGCONT; SIGCONT is sent even when the wait is cancelled.
    func freeze(for duration: Duration) async throws -> String {
        guard kill(pid, SIGSTOP) == 0 else { throw Failure(description: "SIGSTOP to Tansu \(pid) failed (errno \(errno))") }
        try? await Task.sleep(for: duration)
        thaw()
        return "Tansu \(pid) stopped and continued"
    }

    func thaw() { kill(pid, SIGCONT) }
}
