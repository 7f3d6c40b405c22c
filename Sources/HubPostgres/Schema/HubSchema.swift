import HubDomain

/// The hub's own PostgreSQL schema, as versioned migrations. Applied by `hub-admin migrate`,
/// run by the schema's owner; `hub-workers` only checks that they are all applied.
///
/// Never edit a migration once it has shipped: the migrator refuses a changed checksum.
/// Add a new one instead.
public enum HubSchema {
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "messaging infrastructure",
            sql: """
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

                -- Every accepted inbound event, in processing order: the source of replays, which
                -- fold it through the rules again. ce_time is kept as sent (its text is part of
                -- the notifications' bytes); event_time is the same instant, for queries.
                CREATE TABLE hub_event_log (
                    sequence bigserial PRIMARY KEY,
                    event_source text NOT NULL,
                    event_id text NOT NULL,
                    event_type text NOT NULL,
                    ce_time text NOT NULL,
                    event_time timestamptz NOT NULL,
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
        Migration(
            version: 2, name: "reference data and dispositifs",
            sql: """
                -- Reference data (hub-admin reference import). Each row keeps its JSON document;
                -- the columns beside it are the keys the loading queries search by.
                CREATE TABLE ref_regions (code text PRIMARY KEY, doc jsonb NOT NULL);
                CREATE TABLE ref_departements (code text PRIMARY KEY, region text NOT NULL, doc jsonb NOT NULL);
                CREATE TABLE ref_communes (code text PRIMARY KEY, departement text NOT NULL, doc jsonb NOT NULL);
                CREATE TABLE ref_qpvs (code text PRIMARY KEY, communes text[] NOT NULL, doc jsonb NOT NULL);
                CREATE INDEX ref_qpvs_communes ON ref_qpvs USING gin (communes);
                CREATE TABLE ref_cls (id text PRIMARY KEY, region text NOT NULL, communes text[] NOT NULL, doc jsonb NOT NULL);
                CREATE INDEX ref_cls_communes ON ref_cls USING gin (communes);
                CREATE TABLE ref_asvs (id text PRIMARY KEY, qpvs text[] NOT NULL, doc jsonb NOT NULL);
                CREATE INDEX ref_asvs_qpvs ON ref_asvs USING gin (qpvs);
                CREATE TABLE ref_sism_editions (year integer PRIMARY KEY, doc jsonb NOT NULL);

