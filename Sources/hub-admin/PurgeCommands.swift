import ArgumentParser
import Foundation
import HubCore
import HubDomain

/// `hub-admin purge --older-than 30d`: the retention of docs/operations.md, Retention.
struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete what the hub no longer needs, older than a horizon (run it daily: see docs/operations.md, Retention).",
        discussion: """
            Deletes, in chunks each its own transaction (safe while hub-workers runs): inbox identities \
            processed before the horizon (the event log, never purged, still recognises a redelivered \
            applied event); outbox rows created before it and already relayed (never one after the relay's \
            position); the relay's past positions but the last; parked records whose outbox row is gone; \
            dead letters recorded before it, replayed or not. The event log is never deleted: it is the \
            replay source.

            The horizon is the redelivery horizon: it must exceed the inbound topics' retention and any \
            replay window (a consumer group rewound by replay topic), since a dead-lettered record \
            redelivered after it is dead-lettered again. Default policy: 30d. Under 1d needs --force.

            Prints per table the rows deleted (or, with --dry-run, that would be) and the seconds taken.

            Exit codes: 0 done; 65 --older-than refused; 69 PostgreSQL does not answer (chunks deleted \
            so far stay deleted: run it again); 1 another failure.
            """)

    @Option(
        name: .customLong("older-than"),
        help: ArgumentHelp(
            "Delete rows older than this: a whole number of minutes, hours or days (90m, 12h, 30d).",
            valueName: "duration"))
    var olderThan: String

    @Flag(help: "Count what would be deleted; delete nothing.")
    var dryRun = false

    @Flag(help: "Accept a horizon under one day (tests, soaks; see the redelivery horizon above).")
    var force = false

    @Option(help: "Rows deleted per statement (each its own transaction).")
    var chunkSize: Int = RetentionPurge.defaultChunkSize

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...1_000_000).contains(chunkSize) else { throw ValidationError("--chunk-size must be between 1 and 1000000") }
    }

    func run() async throws {
        let horizon = try parsedHorizon()
        let purge = RetentionPurge(horizon: horizon, chunkSize: chunkSize)
        let report = try await AdminContext().withDatabase(doing: "purge rows older than \(horizon)") { database in
            try await purge.run(dryRun: dryRun, on: database)
        }
        if output.format == .table {
            print("\(dryRun ? "dry run: would delete" : "deleted") rows older than \(report.cutoff) (\(horizon))")
        }
        output.print(Self.listing(report))
    }

    /// `--older-than` as a horizon; refused (65) when it does not parse, or is under a day
    /// without `--force`.
    func parsedHorizon() throws -> RetentionHorizon {
        let horizon: RetentionHorizon
        do {
            horizon = try RetentionHorizon(parsing: olderThan)
        } catch {
            throw AdminFailure.refusedInput(error.description)
        }
        if horizon.needsForce, !force {
            throw AdminFailure.refusedInput(
                """
                --older-than \(horizon) is under \(RetentionHorizon.minimumWithoutForce): dead letters and outbox records \
                that recent would go, and a dead-lettered record redelivered after it would be dead-lettered again; \
                add --force if that is meant (tests, soaks)
                """)
        }
        return horizon
    }

    /// One row per table: its name, the rows deleted (or that would be) and the seconds taken.
    static func listing(_ report: RetentionPurge.Report) -> Listing {
        var listing = Listing(columns: ["table", report.dryRun ? "would_delete" : "deleted", "seconds"])
        for table in report.tables {
            listing.append([.text(table.table.name), ListingValue(table.rows), .decimal(table.seconds, fractionDigits: 3)])
        }
        return listing
    }
}
