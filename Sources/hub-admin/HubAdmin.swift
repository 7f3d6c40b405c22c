import ArgumentParser
import Foundation
import HubCore
import HubDomain
import HubKafka
import HubPostgres
import Logging

/// hub-admin: the administrators' command line. Configuration comes from the same
/// environment as hub-workers (HUB_KAFKA_BROKERS, HUB_DATABASE_URL, HUB_GROUP_ID, HUB_KAFKA_*).
@main
struct HubAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-admin",
        abstract: "Administer the CLSM hub: schema, topics, reference data, publishing, health.",
        discussion: """
            Reads HUB_KAFKA_BROKERS (default 127.0.0.1:9092), HUB_DATABASE_URL (libpq URI), \
            HUB_GROUP_ID (default clsm-hub) and any librdkafka property as HUB_KAFKA_<PROPERTY>.

            \(AdminFailure.exitCodesHelp)
            """,
        version: HubBuild.version,
        subcommands: [
            Migrate.self, Roles.self, Topics.self, Reference.self, Publish.self, Notifications.self, Health.self, Report.self,
            Status.self, DeadLetters.self, Replay.self, Purge.self,
        ]
    )

    /// swift-argument-parser's own entry point, plus the exit codes of `AdminFailure`.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as AdminFailure {
            FileHandle.standardError.write(Data("hub-admin: error: \(failure.line)\n".utf8))
            Foundation.exit(failure.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}

/// What every subcommand shares: configuration and a quiet logger.
struct AdminContext {
    let configuration: HubConfiguration
    let logger: Logger

    init() throws {
        do {
            var configuration = try HubConfiguration()
            // Rebuilds, reports and purges run long statements and transactions: no statement
            // or idle-in-transaction timeout unless HUB_DATABASE_* sets one (operations.md, Timeouts).
            configuration.database = configuration.database.forLongCommands()
            self.configuration = configuration
        } catch {
            throw ValidationError("\(error)")
        }
        var logger = Logger(label: "hub.admin")
        logger.logLevel = configuration.logLevel == .info ? .warning : configuration.logLevel
        self.logger = logger
    }

    /// A connection to the hub's database; one that cannot be opened is `unavailable` (69).
    func database() async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration.database, logger: logger)
        } catch {
            throw AdminFailure.unavailable("PostgreSQL (\(configuration.database)) does not answer: \(error)")
        }
    }

    func kafkaAdmin() throws -> KafkaAdmin {
        do {
            return try KafkaAdmin(configuration: configuration.kafka, logger: logger)
        } catch {
            throw AdminFailure.unavailable("Kafka (\(configuration.kafka)) cannot be reached: \(error)")
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the pending PostgreSQL schema migrations (as the schema's owner; hub-workers never migrates).",
        discussion: "Then grants again to the roles of hub-admin roles their rights on the tables the migrations added.")

    func run() async throws {
        let context = try AdminContext()
        let database = try await context.database()
        defer { Task { await database.close() } }
        let report = try await PostgresMigrator(migrations: HubSchema.migrations, logger: context.logger).migrate(on: database)
        for migration in report.applied {
            print("applied \(migration.version) \(migration.name)")
        }
        print(
            "schema at version \(HubSchema.migrations.map(\.version).max() ?? 0) (\(report.applied.count) applied now, \(report.alreadyApplied.count) before)"
        )
        // The workers' and reporting roles hold rights on the tables that existed when they
        // were granted; a migration's new tables are theirs once granted again.
        let granted = try await HubRoles.grantAgain(on: database)
        if !granted.isEmpty { print("rights granted again to \(granted.joined(separator: ", "))") }
    }
}

struct Topics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or list the hub's Kafka topics.",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the hub's topics that do not exist yet.",
            discussion: """
                With HUB_REGIONAL_TOPICS=true, also hub.notifications.<region> for each region of the \
                reference data (read from PostgreSQL: import the reference data first).
                """)

        @Option(help: "Partitions of each inbound and notification topic.")
        var partitions: Int32 = 6

        @Option(help: "Replication factor (1 for a single broker).")
        var replicationFactor: Int32 = 1

        func run() async throws {
            let context = try AdminContext()
            let regions = context.configuration.regionalTopics ? try await Self.referenceRegions(context) : []
            for region in HubTopics.unusableRegions(regions) {
                FileHandle.standardError.write(
                    Data("hub-admin: warning: region \"\(region)\" cannot name a topic: no regional topic for it\n".utf8))
            }
            let admin = try context.kafkaAdmin()
            let outcomes = try await admin.createTopics(
                HubTopics.specifications(partitions: partitions, replicationFactor: replicationFactor, regions: regions))
            for name in outcomes.keys.sorted() {
                print("\(name): \(outcomes[name] == .created ? "created" : "already exists")")
            }
        }

        /// With HUB_REGIONAL_TOPICS on, the regions of the reference data: each gets its
        /// hub.notifications.<region>. Import the reference data first (or again after adding
        /// a region); the relay creates a regional topic it finds missing anyway.
        static func referenceRegions(_ context: AdminContext) async throws -> [String] {
            let database = try await context.database()
            defer { Task { await database.close() } }
            return try await database.query("SELECT code FROM ref_regions ORDER BY code").map { try $0.decode(String.self, at: 0) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the topics of the cluster (Kafka's internal ones left out) with their partitions.")

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let context = try AdminContext()
            let metadata = try await context.kafkaAdmin().metadata()
            var listing = Listing(columns: ["topic", "partitions"])
            for topic in metadata.topics.sorted(by: { $0.name < $1.name }) where !topic.name.hasPrefix("__") {
                listing.append([.text(topic.name), ListingValue(topic.partitions.count)])
            }
            output.print(listing)
        }
    }
}

struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that PostgreSQL and Kafka answer (exit 0) or say which does not (exit 1).")

    @Option(help: "Seconds to wait for each server.")
    var timeout: Int = 5

    func run() async throws {
        let context = try AdminContext()
        var healthy = true
        do {
            let database = try await context.database()
            _ = try await database.query("SELECT 1")
            await database.close()
            print("postgresql: ok (\(context.configuration.database))")
        } catch {
            healthy = false
            print("postgresql: \(error)")
        }
        do {
            let metadata = try await context.kafkaAdmin().metadata(timeout: .seconds(timeout))
            print("kafka: ok (\(metadata.brokers.joined(separator: ", ")))")
        } catch {
            healthy = false
            print("kafka: \(error)")
        }
        if !healthy { throw ExitCode(1) }
    }
}