                -- The dispositifs as the rules left them: one JSON record each (HubCore's
                -- ClsmRecord, PtsmRecord, SismProposalRecord, QpvActionRecord).
                CREATE TABLE clsms (
                    id text PRIMARY KEY,
                    region text NOT NULL,
                    status text NOT NULL,
                    communes text[] NOT NULL,
                    departements text[] NOT NULL,
                    record jsonb NOT NULL,
                    updated_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX clsms_communes ON clsms USING gin (communes);
                CREATE INDEX clsms_departements ON clsms USING gin (departements);
                CREATE INDEX clsms_region ON clsms (region);

                CREATE TABLE ptsms (
                    id text PRIMARY KEY,
                    region text NOT NULL,
                    version integer NOT NULL,
                    departements text[] NOT NULL,
                    record jsonb NOT NULL,
                    updated_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX ptsms_departements ON ptsms USING gin (departements);

                -- Every published version of every PTSM diagnostic.
                CREATE TABLE ptsm_diagnostics (
                    ptsm_id text NOT NULL,
                    version integer NOT NULL,
                    event_source text NOT NULL,
                    event_id text NOT NULL,
                    diagnostic jsonb NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (ptsm_id, version)
                );

                CREATE TABLE sism_proposals (
                    id text PRIMARY KEY,
                    clsm_id text NOT NULL,
                    edition integer NOT NULL,
                    commune text NOT NULL,
                    region text NOT NULL,
                    accepted boolean NOT NULL,
                    cancelled boolean NOT NULL,
                    record jsonb NOT NULL,
                    updated_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX sism_proposals_schedule ON sism_proposals (edition, commune);
                CREATE INDEX sism_proposals_programme ON sism_proposals (edition, region);

                CREATE TABLE qpv_actions (
                    id text PRIMARY KEY,
                    qpv text NOT NULL,
                    record jsonb NOT NULL,
                    updated_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX qpv_actions_qpv ON qpv_actions (qpv);

                -- The articulation read model: each CLSM against the other systems, one row per
                -- link, read from the CLSM's record (kept by the rules).
                CREATE VIEW clsm_articulation AS
                    SELECT c.id AS clsm_id, c.region, 'ptsm' AS kind, p.value AS target
                      FROM clsms c, jsonb_array_elements_text(c.record -> 'articulation' -> 'ptsms') p
                    UNION ALL
                    SELECT c.id, c.region, 'cls', k.key FROM clsms c, jsonb_each(c.record -> 'articulation' -> 'cls') k
                    UNION ALL
                    SELECT c.id, c.region, 'asv', k.key FROM clsms c, jsonb_each(c.record -> 'articulation' -> 'asvs') k
                    UNION ALL
                    SELECT c.id, c.region, 'qpvWithoutAsv', q.value
                      FROM clsms c, jsonb_array_elements_text(c.record -> 'articulation' -> 'qpvsWithoutAsv') q
                    UNION ALL
                    SELECT c.id, c.region, 'overlap', k.key FROM clsms c, jsonb_each(c.record -> 'articulation' -> 'overlaps') k;
                """),
        Migration(
            version: 3, name: "SISM programme tallies",
            sql: """
                -- The counts of each regional SISM programme (HubCore's SismProgrammeTally), kept by
                -- the rules so that a proposal need not load its whole programme. Filled here from
                -- the proposals already stored; a programme with no proposal has no row.
                CREATE TABLE sism_programmes (
                    edition integer NOT NULL,
                    region text NOT NULL,
                    tally jsonb NOT NULL,
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (edition, region)
                );
                \(sismProgrammeBackfill)
                """),
        Migration(
            version: 4, name: "state version",
            sql: """
                -- Workers keep the state they read in memory from one batch to the next
                -- (HubCore's ResidentState). This counter tells them whether anyone else wrote it
                -- since their last batch: every transaction that writes one of the tables below
                -- adds one, whoever runs it (a worker, hub-admin, an administrator in psql).
                CREATE TABLE hub_state_version (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    version bigint NOT NULL DEFAULT 0,
                    -- The transaction that added the last one: a transaction adds one only once.
                    writer_xact bigint
                );
                INSERT INTO hub_state_version DEFAULT VALUES;

                CREATE FUNCTION hub_state_written() RETURNS trigger LANGUAGE plpgsql
                SET search_path FROM CURRENT AS $$
                BEGIN
                    UPDATE hub_state_version SET version = version + 1, writer_xact = txid_current()
                     WHERE writer_xact IS DISTINCT FROM txid_current();
                    RETURN NULL;
                END
                $$;

                \(residentTables.map(stateWrittenTrigger).joined(separator: "\n"))
                """),
        Migration(
            version: 5, name: "outbox relay position",
            sql: """
                -- The relay no longer marks every row it sent (an UPDATE that rewrote each row
                -- and its WAL): it keeps a position in the order (writer_xact, sequence) and
                -- appends one row to hub_outbox_relayed per batch the broker acknowledged.
                --
                -- Why the writing transaction and not the sequence alone: sequences are drawn
                -- when rows are inserted, transactions commit in another order, so a row with a
                -- lower sequence can become visible after one with a higher sequence, and a
                -- position on the sequence would pass it by. The relay takes only rows whose
                -- transaction is older than every transaction still running
                -- (pg_snapshot_xmin): all of those have ended, so nothing can appear behind it.
                ALTER TABLE hub_outbox ADD COLUMN writer_xact xid8 NOT NULL DEFAULT '0';
                ALTER TABLE hub_outbox ALTER COLUMN writer_xact SET DEFAULT pg_current_xact_id();
                CREATE INDEX hub_outbox_relay_order ON hub_outbox (writer_xact, sequence);

                -- The relay's position after each acknowledged batch; the last row is the position.
                CREATE TABLE hub_outbox_relayed (
                    batch bigserial PRIMARY KEY,
                    writer_xact xid8 NOT NULL,
                    sequence bigint NOT NULL,
                    sent_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX hub_outbox_relayed_position ON hub_outbox_relayed (writer_xact, sequence);
                -- Rows written before this migration keep transaction 0, in sequence order. The
                -- position starts before the first one not sent (any sent after it is sent again,
                -- which consumers deduplicate by ce_id).
                INSERT INTO hub_outbox_relayed (writer_xact, sequence)
                SELECT '0', coalesce((SELECT min(sequence) - 1 FROM hub_outbox WHERE sent_at IS NULL),
                                     (SELECT max(sequence) FROM hub_outbox), 0);
                DROP INDEX hub_outbox_unsent;
                ALTER TABLE hub_outbox DROP COLUMN sent_at;

                -- Rows after the relay's position.
                CREATE VIEW hub_outbox_unsent AS
                SELECT o.* FROM hub_outbox o
                 WHERE (o.writer_xact, o.sequence) >
                       (SELECT r.writer_xact, r.sequence FROM hub_outbox_relayed r ORDER BY r.batch DESC LIMIT 1);

                -- Every row with the time the batch that carried it was acknowledged (null: not yet).
                CREATE VIEW hub_outbox_deliveries AS
                SELECT o.sequence, o.notification_id, o.topic, o.created_at, s.sent_at
                  FROM hub_outbox o
                  LEFT JOIN LATERAL (
                       SELECT r.sent_at FROM hub_outbox_relayed r
                        WHERE (r.writer_xact, r.sequence) >= (o.writer_xact, o.sequence)
                        ORDER BY r.writer_xact, r.sequence LIMIT 1) s ON true;
                """),
        Migration(
            version: 6, name: "inbox writes change the state version",
            sql: """
                -- A worker's resident state also knows which events were processed (a filter
                -- built from the inbox, ResidentState.processedEvents): a transaction that
                -- writes the inbox must tell it, as one that writes the resident tables does.
                CREATE TRIGGER hub_state_written AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hub_inbox
                    FOR EACH STATEMENT EXECUTE FUNCTION hub_state_written();
                """),
        Migration(
            version: 7, name: "outbox rows parked",
            sql: """
                -- Outbox rows the broker or the client refused for good (too large for
                -- message.max.bytes, invalid): the relay records them here, with why, in the
                -- same transaction that moves its position past them, so that the rows behind
                -- them go on. Shown by hub-admin status and counted by hub_outbox_parked_total.
                CREATE TABLE hub_outbox_parked (
                    writer_xact xid8 NOT NULL,
                    sequence bigint NOT NULL,
                    topic text NOT NULL,
                    error text NOT NULL,
                    parked_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (writer_xact, sequence)
                );
                -- A parked row was never delivered: no sent_at for it.
                CREATE OR REPLACE VIEW hub_outbox_deliveries AS
                SELECT o.sequence, o.notification_id, o.topic, o.created_at,
                       CASE WHEN p.sequence IS NULL THEN s.sent_at END AS sent_at, p.parked_at, p.error AS parked_error
                  FROM hub_outbox o
                  LEFT JOIN hub_outbox_parked p ON (p.writer_xact, p.sequence) = (o.writer_xact, o.sequence)
                  LEFT JOIN LATERAL (
                       SELECT r.sent_at FROM hub_outbox_relayed r
                        WHERE (r.writer_xact, r.sequence) >= (o.writer_xact, o.sequence)
                        ORDER BY r.writer_xact, r.sequence LIMIT 1) s ON true;
                """),
        Migration(
            version: 8, name: "registered sources",
            sql: """
                -- The producers the hub knows (reference data, section "sources"): a ce_source, the
                -- kind of organisation behind it and what it may speak for. A record whose source
                -- may not speak for the entity it names is dead-lettered as unauthorized; with no
                -- row here the hub runs open (every source may speak for everything).
                CREATE TABLE ref_sources (source text PRIMARY KEY, kind text NOT NULL, doc jsonb NOT NULL);
                \(stateWrittenTrigger(on: "ref_sources"))
                """),
        Migration(
            version: 9, name: "roles and regional row-level security",
            sql: """
                -- Who may do what is recorded here, as data, by hub-admin roles (HubRoles): roles
                -- are the cluster's while this schema is one hub's, so no migration names a role.
                -- A role listed here acts through membership too (pg_has_role ... 'USAGE'): grant
                -- the role to the login roles of the people or services that use it.
                --
                -- The roles that process: they see and write every row of every region.
                CREATE TABLE hub_processing_roles (
                    role name PRIMARY KEY,
                    granted_at timestamptz NOT NULL DEFAULT now()
                );
                -- The reporting roles: each reads the rows of its regions, and reference data.
                CREATE TABLE hub_region_grants (
                    role name NOT NULL,
                    region text NOT NULL,
                    granted_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (role, region)
                );
                -- A role sees its own grants only; the owner, who grants, sees them all. The join
                -- on pg_roles skips the rows of a role dropped since (pg_has_role would fail).
                ALTER TABLE hub_processing_roles ENABLE ROW LEVEL SECURITY;
                CREATE POLICY hub_own_grants ON hub_processing_roles FOR SELECT
                    USING (EXISTS (SELECT FROM pg_roles r WHERE r.rolname = role AND pg_has_role(r.oid, 'USAGE')));
                ALTER TABLE hub_region_grants ENABLE ROW LEVEL SECURITY;
                CREATE POLICY hub_own_grants ON hub_region_grants FOR SELECT
                    USING (EXISTS (SELECT FROM pg_roles r WHERE r.rolname = role AND pg_has_role(r.oid, 'USAGE')));

                -- Invoker's rights (the caller's grants are what count); the policies below call
                -- each once per statement (a scalar or IN subquery), not once per row.
                CREATE FUNCTION hub_processes_every_region() RETURNS boolean LANGUAGE sql STABLE
                SET search_path FROM CURRENT AS $$
                    SELECT EXISTS (SELECT FROM hub_processing_roles p JOIN pg_roles r ON r.rolname = p.role
                                    WHERE pg_has_role(r.oid, 'USAGE'))
                $$;
                CREATE FUNCTION hub_readable_regions() RETURNS SETOF text LANGUAGE sql STABLE
                SET search_path FROM CURRENT AS $$
                    SELECT g.region FROM hub_region_grants g JOIN pg_roles r ON r.rolname = g.role
                     WHERE pg_has_role(r.oid, 'USAGE')
                $$;

                -- Row-level security on the read models. The owner is not subject to it (no FORCE:
                -- migrations, hub-admin's imports, rebuilds and repairs see everything); the
                -- processing roles pass the first policy for every command; a reporting role
                -- reads the rows of its regions; any other role sees no row even if granted the
                -- table. Tables without a region column take it from what they belong to.
                \(regionalReadModels.map(rowLevelSecurity).joined(separator: "\n"))

                -- The articulation view reads clsms with its caller's rights, so under the caller's
                -- row-level security (a view runs as its owner otherwise, who bypasses it).
                ALTER VIEW clsm_articulation SET (security_invoker = true);
                """),
        Migration(
            version: 10, name: "retention",
            sql: """
                -- hub-admin purge deletes, older than a horizon, inbox identities (those the event log
                -- also holds), outbox rows the relay passed, relay positions but the last, parked
                -- records and dead letters. It finds them by age: BRIN indexes, a few pages for
                -- millions of rows on columns that grow with the table's order, and next to nothing
                -- per insert (a B-tree on hub_inbox would cost the workers' insert throughput).
                CREATE INDEX hub_inbox_processed_at ON hub_inbox USING brin (processed_at) WITH (autosummarize = on);
                CREATE INDEX hub_outbox_created_at ON hub_outbox USING brin (created_at) WITH (autosummarize = on);
                CREATE INDEX hub_dead_letters_recorded_at ON hub_dead_letters USING brin (recorded_at) WITH (autosummarize = on);

                -- Each table's newest horizon purged: what is older may be missing, and replay rebuild
                -- does not count it as lost (an event logged before the inbox's horizon may have no
                -- inbox row; its notifications, when logged before the outbox's, no outbox row).
                CREATE TABLE hub_retention (
                    table_name text PRIMARY KEY,
                    purged_before timestamptz NOT NULL,
                    purged_at timestamptz NOT NULL DEFAULT now()
                );

                -- Deleting inbox identities no longer changes the state version. The resident
                -- filter of processed events may hold more identities than stored (a Bloom filter
                -- answers "maybe" and the inbox and the event log are looked up): a deletion cannot
                -- make it wrong, while each purge chunk counted as a write would make every worker
                -- load its resident state again. Inserts and updates still count.
                DROP TRIGGER hub_state_written ON hub_inbox;
                CREATE TRIGGER hub_state_written AFTER INSERT OR UPDATE ON hub_inbox
                    FOR EACH STATEMENT EXECUTE FUNCTION hub_state_written();
                """),
        activityReportsMigration,
        Migration(
            version: 12, name: "other dispositifs and levels",
            sql: """
                -- Issue 19: the dispositifs and levels a CLSM articulates with besides PTSM, CLS and
                -- ASV (reference data, hub-admin reference import). CLSPD, CPTS, DAC, PRE and
                -- contrats de ville share one table, keyed by kind and id; EPCIs by SIREN; adult and
                -- child psychiatric sectors; PTSM territories by their départements (a département
                -- may hold several). Public data like the other reference tables: no row-level
                -- security, readable by the reporting roles (HubRoles). Resident in the workers'
                -- memory like the rest of the reference data, so a write changes the state version.
                CREATE TABLE ref_dispositifs (
                    kind text NOT NULL, id text NOT NULL, communes text[] NOT NULL, doc jsonb NOT NULL,
                    PRIMARY KEY (kind, id)
                );
                CREATE INDEX ref_dispositifs_communes ON ref_dispositifs USING gin (communes);
                CREATE TABLE ref_epcis (siren text PRIMARY KEY, communes text[] NOT NULL, doc jsonb NOT NULL);
                CREATE INDEX ref_epcis_communes ON ref_epcis USING gin (communes);
                CREATE TABLE ref_psychiatric_sectors (
                    id text PRIMARY KEY, population text NOT NULL, communes text[] NOT NULL, doc jsonb NOT NULL
                );
                CREATE INDEX ref_psychiatric_sectors_communes ON ref_psychiatric_sectors USING gin (communes);
                CREATE TABLE ref_ptsm_territories (id text PRIMARY KEY, departements text[] NOT NULL, doc jsonb NOT NULL);
                CREATE INDEX ref_ptsm_territories_departements ON ref_ptsm_territories USING gin (departements);
                \(stateWrittenTrigger(on: "ref_dispositifs"))
                \(stateWrittenTrigger(on: "ref_epcis"))
                \(stateWrittenTrigger(on: "ref_psychiatric_sectors"))
                \(stateWrittenTrigger(on: "ref_ptsm_territories"))
                """),
    ]

    /// Migration 9's read models under row-level security, each with the condition that
    /// keeps a row for a reporting role (a boolean SQL expression on the table's columns).
    /// Part of migration 9's text, like `rowLevelSecurity`: never change them, add a migration.
    static let regionalReadModels: [(table: String, readable: String)] = [
        ("clsms", "region IN (SELECT hub_readable_regions())"),
        ("ptsms", "region IN (SELECT hub_readable_regions())"),
        // Every version of a diagnostic belongs to its PTSM (itself under row-level security).
        ("ptsm_diagnostics", "ptsm_id IN (SELECT p.id FROM ptsms p WHERE p.region IN (SELECT hub_readable_regions()))"),
        ("sism_proposals", "region IN (SELECT hub_readable_regions())"),
        ("sism_programmes", "region IN (SELECT hub_readable_regions())"),
        // An action is recorded in a QPV: the region of the QPV's communes, through their
        // départements (reference data, readable by reporting roles).
        (
            "qpv_actions",
            """
            qpv IN (SELECT q.code FROM ref_qpvs q
                      JOIN ref_communes c ON c.code = ANY (q.communes)
                      JOIN ref_departements d ON d.code = c.departement
                     WHERE d.region IN (SELECT hub_readable_regions()))
            """
        ),
    ]

    /// Migration 9's row-level security on one read model: every command for the processing
    /// roles, reading the rows `readable` keeps for the reporting roles.
    static func rowLevelSecurity(_ model: (table: String, readable: String)) -> String {
        """
        ALTER TABLE \(model.table) ENABLE ROW LEVEL SECURITY;
        CREATE POLICY hub_processing ON \(model.table)
            USING ((SELECT hub_processes_every_region())) WITH CHECK ((SELECT hub_processes_every_region()));
        CREATE POLICY hub_regional_reading ON \(model.table) FOR SELECT USING (\(model.readable));
        """
    }

    /// The tables `ResidentState` mirrors: a write to any of them changes `hub_state_version`.
    /// Migration 4's trigger on one table the resident state mirrors.
    static func stateWrittenTrigger(on table: String) -> String {
        "CREATE TRIGGER hub_state_written AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON \(table) "
            + "FOR EACH STATEMENT EXECUTE FUNCTION hub_state_written();"
    }

    static let residentTables = [
        "ref_regions", "ref_departements", "ref_communes", "ref_qpvs", "ref_cls", "ref_asvs", "ref_sism_editions",
        "clsms", "ptsms", "sism_proposals", "sism_programmes",
    ]

    /// Computes every programme tally from `sism_proposals` (what the rules' tallies must
    /// equal), replacing none: run on an empty `sism_programmes`.
    public static let sismProgrammeBackfill = """
        WITH scheduled AS (
            SELECT edition, region, record -> 'proposal' ->> 'format' AS format, commune, clsm_id,
                   record -> 'proposal' ->> 'qpv' AS qpv
              FROM sism_proposals WHERE accepted AND NOT cancelled
        ), counted AS (
            SELECT edition, region, 'byFormat' AS field, format AS key, count(*) AS n FROM scheduled GROUP BY 1, 2, 4
            UNION ALL SELECT edition, region, 'communes', commune, count(*) FROM scheduled GROUP BY 1, 2, 4
            UNION ALL SELECT edition, region, 'clsms', clsm_id, count(*) FROM scheduled GROUP BY 1, 2, 4
        ), maps AS (
            SELECT edition, region, field, jsonb_object_agg(key, n) AS counts FROM counted GROUP BY 1, 2, 3
        )
        INSERT INTO sism_programmes (edition, region, tally)
        SELECT p.edition, p.region, jsonb_build_object(
                   'edition', p.edition, 'region', p.region,
                   'scheduled', count(*) FILTER (WHERE p.accepted AND NOT p.cancelled),
                   'qpvEvents', count(*) FILTER (WHERE p.accepted AND NOT p.cancelled AND p.record -> 'proposal' ->> 'qpv' IS NOT NULL),
                   'cancelled', count(*) FILTER (WHERE p.accepted AND p.cancelled),
                   'rejected', count(*) FILTER (WHERE NOT p.accepted),
                   'byFormat', coalesce((SELECT counts FROM maps m WHERE (m.edition, m.region, m.field) = (p.edition, p.region, 'byFormat')), '{}'),
                   'communes', coalesce((SELECT counts FROM maps m WHERE (m.edition, m.region, m.field) = (p.edition, p.region, 'communes')), '{}'),
                   'clsms', coalesce((SELECT counts FROM maps m WHERE (m.edition, m.region, m.field) = (p.edition, p.region, 'clsms')), '{}'))
          FROM sism_proposals p
         GROUP BY p.edition, p.region;
        """
}
