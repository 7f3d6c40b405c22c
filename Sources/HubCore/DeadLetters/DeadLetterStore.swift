import Foundation
import HubDomain
import HubPostgres

/// A row of `hub_dead_letters`: an inbound record that could not be processed, kept as it
/// came (key, headers and value byte for byte) with why; a `personal_data` one masked.
public struct DeadLetterRecord: Sendable, Hashable {
    public var sequence: Int64
    /// The `hub_error_code` text (a `DeadLetterCode` raw value).
    public var code: String
    public var errorMessage: String
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    /// The original record's headers (without the `hub_*` ones).
    public var headers: [RecordHeader]
    public var value: [UInt8]
    public var recordedAt: Date
    public var replayedAt: Date?

    public var errorCode: DeadLetterCode? { DeadLetterCode(rawValue: code) }

    /// The original event's `ce_id`, for listings: the header in binary mode, the `id`
    /// member in structured mode; nil when the record carries neither (a malformed envelope).
    public var eventId: String? {
        if let id = headers.first(where: { $0.name == "ce_id" })?.stringValue { return id }
        let contentType = headers.first { $0.name.lowercased() == "content-type" }?.stringValue ?? ""
        guard contentType.lowercased().hasPrefix(CloudEventRecordCodec.structuredContentType),
            let json = try? JSONParser.parse(value)
        else { return nil }
        return json["id"]?.stringValue
    }

    /// The original record, to publish again on its topic (`hub-admin dlq replay`).
    public var original: OutboundRecord {
        OutboundRecord(topic: topic, partition: nil, key: key, value: value, headers: headers)
    }
}

/// Dead-letter counts by code, for `hub-admin status`.
public struct DeadLetterCount: Sendable, Hashable {
    public var code: String
    public var total: Int
    public var unreplayed: Int

    public init(code: String, total: Int, unreplayed: Int) {
        self.code = code
        self.total = total
        self.unreplayed = unreplayed
    }
}

/// `hub_dead_letters`: what `hub-admin dlq list` shows and `dlq replay` publishes again.
/// Every method runs on the connection it is given (inside the caller's transaction if one
/// is open); table names are unqualified, so the connection's search_path decides the schema.
public enum DeadLetterStore {
    /// Longest `error_message` stored, in UTF-8 bytes (the header carries at most
    /// `DeadLetter.maximumMessageBytes`).
    public static let maximumStoredMessageBytes = 64 * 1024

    /// Records `message` as a dead letter. A record already there (same topic, partition and
    /// offset: the record was processed again after a crash) is kept as it was. Returns
    /// whether a row was added. `reason` is stored with its control characters escaped
    /// (`StorableText`: PostgreSQL refuses a NUL in text, and a reason may quote the record),
    /// up to `maximumStoredMessageBytes` (the header is cut shorter, not the row). Key,
    /// value and header values are stored as bytes, whatever they hold.
    /// A `personal_data` dead letter is stored masked (`DeadLetter.kept(_:code:)`).
    @discardableResult
    public static func record(
        _ original: InboundRecord, code: DeadLetterCode, reason: String, on connection: PostgresConnection
    ) async throws -> Bool {
        let message = DeadLetter.kept(original, code: code)
        let headers = PostgresValue.json(OutboxHeaders.encode(message.headers.filter { !DeadLetter.Header.all.contains($0.name) }))
        let errorMessage = StorableText.escaping(reason, maximumBytes: maximumStoredMessageBytes)
        let key = message.key.map { PostgresValue.bytea($0) } ?? .null
        let inserted = try await connection.execute(
            """
            INSERT INTO hub_dead_letters
                (error_code, error_message, topic, kafka_partition, kafka_offset, kafka_key, headers, value)
            VALUES (\(code.rawValue), \(errorMessage), \(message.topic), \(Int64(message.partition)),
                    \(message.offset), \(key), \(headers), \(PostgresValue.bytea(message.value)))
            ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING
            """)
        return inserted == 1
    }

    /// The whole dead-letter effect, for the processing transaction: the row in
    /// `hub_dead_letters` and the `hub.deadletter` record in the outbox (published by the
    /// relay). Both are idempotent, so processing the record again changes nothing.
    public static func deadLetter(
        _ message: InboundRecord, code: DeadLetterCode, reason: String, on connection: PostgresConnection,
        channel: String = OutboxWriter.defaultChannel
    ) async throws {
        try await record(message, code: code, reason: reason, on: connection)
        try await OutboxWriter.append(
            [DeadLetter.outboxRecord(from: message, code: code, reason: reason)], on: connection, channel: channel)
    }

    /// Dead letters in the order they were recorded.
    /// - Parameters:
    ///   - code: only this code; nil for all.
    ///   - replayed: true for those replayed, false for those not yet, nil for both.
    ///   - after: only rows with a greater `sequence` (to page through).
    ///   - limit: at most this many.
    ///   - excluding: not this code (the replay leaves `personal_data` ones).
    public static func list(
        code: DeadLetterCode? = nil, excluding excluded: DeadLetterCode? = nil, replayed: Bool? = nil, after: Int64? = nil,
        limit: Int = 100, on connection: PostgresConnection
    ) async throws -> [DeadLetterRecord] {
        let rows = try await connection.query(
            """
            SELECT sequence, error_code, error_message, topic, kafka_partition, kafka_offset, kafka_key,
                   headers::text AS headers, value, recorded_at, replayed_at
              FROM hub_dead_letters
             WHERE (\(code?.rawValue)::text IS NULL OR error_code = \(code?.rawValue)::text)
               AND (\(excluded?.rawValue)::text IS NULL OR error_code <> \(excluded?.rawValue)::text)
               AND (\(replayed)::boolean IS NULL OR (replayed_at IS NOT NULL) = \(replayed)::boolean)
               AND sequence > coalesce(\(after)::bigint, 0)
             ORDER BY sequence
             LIMIT \(limit)
            """)
        return try rows.map(deadLetterRecord)
    }

