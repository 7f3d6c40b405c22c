import Foundation
import HubPostgres
import Testing

@Suite("PostgreSQL LISTEN/NOTIFY", .timeLimit(.minutes(2)), .enabled(if: TestServers.hasDatabase))
struct PostgresNotificationTests {
    @Test("a notification sent by another session is delivered with its payload")
    func delivery() async throws {
        try await PostgresTestDatabase.withSchema { listener, schema in
            let channel = "outbox_\(schema)"
            try await listener.listen(channel)
            #expect(try await listener.notifications(timeout: .milliseconds(100)).isEmpty)

            let sender = try await PostgresConnection.connect(try PostgresTestDatabase.configuration())
            try await sender.notify(channel, payload: "première « note » ; '")
            try await sender.transaction { tx in
                try await tx.notify(channel, payload: "2")
                try await tx.notify(channel, payload: "3")
            }
            try await sender.notify("another_channel_\(schema)", payload: "not for us")

            var received: [PostgresNotification] = []
            let deadline = ContinuousClock.now + .seconds(5)
            while received.count < 3 && ContinuousClock.now < deadline {
                received += try await listener.notifications(timeout: .seconds(1))
            }
            #expect(received.map(\.payload) == ["première « note » ; '", "2", "3"])
            #expect(received.allSatisfy { $0.channel == channel })
            #expect(try await received.first?.processID == sender.backendProcessID())
            await sender.close()

            // After UNLISTEN, nothing more arrives.
            try await listener.unlisten(channel)
            try await listener.notify(channel, payload: "late")
            #expect(try await listener.notifications(timeout: .milliseconds(300)).isEmpty)
        }
    }

    @Test("waiting ends at the timeout, and when the task is cancelled")
    func timeoutAndCancellation() async throws {
        try await PostgresTestDatabase.withSchema { listener, schema in
            try await listener.listen("quiet_\(schema)")
            let clock = ContinuousClock()
            var started = clock.now
            #expect(try await listener.notifications(timeout: .milliseconds(500)).isEmpty)
            #expect(clock.now - started >= .milliseconds(450))

            started = clock.now
            let waiting = Task { try await listener.notifications(timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(200))
            waiting.cancel()
            _ = try? await waiting.value
            // The connection still works afterwards.
            #expect(try await listener.query("SELECT 1").scalar(Int.self) == 1)
        }
    }
}
