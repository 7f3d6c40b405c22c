import Foundation
import HubCore
import HubPostgres
import Testing

/// A partition between the hub and PostgreSQL, made with a loopback proxy that goes silent
/// (`TCPProxy.cut()`): the client gives the connection up after its reply deadline, the
/// server ends a transaction left open by the cut client (idle_in_transaction_session_timeout),
/// which releases its locks, and the connection works again once the network heals. The
/// upper bounds on waits leave room for a loaded machine (the whole suite in parallel);
/// without the deadlines these waits would last until the time limit.
@Suite("PostgreSQL timeouts through a partition", .timeLimit(.minutes(3)), .enabled(if: TestServers.hasDatabase))
struct PostgresTimeoutTests {
    /// A proxy to the test server and a configuration through it, on `schema`, with a short
    /// reply deadline and reconnection window so that a test waits seconds, not a minute.
    private static func proxied(
        schema: String, replyDeadline: Duration = .seconds(2)
    ) throws -> (TCPProxy, PostgresConfiguration) {
        let direct = try PostgresTestDatabase.configuration()
        let proxy = try TCPProxy(targetHost: direct.host ?? "127.0.0.1", targetPort: Int(direct.port ?? "5432") ?? 5432)
        var configuration = try PostgresConfiguration(url: try proxy.proxying(databaseURL: TestServers.requireDatabaseURL()))
            .withSearchPath([schema])
        configuration.replyDeadline = .after(replyDeadline)
        configuration.connectTimeoutSeconds = 1
        configuration.reconnectTimeout = .seconds(2)
        return (proxy, configuration)
    }

