import HubCore
import HubDomain
import HubKafka
import HubPostgres
import Logging
import ServiceLifecycle

/// Start-up of the workers: servers reached, schema checked (migrated by hub-admin, never
/// here), topics present, then the services that run until shutdown.
struct WorkersApplication {
    var services: [any Service]

    static func start(configuration: HubConfiguration, logger: Logger) async throws -> WorkersApplication {
        logger.info("hub-workers starting", metadata: ["version": "\(HubBuild.version)", "configuration": "\(configuration)"])
        // Before anything makes a metric: a metric made earlier would stay a no-op.
        WorkersObservability.bootstrapMetrics()
        let observability = try WorkersObservability.Settings()

        // A statement on a lost connection waits for a reconnection no longer than the outage
        // grace: past it the processing loop leaves the group rather than hold its partitions.
        var configuration = configuration
        configuration.database.reconnectTimeout = min(configuration.database.reconnectTimeout, configuration.databaseOutageGraceInEffect)
        let database = try await ServerConnections.connectDatabase(configuration.database, logger: logger)
        // No DDL here: the workers may run as a role with data rights only (hub-admin roles
        // workers). A schema behind this build is the owner's to migrate (hub-admin migrate);
        // the workers stop with that message rather than wait, so that an upgrade that forgot
        // the migration fails loudly (docker-compose runs the migration before starting them).
        let version = try await PostgresMigrator(migrations: HubSchema.migrations, logger: logger).requireCurrent(on: database)
        logger.info("connected to PostgreSQL", metadata: ["schemaVersion": "\(version)"])
        try await logAdmission(on: database, logger: logger)

        let admin = try KafkaAdmin(configuration: configuration.kafka, logger: logger)
        let metadata = try await ServerConnections.waitForKafka(admin, brokers: configuration.kafka.brokers, logger: logger)
        let created = try await admin.createTopics(HubTopics.specifications())
        logger.info(
            "connected to Kafka",
            metadata: [
                "brokers": "\(metadata.brokers)",
                "topicsCreated": "\(created.filter { $0.value == .created }.keys.sorted())",
            ])

        let consumer = try KafkaConsumer(
            configuration: configuration.kafka, groupID: configuration.groupID,
            topics: HubTopics.inbound, logger: logger)
        let relay = OutboxRelay(
            database: configuration.database, kafka: configuration.kafka,
            logger: Logger(label: "hub.outbox.relay"))
        let health = HealthState()
        health.register(relay: relay)
        // The consumer is ready while its loop polls: not while stuck retrying a batch, nor
        // while out of its group during a database outage (/readyz; /livez stays ok).
        let lastPoll = Locked<ContinuousClock.Instant?>(nil)
        health.registerConsumer(lastPoll: lastPoll)
        // Its own connection: it looks up the next batch's rows while the first one writes.
        let lookups = try await ServerConnections.connectDatabase(configuration.database, logger: logger)
        let processing = InboundProcessingService(
            consumer: consumer, database: database, lookups: lookups, processor: BatchProcessor(logger: logger),
            maxBatchSize: configuration.batchSize, databaseOutageGrace: configuration.databaseOutageGraceInEffect,
            batchBudget: BatchByteBudget(maxBytes: configuration.batchMaxBytes), logger: logger,
            onPolled: { lastPoll.withLock { $0 = .now } })
        return WorkersApplication(
            services: [processing, relay]
                + WorkersObservability.makeServices(health: health, settings: observability, logger: logger))
    }

    /// Says whether records are checked against registered sources or the hub runs open
    /// (contract §3, "Who may say what"): an operator must see which it is at start-up.
    static func logAdmission(on database: PostgresConnection, logger: Logger) async throws {
        let sources = try await HubStatusQueries.sources(on: database)
        if sources.isEmpty {
            logger.warning(
                """
                no source registered: the hub runs open, any ce_source may speak for any CLSM, PTSM, ASV, CLS or region \
                (register sources with hub-admin reference import, section sources)
                """)
        } else {
            let counts = sources.map { "\($0.kind): \($0.sources)" }.joined(separator: ", ")
            logger.info(
                "registered sources checked: a record from another source is dead-lettered as unauthorized",
                metadata: ["sources": "\(counts)"])
        }
    }
}
