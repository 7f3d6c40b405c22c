import Foundation
import HubCore
import HubDomain

/// What `/health` answers from: each part of the workers says whether it is well, either by
/// pushing (`update`) or by being asked (`register`). Healthy when every part is.
///
/// ```swift
/// health.update("consumer", healthy: true)          // e.g. once partitions are assigned
/// health.register("outbox-relay") { relay.status.isHealthy() ? .healthy : .unhealthy(...) }
/// ```
final class HealthState: Sendable {
    enum Condition: Sendable, Equatable {
        case healthy(String?)
        case unhealthy(String)

        static var healthy: Condition { .healthy(nil) }

        var isHealthy: Bool {
            if case .healthy = self { return true }
            return false
        }

        var detail: String? {
            switch self {
            case .healthy(let detail): return detail
            case .unhealthy(let detail): return detail
            }
        }
    }

    private let pushed = Locked<[String: Condition]>([:])
    private let checks = Locked<[String: @Sendable () -> Condition]>([:])

    /// Sets the condition of `component` until the next update.
    func update(_ component: String, _ condition: Condition) {
        pushed.withLock { $0[component] = condition }
    }

    func update(_ component: String, healthy: Bool, detail: String? = nil) {
        update(component, healthy ? .healthy(detail) : .unhealthy(detail ?? "not ready"))
    }

    /// `check` is asked at every `/health` request; keep it cheap (no I/O).
    func register(_ component: String, check: @escaping @Sendable () -> Condition) {
        checks.withLock { $0[component] = check }
    }

    /// Convenience for the consumer's readiness (component "consumer").
    var consumerReady: Bool {
        get { pushed.current["consumer"]?.isHealthy ?? false }
        set { update("consumer", healthy: newValue, detail: newValue ? nil : "not consuming") }
    }

    struct Report: Encodable, Sendable {
        struct Component: Encodable, Sendable {
            var healthy: Bool
            var detail: String?
        }

        /// "ok" or "unavailable".
        var status: String
        var components: [String: Component]

        var isHealthy: Bool { status == "ok" }
    }

    func report() -> Report {
        var conditions = pushed.current
        for (name, check) in checks.current { conditions[name] = check() }
        let components = conditions.mapValues { Report.Component(healthy: $0.isHealthy, detail: $0.detail) }
        let healthy = components.values.allSatisfy(\.healthy)
        return Report(status: healthy ? "ok" : "unavailable", components: components)
    }
}

extension HealthState {
    /// Registers an outbox relay: unhealthy once it has been failing for `tolerance`
    /// seconds (or stopped); the detail says its role and last success.
    func register(relay: OutboxRelay, tolerance: TimeInterval = 30) {
        register("outbox-relay") {
            let status = relay.status
            let lastSuccess = status.lastSuccess.map { ISO8601DateFormatter().string(from: $0) } ?? "never"
            let summary =
                "\(status.role.rawValue), last success \(lastSuccess)"
                + (status.backlog.map { ", backlog \($0)" } ?? "")
            if status.isHealthy(tolerance: tolerance) { return .healthy(summary) }
            return .unhealthy(summary + (status.lastError.map { ": \($0)" } ?? ""))
        }
    }
}