    private static func elapsed<T>(_ body: () async throws -> T) async -> (Result<T, any Error>, Duration) {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            return (.success(try await body()), clock.now - started)
        } catch {
            return (.failure(error), clock.now - started)
        }
    }

    /// A lock key no other test uses.
    private static func lockKey() -> Int64 { Int64.random(in: 1...Int64(Int32.max)) << 8 | 0x54 }

    @Test("a statement through a cut proxy fails with connectionLost within the reply deadline; after heal it works again")
    func replyDeadline() async throws {
        try await PostgresTestDatabase.withSchema { _, schema in
            let (proxy, configuration) = try Self.proxied(schema: schema)
            defer { proxy.close() }
            let connection = try await PostgresConnection.connect(configuration)
            #expect(try await connection.query("SELECT 1").scalar(Int.self) == 1)

            proxy.cut()
            // Outside a transaction the statement is run again once after reconnecting, which
            // the cut refuses too: deadline (2 s), then the reconnection window (2 s).
            let (result, waited) = await Self.elapsed { try await connection.query("SELECT 2").scalar(Int.self) }
            let error = try #require(result.failure as? PostgresError)
            #expect(error.kind == .connectionLost, "\(error)")
            #expect(error.isTransient)
            #expect(waited >= .seconds(2) && waited < .seconds(12), "waited \(waited)")

            // Inside a transaction: the statement's own deadline, no retry, and the rollback
            // does not wait on the dead session.
            let (inTransaction, waitedInTransaction) = await Self.elapsed {
                try await connection.transaction { tx in try await tx.query("SELECT 3").scalar(Int.self) }
            }
            let transactionError = try #require(inTransaction.failure as? PostgresError)
            #expect(transactionError.kind == .connectionLost || transactionError.kind == .connectionFailed, "\(transactionError)")
            #expect(waitedInTransaction < .seconds(12), "waited \(waitedInTransaction)")

            proxy.heal()
            #expect(try await connection.query("SELECT 4").scalar(Int.self) == 4)
            await connection.close()
        }
    }

    @Test("the deadline covers the message: the first statement after a cut fails with the deadline's own words")
    func deadlineMessage() async throws {
        try await PostgresTestDatabase.withSchema { _, schema in
            let (proxy, proxied) = try Self.proxied(schema: schema, replyDeadline: .milliseconds(1500))
            defer { proxy.close() }
            var configuration = proxied
            configuration.retriesStatementAfterReconnect = false
            let connection = try await PostgresConnection.connect(configuration)
            proxy.cut()
            let (result, waited) = await Self.elapsed { try await connection.query("SELECT 1") }
            let error = try #require(result.failure as? PostgresError)
            #expect(error.kind == .connectionLost)
            #expect(error.message.contains("did not answer within 1500 ms"), "\(error)")
            #expect(waited >= .milliseconds(1500) && waited < .seconds(8), "waited \(waited)")
            proxy.heal()
            #expect(try await connection.query("SELECT 5").scalar(Int.self) == 5)
            await connection.close()
        }
    }

    @Test("a statement too large for the socket's buffers fails within the deadline while it is being sent")
    func sendThroughCut() async throws {
        try await PostgresTestDatabase.withSchema { _, schema in
            let (proxy, proxied) = try Self.proxied(schema: schema)
            defer { proxy.close() }
            var configuration = proxied
            configuration.retriesStatementAfterReconnect = false
            let connection = try await PostgresConnection.connect(configuration)
            // 64 MiB: more than the kernel's buffers on both sides of the proxy hold, so the
            // send itself stalls (a blocking libpq would wait there for ever).
            let large = String(repeating: "x", count: 64 << 20)
            proxy.cut()
            let (result, waited) = await Self.elapsed { try await connection.query("SELECT length(\(large))") }
            let error = try #require(result.failure as? PostgresError)
            #expect(error.kind == .connectionLost, "\(error)")
            #expect(waited >= .seconds(2) && waited < .seconds(15), "waited \(waited)")
            proxy.heal()
            #expect(try await connection.query("SELECT length(\("abc"))").scalar(Int.self) == 3)
            await connection.close()
        }
    }

    @Test("a COPY cut while it streams fails within the deadline; after heal COPY works again")
    func copyThroughCut() async throws {
        try await PostgresTestDatabase.withSchema { setup, schema in
            try await setup.executeScript("CREATE TABLE blobs (id bigint, body text)")
            let (proxy, proxied) = try Self.proxied(schema: schema)
            defer { proxy.close() }
            var configuration = proxied
            configuration.retriesStatementAfterReconnect = false
            let connection = try await PostgresConnection.connect(configuration)
            let body = String(repeating: "x", count: 64 * 1024)
            let rows: [[PostgresValue]] = (0..<2048).map { [.int(Int64($0)), .text(body)] }
            // 128 MiB: the cut lands while the rows stream (or, on a fast machine, while the
            // client waits for the COPY's result); either way the deadline ends the wait.
            let copying = Task { try await connection.copy(into: "blobs", columns: ["id", "body"], rows: rows) }
            try await Task.sleep(for: .milliseconds(150))
            proxy.cut()
            let (result, waited) = await Self.elapsed { try await copying.value }
            let error = try #require(result.failure as? PostgresError)
            #expect(error.kind == .connectionLost, "\(error)")
            #expect(waited < .seconds(15), "waited \(waited) after the cut")
            proxy.heal()
            #expect(try await connection.copy(into: "blobs", columns: ["id", "body"], rows: Array(rows.prefix(3))) == 3)
            await connection.close()
        }
    }

    @Test(
        "a cut session holding an advisory transaction lock is ended by idle_in_transaction_session_timeout; another session gets the lock")
    func idleInTransactionReleasesLock() async throws {
        try await PostgresTestDatabase.withSchema { direct, schema in
            let (proxy, proxied) = try Self.proxied(schema: schema)
            defer { proxy.close() }
            var configuration = proxied
            configuration.idleInTransactionTimeout = .seconds(2)
            let key = Self.lockKey()
            let cut = try await PostgresConnection.connect(configuration)
            let cutProcess = try await cut.backendProcessID()

            let holderError = await #expect(throws: PostgresError.self) {
                try await cut.transaction { tx in
                    try await tx.query("SELECT pg_advisory_xact_lock(\(key))")
                    proxy.cut()
                    // The other session waits for the lock until the server ends the cut one.
                    let (acquired, waited) = await Self.elapsed {
                        try await direct.transaction { other in
                            try await other.query("SELECT pg_advisory_xact_lock(\(key))")
                            return try await other.query("SELECT 1").scalar(Int.self)
                        }
                    }
                    #expect((try? acquired.get()) == 1, "\(String(describing: acquired.failure))")
                    #expect(waited >= .seconds(1) && waited < .seconds(15), "the lock came after \(waited)")
                    let alive = try await direct.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(Int64(cutProcess))")
                        .scalar(Int.self)
                    #expect(alive == 0, "the cut session is still on the server")
                    // The cut client learns it at its next statement (reply deadline).
                    try await tx.query("SELECT 2")
                }
            }
            #expect(holderError?.kind == .connectionLost)

            proxy.heal()
            #expect(try await cut.query("SELECT 3").scalar(Int.self) == 3)
            await cut.close()
        }
    }

    @Test("statement_timeout ends a wait for a lock with 57014, a transient timeout (retried, never dead-lettered)")
    func statementTimeoutOnLock() async throws {
        try await PostgresTestDatabase.withSchema { holder, schema in
            var configuration = try PostgresTestDatabase.configuration().withSearchPath([schema])
            configuration.statementTimeout = .milliseconds(500)
            let waiter = try await PostgresConnection.connect(configuration)
            let key = Self.lockKey()
            try await holder.transaction { tx in
                try await tx.query("SELECT pg_advisory_xact_lock(\(key))")
                let error = await #expect(throws: PostgresError.self) {
                    try await waiter.query("SELECT pg_advisory_xact_lock(\(key))")
                }
                #expect(error?.sqlState == "57014")
                #expect(error?.kind == .timeout)
                #expect(error?.isTransient == true)
            }
            // Released: the same statement passes now.
            try await waiter.transaction { tx in try await tx.query("SELECT pg_advisory_xact_lock(\(key))") }
            await waiter.close()
        }
    }

    @Test("a session cut while its COPY streams keeps the processing lock (no server timeout ends it); the next taker ends it")
    func stuckCopyHolderEnded() async throws {
        try await PostgresTestDatabase.withSchema { direct, schema in
            try await direct.executeScript("CREATE TABLE blobs (id bigint, body text)")
            let (proxy, proxied) = try Self.proxied(schema: schema, replyDeadline: .seconds(5))
            defer { proxy.close() }
            var configuration = proxied
            configuration.retriesStatementAfterReconnect = false
            let cut = try await PostgresConnection.connect(configuration)
            let cutProcess = Int64(try await cut.backendProcessID())
            let body = String(repeating: "x", count: 64 * 1024)
            let rows: [[PostgresValue]] = (0..<2048).map { [.int(Int64($0)), .text(body)] }
            let holder = Task {
                try await cut.transaction { tx in
                    try await BatchProcessor.takeProcessingLock(on: tx)
                    try await tx.copy(into: "blobs", columns: ["id", "body"], rows: rows)
                }
            }
            // Cut once the COPY runs (128 MiB take the proxy a good part of a second).
            let clock = ContinuousClock()
            let copyDeadline = clock.now.advanced(by: .seconds(10))
            var copying = false
            while !copying, clock.now < copyDeadline {
                copying =
                    try await direct.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid = \(cutProcess) AND state = 'active' AND query LIKE 'COPY%'"
                    ).scalar(Int.self) == 1
            }
            proxy.cut()
            try #require(copying, "the COPY was not seen running")

            // Taken as the workers do: a transient failure (here statement_timeout, 1 s) is retried.
            var waiterConfiguration = try PostgresTestDatabase.configuration().withSearchPath([schema])
            waiterConfiguration.statementTimeout = .seconds(1)
            let waiter = try await PostgresConnection.connect(waiterConfiguration)
            let started = clock.now
            var taken = false
            var timeouts = 0
            while !taken, clock.now - started < .seconds(20) {
                do {
                    try await waiter.transaction { tx in try await BatchProcessor.takeProcessingLock(on: tx) }
                    taken = true
                } catch let error as PostgresError where error.isTransient {
                    timeouts += 1
                }
            }
            let waited = clock.now - started
            #expect(taken, "the lock was not taken within 20 s")
            #expect(timeouts >= 1, "the holder was ended before it had been stuck for the statement timeout")
            #expect(waited < .seconds(12), "the lock came after \(waited)")
            let alive = try await direct.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(cutProcess)").scalar(Int.self)
            #expect(alive == 0, "the stuck session is still on the server")

            let holderError = await #expect(throws: PostgresError.self) { try await holder.value }
            #expect(holderError?.kind == .connectionLost)
            proxy.heal()
            #expect(try await cut.query("SELECT count(*) FROM blobs").scalar(Int.self) == 0)
            await waiter.close()
            await cut.close()
        }
    }
}
