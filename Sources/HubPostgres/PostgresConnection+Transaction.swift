import Logging

extension PostgresConnection {
    /// Runs `body` in a transaction: BEGIN, then COMMIT when `body` returns, ROLLBACK when
    /// it throws (a Swift error or a failed statement), so a failure leaves nothing behind.
    ///
    /// The error is rethrown: a `PostgresError` with "transaction rolled back" added to its
    /// context, any other error unchanged so callers can still catch their own types.
    /// Nested calls use savepoints: an inner failure undoes only the inner work.
    ///
    /// If the session breaks inside, the work is lost and `connectionLost` is thrown (never
    /// retried here: only the caller knows whether running `body` again is right). If it
    /// breaks during COMMIT, whether the transaction committed is unknown; the error says so.
    @discardableResult
    public func transaction<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let depth = try await beginTransaction()
        let value: T
        do {
            value = try await body(self)
        } catch {
            await rollbackTransaction(depth: depth, cause: error)
            if let error = error as? PostgresError {
                throw error.adding(context: depth == 1 ? "transaction rolled back" : "savepoint rolled back")
            }
            throw error
        }
        try await commitTransaction(depth: depth)
        return value
    }

    private static func savepoint(_ depth: Int) -> String { "hub_savepoint_\(depth)" }

    private func beginTransaction() async throws -> Int {
        try await onQueue(honouringCancellation: true) { state, flag in
            let depth = state.transactionDepth + 1
            let sql = depth == 1 ? "BEGIN" : "SAVEPOINT " + Self.savepoint(depth)
            _ = try self.perform(state, statement: sql, flag) { try $0.executeScript(sql) }
            state.transactionDepth = depth
            return depth
        }
    }

    private func commitTransaction(depth: Int) async throws {
        // Not cancellable: `body` finished, its work should land.
        try await onQueue(honouringCancellation: false) { state, flag in
            defer { state.transactionDepth = depth - 1 }
            let sql = depth == 1 ? "COMMIT" : "RELEASE SAVEPOINT " + Self.savepoint(depth)
            let result: PostgresRows
            do {
                result = try self.perform(state, statement: sql, flag) { try $0.executeScript(sql) }
            } catch let error as PostgresError where error.kind == .connectionLost && depth == 1 {
                state.sessionWasInTransaction = false
                throw PostgresError(
                    .connectionLost, "the connection broke during COMMIT: the transaction may or may not have committed",
                    statement: sql)
            }
            // COMMIT of a transaction in which a statement failed (and the caller swallowed
            // the error) is answered with ROLLBACK, not with an error: make it one.
            if depth == 1 && result.commandTag == "ROLLBACK" {
                throw PostgresError(
                    .queryFailed, "the server rolled the transaction back because a statement in it failed",
                    statement: sql, context: "transaction rolled back")
            }
        }
    }

    /// Best effort: if the session broke, the server has already discarded the transaction.
    private func rollbackTransaction(depth: Int, cause: any Error) async {
        let logger = self.logger
        _ = try? await onQueue(honouringCancellation: false) { state, _ in
            defer {
                state.transactionDepth = depth - 1
                if depth == 1 { state.sessionWasInTransaction = false }
            }
            guard let session = state.session, !session.isBroken else {
                state.session = nil
                return
            }
            let savepoint = Self.savepoint(depth)
            let sql = depth == 1 ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT \(savepoint); RELEASE SAVEPOINT \(savepoint)"
            do {
                _ = try session.executeScript(sql)
                logger.debug("transaction rolled back", metadata: ["cause": "\(cause)"])
            } catch {
                logger.warning("ROLLBACK failed", metadata: ["error": "\(error)", "cause": "\(cause)"])
            }
        }
    }
}
