import Foundation
import HubDomain
import HubPostgres
import Testing

/// Bad configuration gives a clear error quickly; a broken session is re-established.
@Suite("PostgreSQL connection failures", .timeLimit(.minutes(2)), .enabled(if: TestServers.hasDatabase))
struct PostgresConnectionFailureTests {
    /// The test URL with one part replaced, parsed by libpq-compatible rules via URLComponents.
    private func url(password: String? = nil, host: String? = nil, port: Int? = nil, query: String? = nil) throws -> String {
        var components = try #require(URLComponents(string: try TestServers.requireDatabaseURL()))
        if let password { components.password = password }
        if let host { components.host = host }
        if let port { components.port = port }
        if let query { components.query = query }
        return try #require(components.string)
    }

    private func timed<T>(_ body: () async throws -> T) async -> (Result<T, any Error>, Duration) {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let value = try await body()
            return (.success(value), clock.now - started)
        } catch {
            return (.failure(error), clock.now - started)
        }
    }

    @Test("a wrong password is authenticationFailed, names the user, never shows the password")
    func wrongPassword() async throws {
        let password = "not-the-password-Zx9!"
        let configuration = try PostgresConfiguration(url: try url(password: password))
        #expect(!configuration.description.contains(password))
        let (result, _) = await timed { try await PostgresConnection.connect(configuration) }
        let error = try #require(result.failure as? PostgresError)
        #expect(error.kind == .authenticationFailed)
        #expect(error.description.contains("password authentication failed for user \"hub\""))
        #expect(!error.description.contains(password))
    }

    @Test("a closed port is connectionFailed within a few seconds")
    func closedPort() async throws {
        let configuration = try PostgresConfiguration(url: try url(port: 1))
        let (result, _) = await timed { try await PostgresConnection.connect(configuration) }
        let error = try #require(result.failure as? PostgresError)
        #expect(error.kind == .connectionFailed)
        #expect(error.description.contains("127.0.0.1"))
        #expect(error.description.contains("refused"))
        #expect(!error.description.contains(":hub@"))
    }

    @Test("an unknown host is connectionFailed, not a hang", arguments: ["no-such-host.invalid", "10.255.255.1"])
    func unknownHost(_ host: String) async throws {
        // 10.255.255.1 drops packets where routed: connect_timeout must end the wait.
        let configuration = try PostgresConfiguration(url: try url(host: host, query: "connect_timeout=2"))
        #expect(configuration.connectTimeoutSeconds == 2)
        let (result, _) = await timed { try await PostgresConnection.connect(configuration) }
        let error = try #require(result.failure as? PostgresError)
        #expect(error.kind == .connectionFailed)
        #expect(error.description.contains(host))
    }

    @Test("a terminated session is re-established for the next statement, and a statement cut off is run again")
    func terminatedBackend() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE marks (n int)")
            let statement = try await connection.prepare(name: "count_marks", sql: "SELECT count(*) FROM marks")
            try await connection.listen("still_listening")

            // Killed while idle: found before the next statement is sent.
            let first = try await connection.backendProcessID()
            try await PostgresTestDatabase.terminateBackend(first)
            #expect(try await connection.query(prepared: statement).scalar(Int.self) == 0)
            let second = try await connection.backendProcessID()
            #expect(second != first)

            // Killed during a statement outside a transaction: run again once on a new session.
            let sleeper = Task { try await connection.query("SELECT pg_sleep(0.8), 42 AS answer") }
            try await Task.sleep(for: .milliseconds(300))
            try await PostgresTestDatabase.terminateBackend(second)
            #expect(try await sleeper.value.first?.decode(Int.self, at: "answer") == 42)
            #expect(try await connection.backendProcessID() != second)

            // The channel was listened to again on the new session.
            let sender = try await PostgresConnection.connect(try PostgresTestDatabase.configuration())
            try await sender.notify("still_listening", payload: "hello")
            await sender.close()
            let notes = try await connection.notifications(timeout: .seconds(3))
            #expect(notes.map(\.payload) == ["hello"])
        }
    }

    @Test("a session broken inside a transaction gives connectionLost; nothing is retried or kept")
    func brokenTransaction() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE marks (n int)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO marks VALUES (\(1))")
                    try await PostgresTestDatabase.terminateBackend(try await tx.backendProcessID())
                    try await tx.execute("INSERT INTO marks VALUES (\(2))")
                }
            }
            #expect(error?.kind == .connectionLost)
            #expect(error?.context == "transaction rolled back")
            // The next statement, outside the transaction, reconnects.
            #expect(try await connection.query("SELECT count(*) FROM marks").scalar(Int.self) == 0)
            try await connection.transaction { tx in try await tx.execute("INSERT INTO marks VALUES (\(3))") }
            #expect(try await connection.query("SELECT count(*) FROM marks").scalar(Int.self) == 1)
        }
    }

    @Test("cancelling the task cancels the running statement; statement_timeout is a timeout")
    func cancellationAndTimeout() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            let sleeper = Task { try await connection.query("SELECT pg_sleep(20)") }
            try await Task.sleep(for: .milliseconds(300))
            sleeper.cancel()
            let cancelled = await #expect(throws: PostgresError.self) { try await sleeper.value }
            #expect(cancelled?.kind == .cancelled)
            #expect(cancelled?.sqlState == "57014")

            let timedOut = await #expect(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    try await tx.query("SELECT set_config('statement_timeout', \("100ms"), true)")
                    try await tx.query("SELECT pg_sleep(5)")
                }
            }
            #expect(timedOut?.kind == .timeout)
            #expect(try await connection.query("SELECT 1").scalar(Int.self) == 1)
        }
    }

    @Test("configuration errors are clear and keep the password out")
    func configurationErrors() throws {
        #expect(throws: PostgresError.self) { try PostgresConfiguration.fromEnvironment(HubEnvironment([:])) }
        do {
            _ = try PostgresConfiguration.fromEnvironment(HubEnvironment([:]))
        } catch let error as PostgresError {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.description.contains("HUB_DATABASE_URL is not set"))
        }
        let secret = "s3cr3t-Pa55word"
        do {
            _ = try PostgresConfiguration(url: "postgresql://hub:\(secret)@127.0.0.1:notaport/hub")
            Issue.record("a bad port should be refused")
        } catch let error as PostgresError {
            #expect(error.kind == .invalidConfiguration)
            #expect(!error.description.contains(secret))
        }
        let configuration = try PostgresConfiguration.fromEnvironment(
            HubEnvironment(["HUB_DATABASE_URL": "postgresql://hub:\(secret)@db.example:6543/hub?sslmode=require"]))
        // sslmode is shown (logs say whether TLS was asked for), never the password.
        #expect(configuration.description == "postgresql://hub:***@db.example:6543/hub sslmode=require")
        #expect("\(configuration)".contains(secret) == false)
        #expect(configuration.connectTimeoutSeconds == PostgresConfiguration.defaultConnectTimeoutSeconds)
        #expect(configuration.user == "hub" && configuration.port == "6543" && configuration.database == "hub")
    }
}

