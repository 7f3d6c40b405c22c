import Foundation
import Logging

extension PostgresConnection {
    /// `LISTEN channel`. The channel is listened to again after a reconnection; notifications
    /// sent while the connection was broken are lost, so a consumer (the outbox relay) should
    /// also look at its table after a reconnection, not rely on notifications alone.
    /// Inside a transaction, LISTEN takes effect at COMMIT (PostgreSQL's rule).
    public func listen(_ channel: String) async throws {
        let sql = "LISTEN " + PostgresIdentifier.quote(channel)
        try await onQueue(honouringCancellation: true) { state, flag in
            _ = try self.perform(state, statement: sql, flag) { try $0.executeScript(sql) }
            if !state.channels.contains(channel) { state.channels.append(channel) }
        }
    }

    public func unlisten(_ channel: String) async throws {
        let sql = "UNLISTEN " + PostgresIdentifier.quote(channel)
        try await onQueue(honouringCancellation: true) { state, flag in
            _ = try self.perform(state, statement: sql, flag) { try $0.executeScript(sql) }
            state.channels.removeAll { $0 == channel }
        }
    }

    /// `pg_notify(channel, payload)`, both as parameters. Inside a transaction, delivered at COMMIT.
    public func notify(_ channel: String, payload: String = "") async throws {
        try await query("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Waits up to `timeout` for notifications on the channels this connection listens to,
    /// and returns them in the order they came (empty when none came in time). Returns as
    /// soon as at least one is there. Waits with poll(2) on the session's socket, on the
    /// connection's queue, in short slices so that cancelling the task ends the wait.
    ///
    /// If the session breaks while waiting (outside a transaction), it reconnects, listens
    /// again and keeps waiting; what was sent in between is lost (see `listen`).
    public func notifications(timeout: Duration) async throws -> [PostgresNotification] {
        try await onQueue(honouringCancellation: true) { state, flag in
            let deadline = ContinuousClock.now + timeout
            var session = try self.liveSession(state, flag)
            while true {
                do {
                    let found = session.takeNotifications()
                    if !found.isEmpty { return found }
                    let remaining = deadline - ContinuousClock.now
                    guard remaining > .zero, !flag.isSet else { return [] }
                    let slice = min(remaining, .milliseconds(200))
                    let milliseconds = Int32(slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000)
                    if try session.waitReadable(milliseconds: max(1, milliseconds)) {
                        try session.consumeInput()
                    }
                } catch let error as PostgresError where error.kind == .connectionLost {
                    self.logger.warning(
                        "PostgreSQL connection lost while waiting for notifications; notifications sent meanwhile are lost",
                        metadata: ["error": "\(error.message)"])
                    session = try self.liveSession(state, flag)
                }
            }
        }
    }
}
