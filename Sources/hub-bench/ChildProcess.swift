import Foundation

/// A short-lived command the bench runs to its end (pg_ctl, hub-admin).
enum ChildProcess {
    /// Runs `command` with its output written to `output` (discarded when nil) and returns
    /// its exit status (128 + the signal when a signal ended it, minus errno when it could
    /// not be started), waiting on a thread of its own. posix_spawn and waitpid, not
    /// Foundation's Process: its waitUntilExit never returned here once pg_ctl had exited
    /// (pg_ctl stayed a zombie and the chaos run hung).
    static func run(_ command: [String], environment: [String: String]? = nil, output: String? = nil) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: runBlocking(command, environment: environment, output: output))
            }
        }
    }

    private static func runBlocking(_ command: [String], environment: [String: String]?, output: String?) -> Int32 {
        guard let executable = command.first else { return -EINVAL }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let target = output ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, target, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned =
            envp.map { envp in posix_spawn(&pid, executable, &actions, nil, argv, envp) }
            ?? posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { return -spawned }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { return -errno }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
