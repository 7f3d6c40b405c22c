import HubDomain

/// Reads `hub_event_log`: every accepted inbound event in processing order, decoded again
/// as the rules first saw it. Folding these through `RulesEngine` from the reference data
/// rebuilds the state and the notifications (same ids, same bytes).
public struct EventLog: Sendable {
    public struct Entry: Sendable {
        public var sequence: Int64
        public var event: DecodedEvent
    }

    public var decoder: InboundDecoder

    public init(decoder: InboundDecoder = InboundDecoder()) {
        self.decoder = decoder
    }

    /// Up to `limit` entries after `sequence`, in order.
    public func entries(after sequence: Int64 = 0, limit: Int = 1000, on connection: PostgresConnection) async throws -> [Entry] {
        let rows = try await connection.query(
            """
            SELECT sequence, event_source, event_id, event_type, ce_time, topic, data::text
              FROM hub_event_log WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit)
            """)
        return try rows.map { row in
            let sequence: Int64 = try row.decode(at: 0)
            let timeText: String = try row.decode(at: 4)
            guard let time = Timestamp(timeText) else {
                throw PostgresError(.decodingFailed, "event log entry \(sequence): ce_time \(timeText) is not RFC 3339")
            }
            let envelope = CloudEvent(
                id: try row.decode(at: 2), source: try row.decode(at: 1), type: try row.decode(at: 3),
                time: time, data: Array((try row.decode(String.self, at: 6)).utf8))
            do {
                return Entry(sequence: sequence, event: try decoder.decode(envelope: envelope, topic: try row.decode(at: 5)))
            } catch {
                throw PostgresError(.decodingFailed, "event log entry \(sequence) no longer decodes: \(error)")
            }
        }
    }

    /// Every entry, in order, in pages.
    public func forEach(
        on connection: PostgresConnection, pageSize: Int = 2000,
        _ body: (Entry) async throws -> Void
    ) async throws {
        var last: Int64 = 0
        while true {
            let page = try await entries(after: last, limit: pageSize, on: connection)
            guard let tail = page.last else { return }
            for entry in page { try await body(entry) }
            last = tail.sequence
        }
    }
}