/// The restart test holds the server gate exclusively: the other PostgreSQL tests wait
/// until it is done, so the restart breaks no one else's session.
@Suite("PostgreSQL server restart", .enabled(if: TestServers.hasDatabase), .serialized)
struct PostgresRestartTests {
    @Test("a query after the server restarted succeeds through reconnection")
    func restart() async throws {
        try await PostgresServerGate.exclusive {
            try await PostgresTestDatabase.withSchemaUngated { connection, _ in
                try await connection.executeScript("CREATE TABLE survivors (n int)")
                let insert = try await connection.prepare(name: "insert_survivor", sql: "INSERT INTO survivors VALUES ($1)")
                try await connection.execute(prepared: insert, [1])
                let before = try await connection.backendProcessID()
                let startedBefore = try await connection.query("SELECT pg_postmaster_start_time()").scalar(Date.self)

                try await PostgresServerControl.restart()

                try await connection.execute(prepared: insert, [2])
                #expect(try await connection.query("SELECT count(*) FROM survivors").scalar(Int.self) == 2)
                #expect(try await connection.backendProcessID() != before)
                let startedAfter = try await connection.query("SELECT pg_postmaster_start_time()").scalar(Date.self)
                #expect(startedAfter > startedBefore, "the server was not restarted")
            }
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
