import Foundation
import HubPostgres
import Logging
import Testing

/// Isolation for tests that use the PostgreSQL server.
///
/// Tests run in parallel, each in its own schema. One test restarts the server, which would
/// break every other test's session mid-transaction; so every test that uses the server
/// holds the gate shared (`PostgresTestDatabase.withSchema` does it), and the restart test
/// holds it exclusively: it waits for the running ones and holds new ones back meanwhile.
/// Other suites using PostgreSQL should go through `withSchema` (or `PostgresServerGate`).
enum PostgresServerGate {
    private static let lock = SharedExclusiveLock()

    static func shared<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async throws -> T {
        await lock.acquire(exclusive: false)
        do {
            let value = try await body()
            await lock.release(exclusive: false)
            return value
        } catch {
            await lock.release(exclusive: false)
            throw error
        }
    }

    static func exclusive<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async throws -> T {
        await lock.acquire(exclusive: true)
        do {
            let value = try await body()
            await lock.release(exclusive: true)
            return value
        } catch {
            await lock.release(exclusive: true)
            throw error
        }
    }
}

/// Readers-writer lock for async code; a waiting writer holds new readers back.
private actor SharedExclusiveLock {
    private var readers = 0
    private var writer = false
    private var waiting: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    func acquire(exclusive: Bool) async {
        if exclusive {
            if !writer && readers == 0 && waiting.isEmpty {
                writer = true
                return
            }
        } else if !writer && !waiting.contains(where: \.exclusive) {
            readers += 1
            return
        }
        await withCheckedContinuation { waiting.append((exclusive, $0)) }
    }

    func release(exclusive: Bool) {
        if exclusive { writer = false } else { readers -= 1 }
        while let next = waiting.first {
            if next.exclusive {
                guard !writer && readers == 0 else { return }
                writer = true
            } else {
                guard !writer else { return }
                readers += 1
            }
            waiting.removeFirst()
            next.continuation.resume()
        }
    }
}

enum PostgresTestDatabase {
    static var logger: Logger {
        var logger = Logger(label: "hub.postgres.tests")
        logger.logLevel = .info
        return logger
    }

    static func configuration() throws -> PostgresConfiguration {
        try PostgresConfiguration(url: TestServers.requireDatabaseURL())
    }

    /// Runs `body` with a connection whose search_path is a fresh schema, dropped afterwards.
    static func withSchema<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection, String) async throws -> T
    ) async throws -> T {
        try await PostgresServerGate.shared {
            try await withSchemaUngated(body)
        }
    }

    /// `withSchema` without the gate, for the restart test which holds it exclusively.
    static func withSchemaUngated<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection, String) async throws -> T
    ) async throws -> T {
        let schema = TestServers.uniqueName("pgtest")
        let base = try configuration()
        let admin = try await PostgresConnection.connect(base, logger: logger)
        try await admin.executeScript("CREATE SCHEMA " + PostgresIdentifier.quote(schema))
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(base.withSearchPath([schema]), logger: logger)
        } catch {
            try? await admin.executeScript("DROP SCHEMA " + PostgresIdentifier.quote(schema) + " CASCADE")
            await admin.close()
            throw error
        }
        func cleanUp() async {
            await connection.close()
            try? await admin.executeScript("DROP SCHEMA IF EXISTS " + PostgresIdentifier.quote(schema) + " CASCADE")
            await admin.close()
        }
        do {
            let value = try await body(connection, schema)
            await cleanUp()
            return value
        } catch {
            await cleanUp()
            throw error
        }
    }

    /// Ends another session's server process, as a crash or an administrator would.
    static func terminateBackend(_ processID: Int32) async throws {
        let admin = try await PostgresConnection.connect(try configuration(), logger: logger)
        let terminated = try await admin.query("SELECT pg_terminate_backend(\(Int64(processID))::int)")
            .scalar(Bool.self)
        await admin.close()
        #expect(terminated)
        // pg_terminate_backend only signals; wait until the process is gone.
        try await Task.sleep(for: .milliseconds(200))
    }
}

/// Fault injection for the PostgreSQL tests.
enum PostgresServerControl {
    /// `scripts/env.sh restart-postgres` on a thread of its own, so that waiting for it
    /// does not hold one of the few threads of Swift's cooperative pool.
    static func restart() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread { continuation.resume(with: Result { try TestServers.environmentScript("restart-postgres") }) }.start()
        }
    }
}
