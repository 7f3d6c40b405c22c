import Foundation
import HubPostgres

/// The writing side of the transactional outbox, for the processing transaction.
///
/// Call `append` on the connection that runs the transaction which also records the
/// effects: the rows become visible, and the relay is woken (`NOTIFY`, delivered at
/// COMMIT), only if the transaction commits. A rolled-back transaction publishes nothing.
///
/// ```swift
/// try await connection.transaction { tx in
///     // ... inbox row, state changes ...
///     try await OutboxWriter.append(records, on: tx)
/// }
/// ```
public enum OutboxWriter {
    /// The channel `OutboxRelay` listens to by default.
    public static let defaultChannel = "hub_outbox"

    /// Inserts `records` into `hub_outbox` in the order given (their `sequence` follows that
    /// order, which is the order the relay publishes them in), skipping any whose
    /// `notificationId` is already there, then `NOTIFY channel`. Returns how many rows were
    /// new. Unqualified table name: the connection's search_path decides the schema.
    ///
    /// `knownNew: true` is for callers that know no record can be there already (the
    /// notifications of events this transaction is the first to process): the rows are
    /// then copied (binary `COPY`), much less work for the server than the INSERT, and a
    /// duplicate would fail the transaction instead of being skipped.
    @discardableResult
    public static func append(
        _ records: [OutboxRecord], on connection: PostgresConnection, channel: String = defaultChannel,
        knownNew: Bool = false
    ) async throws -> Int {
        guard !records.isEmpty else { return 0 }
        let rows: [[PostgresValue]] = records.map { record in
            [
                .uuid(record.notificationId),
                .text(record.message.topic),
                record.message.key.map { PostgresValue.bytea($0) } ?? .null,
                .json(OutboxHeaders.encode(record.message.headers)),
                .bytea(record.message.value),
            ]
        }
        let columns = ["notification_id", "topic", "kafka_key", "headers", "value"]
        let inserted =
            knownNew
            ? try await connection.copyBinary(into: "hub_outbox", columns: columns, rows: rows)
            : try await connection.insert(
                into: "hub_outbox", columns: columns, rows: rows,
                suffix: "ON CONFLICT (notification_id) DO NOTHING")
        try await connection.notify(channel)
        return inserted
    }
}
