import HubKafka
import HubPostgres
import Logging

/// Opening the hub's connections at start-up. A worker waits for servers that are not up
/// yet (containers start in any order); a wrong password or an unknown property is not
/// something waiting fixes, so it fails at once.
public enum ServerConnections {
    /// Connects to PostgreSQL, retrying while the server is unreachable for up to `patience`,
    /// and logs the timeouts the session runs with (operations.md, "Timeouts").
    public static func connectDatabase(
        _ configuration: PostgresConfiguration, logger: Logger,
        patience: Duration = .seconds(60)
    ) async throws -> PostgresConnection {
        let connection = try await retrying(
            "connect to PostgreSQL \(configuration)", logger: logger, patience: patience,
            isTransient: FailureClassification.isTransient
        ) {
            try await PostgresConnection.connect(configuration, logger: logger)
        }
        logger.info(
            "connected to PostgreSQL",
            metadata: ["database": "\(configuration)", "timeouts": "\(configuration.timeoutsDescription)"])
        return connection
    }

    /// Waits until a Kafka broker answers a metadata request.
    @discardableResult
    public static func waitForKafka(
        _ admin: KafkaAdmin, brokers: String, logger: Logger,
        patience: Duration = .seconds(60)
    ) async throws -> ClusterMetadata {
        try await retrying(
            "reach Kafka brokers \(brokers)", logger: logger, patience: patience,
            isTransient: FailureClassification.isTransient
        ) {
            try await admin.metadata(timeout: .seconds(5))
        }
    }

    /// Runs `attempt` until it succeeds, fails with a permanent error, or `patience` runs
    /// out; waits grow from 0.5 s to 5 s between attempts. `isTransient` is
    /// `FailureClassification.isTransient` for the hub's own connections.
    public static func retrying<T>(
        _ what: String, logger: Logger, patience: Duration,
        isTransient: (Error) -> Bool,
        _ attempt: () async throws -> T
    ) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: patience)
        var wait = Duration.milliseconds(500)
        while true {
            do {
                return try await attempt()
            } catch  where isTransient(error) && clock.now.advanced(by: wait) < deadline {
                logger.warning("cannot \(what) yet; retrying", metadata: ["error": "\(error)", "retryIn": "\(wait)"])
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(5))
            }
        }
    }
}
