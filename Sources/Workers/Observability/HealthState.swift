import Foundation
import HubCore
import HubDomain

/// What `/livez` and `/readyz` answer from: each part of the workers says how it is, either
/// by pushing (`update`) or by being asked (`register`).
///
/// Three conditions, because orchestrators ask two questions:
/// - **ready**: the part can do its work now;
/// - **not ready**: it cannot for now, and will recover by itself (PostgreSQL or the broker
///   unreachable, the consumer out of its group during an outage, a relay failing);
/// - **fatal**: it never will without a restart of the process.
///
/// `/readyz` is ok when every part is ready; `/livez` when none is fatal. An outage makes
/// the workers not ready, never not live: a liveness probe that failed on it would restart
/// every worker of the group at once, during the outage, for nothing.
///
/// ```swift
/// health.update("consumer", .ready)                    // e.g. once partitions are assigned
/// health.register("outbox-relay") { relay.status.isHealthy() ? .ready : .notReady(...) }
/// ```
final class HealthState: Sendable {
    enum Condition: Sendable, Equatable {
        case ready(String?)
        case notReady(String)
        case fatal(String)

        static var ready: Condition { .ready(nil) }

        var isReady: Bool {
            if case .ready = self { return true }
            return false
        }

        var isFatal: Bool {
            if case .fatal = self { return true }
            return false
        }

        /// "ready", "not ready" or "fatal", as the JSON says it.
        var name: String {
            switch self {
            case .ready: "ready"
            case .notReady: "not ready"
            case .fatal: "fatal"
            }
        }

        var detail: String? {
            switch self {
            case .ready(let detail): detail
            case .notReady(let detail), .fatal(let detail): detail
            }
        }
    }

    /// The two questions of an orchestrator.
    enum Probe: Sendable {
        /// Does the process work (else: restart it)? `/livez`.
        case liveness
        /// Can it process now (else: do not count on it for now)? `/readyz`.
        case readiness

        func passes(_ condition: Condition) -> Bool {
            switch self {
            case .liveness: !condition.isFatal
            case .readiness: condition.isReady
            }
        }
    }

    private let pushed = Locked<[String: Condition]>([:])
    private let checks = Locked<[String: @Sendable () -> Condition]>([:])

    /// Sets the condition of `component` until the next update.
    func update(_ component: String, _ condition: Condition) {
        pushed.withLock { $0[component] = condition }
    }

    /// `check` is asked at every probe; keep it cheap (no I/O): a probe must answer even
    /// while the servers do not.
    func register(_ component: String, check: @escaping @Sendable () -> Condition) {
        checks.withLock { $0[component] = check }
    }

    struct Report: Encodable, Sendable {
        struct Component: Encodable, Sendable {
            /// "ready", "not ready" or "fatal".
            var status: String
            var detail: String?
        }

        /// "ok" or "unavailable".
        var status: String
        var components: [String: Component]

        var isOK: Bool { status == "ok" }
    }

    /// Every part's condition, and whether `probe` passes: ok when it passes for every part.
    func report(for probe: Probe) -> Report {
        let conditions = self.conditions()
        let components = conditions.mapValues { Report.Component(status: $0.name, detail: $0.detail) }
        let passes = conditions.values.allSatisfy(probe.passes)
        return Report(status: passes ? "ok" : "unavailable", components: components)
    }

    private func conditions() -> [String: Condition] {
        var conditions = pushed.current
        for (name, check) in checks.current { conditions[name] = check() }
        return conditions
    }
}

extension HealthState {
    /// Registers an outbox relay: not ready once it has been failing for `tolerance` seconds
    /// (PostgreSQL or the broker unreachable: it retries by itself); fatal once its loop has
    /// ended (it publishes nothing more in this process; only a graceful shutdown ends it).
    /// The detail says its role and last success.
    func register(relay: OutboxRelay, tolerance: TimeInterval = 30) {
        register("outbox-relay") {
            let status = relay.status
            let lastSuccess = status.lastSuccess.map { ISO8601DateFormatter().string(from: $0) } ?? "never"
            let summary =
                "\(status.role.rawValue), last success \(lastSuccess)"
                + (status.backlog.map { ", backlog \($0)" } ?? "")
            if status.role == .stopped { return .fatal(summary) }
            if status.isHealthy(tolerance: tolerance) { return .ready(summary) }
            return .notReady(summary + (status.lastError.map { ": \($0)" } ?? ""))
        }
    }

    /// Registers the consumer's loop: ready while it polls (at least every `limit`), not
    /// ready otherwise: stuck retrying a batch, or out of its group while the database does
    /// not answer (`InboundProcessingService` calls `onPolled` only when its loop really
    /// polls for records). Never fatal: the loop recovers when the servers do.
    func registerConsumer(lastPoll: Locked<ContinuousClock.Instant?>, limit: Duration = .seconds(30)) {
        register("consumer") {
            guard let last = lastPoll.current else { return .notReady("not polled yet") }
            let since = ContinuousClock.now - last
            if since < limit { return .ready }
            return .notReady("no poll for \(since.components.seconds) s (limit \(limit.components.seconds) s)")
        }
    }
}
