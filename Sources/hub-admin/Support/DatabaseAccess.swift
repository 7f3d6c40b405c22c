import HubCore
import HubKafka
import HubPostgres

extension AdminContext {
    /// Runs `body` on a connection to the hub's database, closed afterwards whatever
    /// happens. A connection that cannot be opened is `unavailable` (69); a failure of
    /// `body` that is not already an `AdminFailure` becomes `AdminFailure.database(_, doing:)`.
    func withDatabase<T>(doing what: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let database = try await database()
        let result: T
        do {
            result = try await body(database)
        } catch {
            await database.close()
            throw (error as? AdminFailure) ?? AdminFailure.database(error, doing: what)
        }
        await database.close()
        return result
    }
}

extension AdminFailure {
    /// A PostgreSQL failure after connecting: `unavailable` when it passes (the server went
    /// away, a deadlock...: `FailureClassification.isTransient`), `failed` otherwise (with a hint when the schema is not migrated).
    static func database(_ error: any Error, doing what: String) -> AdminFailure {
        guard let error = error as? PostgresError else { return .failed("cannot \(what): \(error)") }
        if FailureClassification.isTransient(error) {
            return .unavailable("PostgreSQL cannot serve this now; cannot \(what): \(error)")
        }
        let hint = error.sqlState == "42P01" ? " (is the schema migrated? run hub-admin migrate)" : ""
        return .failed("cannot \(what): \(error)\(hint)")
    }

    /// A Kafka failure: `unavailable` when no broker answers (or the failure is one that
    /// passes), `failed` otherwise.
    static func kafka(_ error: any Error, brokers: String, doing what: String) -> AdminFailure {
        if FailureClassification.isTransient(error) {
            return .unavailable("Kafka (\(brokers)) does not answer; cannot \(what): \(error)")
        }
        return .failed("cannot \(what): \(error)")
    }
}
