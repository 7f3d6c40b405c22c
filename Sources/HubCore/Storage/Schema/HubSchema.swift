/// The hub's own PostgreSQL schema, as versioned migrations. Applied by `hub-admin migrate`
/// and by `hub-workers` at start-up (both take the migrator's advisory lock).
///
/// Never edit a migration once it has shipped: the migrator refuses a changed checksum.
/// Add a new one instead.
public enum HubSchema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "messaging infrastructure", sql: """
            -- Identities of the inbound events already processed: a redelivered event finds
            -- its row and takes no effect (written in the same transaction as the effect).
            CREATE TABLE hub_inbox (
                event_source text NOT NULL,
                event_id text NOT NULL,
                topic text NOT NULL,
                kafka_partition integer NOT NULL,
                kafka_offset bigint NOT NULL,
                outcome text NOT NULL,
                processed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (event_source, event_id)
            );

            -- Every accepted inbound event, in processing order: the source of replays.
            CREATE TABLE hub_event_log (
                sequence bigserial PRIMARY KEY,
                event_source text NOT NULL,
                event_id text NOT NULL,
                event_type text NOT NULL,
                event_time timestamptz,
                topic text NOT NULL,
                kafka_partition integer NOT NULL,
                kafka_offset bigint NOT NULL,
                kafka_key text,
                data jsonb NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (event_source, event_id)
            );

            -- Records waiting to be relayed to Kafka (hub.notifications, and hub.deadletter
            -- for dead letters), in sequence order. kafka_key is raw bytes (a dead letter keeps
            -- its original key, which may be absent or not UTF-8); headers is a JSON array of
            -- {"name": text, "value": base64 or null} (see OutboxHeaders).
            CREATE TABLE hub_outbox (
                sequence bigserial PRIMARY KEY,
                notification_id uuid NOT NULL UNIQUE,
                topic text NOT NULL,
                kafka_key bytea,
                headers jsonb NOT NULL,
                value bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                sent_at timestamptz
            );
            CREATE INDEX hub_outbox_unsent ON hub_outbox (sequence) WHERE sent_at IS NULL;

            -- Records that could not be processed, as sent to hub.deadletter.
            CREATE TABLE hub_dead_letters (
                sequence bigserial PRIMARY KEY,
                error_code text NOT NULL,
                error_message text NOT NULL,
                topic text NOT NULL,
                kafka_partition integer NOT NULL,
                kafka_offset bigint NOT NULL,
                kafka_key bytea,
                headers jsonb NOT NULL,
                value bytea NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                replayed_at timestamptz,
                UNIQUE (topic, kafka_partition, kafka_offset)
            );
            """),
    ]
}