    private static func deadLetterRecord(_ row: PostgresRow) throws -> DeadLetterRecord {
        DeadLetterRecord(
            sequence: try row.decode(Int64.self, at: "sequence"),
            code: try row.decode(String.self, at: "error_code"),
            errorMessage: try row.decode(String.self, at: "error_message"),
            topic: try row.decode(String.self, at: "topic"),
            partition: try row.decode(Int32.self, at: "kafka_partition"),
            offset: try row.decode(Int64.self, at: "kafka_offset"),
            key: try row.decode(Data?.self, at: "kafka_key").map { [UInt8]($0) },
            headers: try OutboxHeaders.decode(try row.decode(String.self, at: "headers")),
            value: [UInt8](try row.decode(Data.self, at: "value")),
            recordedAt: try row.decode(Date.self, at: "recorded_at"),
            replayedAt: try row.decode(Date?.self, at: "replayed_at"))
    }

    /// The highest sequence recorded so far (0 when none). `dlq replay` replays up to the
    /// value it read when it started: a republished record that fails again becomes a new
    /// dead letter (a new offset, a higher sequence) while the replay runs, and must wait
    /// for a later replay (after a further fix) rather than go round in a loop.
    public static func lastSequence(on connection: PostgresConnection) async throws -> Int64 {
        try await connection.query("SELECT coalesce(max(sequence), 0) FROM hub_dead_letters").scalar(Int64.self)
    }

    /// How many are not replayed yet (of `code`, up to sequence `through`), for a progress bar.
    public static func unreplayedCount(
        code: DeadLetterCode? = nil, excluding excluded: DeadLetterCode? = nil, through: Int64, on connection: PostgresConnection
    ) async throws -> Int {
        try await connection.query(
            """
            SELECT count(*) FROM hub_dead_letters
             WHERE replayed_at IS NULL AND (\(code?.rawValue)::text IS NULL OR error_code = \(code?.rawValue)::text)
               AND (\(excluded?.rawValue)::text IS NULL OR error_code <> \(excluded?.rawValue)::text)
               AND sequence <= \(through)
            """
        ).scalar(Int.self)
    }

    /// Locks and returns up to `limit` dead letters not replayed yet, of `code`, with a
    /// sequence in `(after, through]`, in order. Call it in a transaction and keep that
    /// transaction open while publishing them and `markReplayed`: rows locked by another
    /// replay running at the same time are skipped (`SKIP LOCKED`), and once it commits they
    /// are marked, so two replays never publish the same dead letter.
    public static func claimUnreplayed(
        code: DeadLetterCode? = nil, excluding excluded: DeadLetterCode? = nil, after: Int64, through: Int64, limit: Int,
        on connection: PostgresConnection
    ) async throws -> [DeadLetterRecord] {
        let rows = try await connection.query(
            """
            SELECT sequence, error_code, error_message, topic, kafka_partition, kafka_offset, kafka_key,
                   headers::text AS headers, value, recorded_at, replayed_at
              FROM hub_dead_letters
             WHERE replayed_at IS NULL
               AND (\(code?.rawValue)::text IS NULL OR error_code = \(code?.rawValue)::text)
               AND (\(excluded?.rawValue)::text IS NULL OR error_code <> \(excluded?.rawValue)::text)
               AND sequence > \(after) AND sequence <= \(through)
             ORDER BY sequence
             LIMIT \(limit)
               FOR UPDATE SKIP LOCKED
            """)
        return try rows.map(deadLetterRecord)
    }

    /// Those not replayed yet, for `dlq replay [--code C]`: publish each `original`, then
    /// `markReplayed` them.
    public static func unreplayed(
        code: DeadLetterCode? = nil, excluding excluded: DeadLetterCode? = nil, after: Int64? = nil, limit: Int = 500,
        on connection: PostgresConnection
    ) async throws -> [DeadLetterRecord] {
        try await list(code: code, excluding: excluded, replayed: false, after: after, limit: limit, on: connection)
    }

    /// Sets `replayed_at = now()` on those not marked yet; returns how many were.
    @discardableResult
    public static func markReplayed(_ sequences: [Int64], on connection: PostgresConnection) async throws -> Int {
        guard !sequences.isEmpty else { return 0 }
        return try await connection.execute(
            "UPDATE hub_dead_letters SET replayed_at = now() WHERE sequence = ANY(\(PostgresValue.intArray(sequences))) AND replayed_at IS NULL"
        )
    }

    /// How many dead letters per code, and how many of them are not replayed yet.
    public static func counts(on connection: PostgresConnection) async throws -> [DeadLetterCount] {
        let rows = try await connection.query(
            """
            SELECT error_code, count(*) AS total, count(*) FILTER (WHERE replayed_at IS NULL) AS unreplayed
              FROM hub_dead_letters GROUP BY error_code ORDER BY error_code
            """)
        return try rows.map {
            DeadLetterCount(
                code: try $0.decode(String.self, at: "error_code"), total: try $0.decode(Int.self, at: "total"),
                unreplayed: try $0.decode(Int.self, at: "unreplayed"))
        }
    }
}
