import ArgumentParser
import Foundation
import HubCore
import HubDomain
import HubKafka

/// `replay rebuild` (read models from the event log) and `replay rewind --topic T --from TIME`
/// (the workers' consumer group moved back: a preview unless `--execute`). The work is in
/// HubCore's Replay.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the read models from the event log, or move the workers' consumer group back on a topic.",
        discussion: """
            replay rebuild [--dry-run] [--accept-differences]
              The read models folded again from hub_event_log; the workers may keep running.

            replay rewind --topic T --from TIME [--execute]
              The workers' consumer group moved back on topic T to TIME: shows what would move and changes \
            nothing, unless --execute (with every hub-workers stopped).
            """,
        subcommands: [Rebuild.self, Rewind.self])
}

extension Replay {
    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild every read model from the event log (hub_event_log).",
            discussion: """
                Folds hub_event_log through the rules again, in sequence order, from the reference data as it is \
                now, and writes every read model (clsms, ptsms, ptsm_diagnostics, sism_proposals, qpv_actions) anew, \
                in one transaction that holds the workers' batch lock: workers may keep running, their batches wait. \
                Reference data, inbox, event log, outbox and dead letters are not touched, and no notification is \
                sent again. Prints a checksum of the read models before and after (SHA-256 of a canonical \
                serialisation, see StateChecksum in HubCore; equal: nothing needed repairing), the events folded, and \
                whether the fold gives exactly the notification ids already in hub_outbox (the replay guarantee).
                  If it does not (or the rules now refuse an event of the log, or the inbox and the log disagree), \
                nothing is written and the exit code is 1: a rebuilt state would not match what recipients were \
                told. The usual reason is reference data imported after events were processed (a commune added, \
                say): the fold uses today's reference data, so its state and notifications may legitimately differ. \
                --accept-differences writes it anyway. --dry-run computes everything, then rolls back (exit 1 on a \
                difference, so it also checks determinism).
                """)

        @Flag(help: "Compute the rebuilt state and its checksum, write nothing.")
        var dryRun = false

        @Flag(help: "Write the rebuilt state even if the fold disagrees with hub_outbox or the inbox.")
        var acceptDifferences = false

        @OptionGroup var output: OutputOptions

        func run() async throws {
            var bar: ProgressBar?
            let report = try await AdminContext().withDatabase(doing: "rebuild the read models") { database in
                try await ReadModelRebuild().run(
                    on: database, options: .init(dryRun: dryRun, acceptDifferences: acceptDifferences),
                    onStart: { bar = ProgressBar("folding events", total: $0) }, onEvent: { bar?.advance() })
            }
            bar?.finish()
            output.print(Self.listing(report, dryRun: dryRun))
            if !report.agreesWithHistory && !report.written {
                throw AdminFailure.failed(
                    "the fold of the event log disagrees with history (see above); nothing was written. If reference data "
                        + "was imported after some events were processed, the difference may be legitimate: "
                        + "--accept-differences writes the rebuilt state anyway")
            }
        }

        static func listing(_ report: ReadModelRebuild.Report, dryRun: Bool) -> Listing {
            var listing = Listing(columns: ["item", "value"])
            func add(_ item: String, _ value: ListingValue) { listing.append([.text(item), value]) }
            add("events folded", .init(report.eventsFolded))
            add("checksum before", .text(report.before.sha256))
            add("checksum after", .text(report.after.sha256))
            for table in report.before.tables {
                let after = report.after.table(table.name)
                let same = after?.sha256 == table.sha256
                add(table.name, .text("\(table.rows) → \(after?.rows ?? 0) rows, \(same ? "same" : "differs")"))
            }
            add(
                "state",
                .text(
                    report.stateChanged
                        ? "differs from the stored one (\(report.after.tablesDiffering(from: report.before).joined(separator: ", ")))"
                        : "same as stored"))
            add("notifications of the fold", .init(report.foldNotifications))
            add("notifications in hub_outbox", .init(report.outboxNotifications))
            if report.purgedFromOutbox > 0 {
                add("notifications purged (not compared)", .init(report.purgedFromOutbox))
            }
            add("same notification ids", .boolean(report.sameNotificationIds))
            if !report.sameNotificationIds {
                add("ids only in the fold", .text(summary(report.onlyInFold)))
                add("ids only in hub_outbox", .text(summary(report.onlyInOutbox)))
            }
            add("events the rules refuse now", .init(report.rejections.count))
            for rejected in report.rejections.prefix(5) {
                add("refused", .text("\(rejected.identity): \(rejected.rejection.code.rawValue): \(rejected.rejection.message)"))
            }
            if report.inboxNotFolded > 0 || report.foldedNotInInbox > 0 {
                add("inbox identities not folded", .init(report.inboxNotFolded))
                add("folded identities not in inbox", .init(report.foldedNotInInbox))
            }
            add("written", .text(report.written ? "yes" : dryRun ? "no (dry run)" : "no (the fold disagrees with history)"))
            if !report.agreesWithHistory || report.stateChanged {
                add(
                    "note",
                    .text(
                        report.agreesWithHistory
                            ? "the stored read models differed from the fold of the event log; the rebuilt ones are the fold's"
                            : "the fold uses today's reference data: if reference data changed since the events were processed "
                                + "(a commune added, say), the rebuilt state and notifications may legitimately differ"))
            }
            return listing
        }

        private static func summary(_ ids: [String]) -> String {
            ids.isEmpty ? "none" : "\(ids.count): " + ids.prefix(3).joined(separator: ", ") + (ids.count > 3 ? ", …" : "")
        }
    }

    struct Rewind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the workers' consumer group back on an inbound topic (a preview unless --execute).",
            discussion: """
                For the workers' consumer group (HUB_GROUP_ID), on every partition of inbound topic T \
                (clsm.declared, sism.event.proposed, ptsm.diagnostic.published, qpv.action.recorded), the target is \
                the first offset whose record is at or after TIME (RFC 3339 with an offset, e.g. \
                2026-03-01T00:00:00Z; not in the future); a partition with no record after TIME goes to its end. A \
                partition never moves forward (that would skip records not yet processed) and one without a \
                committed offset is left so (the workers read it from its start anyway).
                  Without --execute (or with --dry-run, the default), it only shows, per partition, the committed \
                offset, the target, the offset it would commit and the records the group would read again; it \
                commits nothing, and may run while the workers do. With --execute it commits those offsets and \
                shows the committed offsets before and after. --execute is refused (exit 75) while hub-workers run \
                on this schema or the group still has members: stop them all first, then start them again after. \
                The records are consumed again, but the inbox makes each a duplicate of an event already \
                processed: they take effect once, change nothing and notify nobody again; only records never \
                processed take effect. Use it when the database was restored from a backup older than the \
                committed offsets: the records after the backup are then processed again and their effects and \
                notifications restored (a notification already relayed may be sent again with the same id; \
                consumers deduplicate on ce_id). Once the workers have caught up again, \
                `replay rebuild --dry-run` checks that the state and the outbox are the fold of the event log.
                """)

        @Option(help: "Inbound topic whose consumer-group offsets move back.")
        var topic: String

        @Option(help: "RFC 3339 time (e.g. 2026-03-01T00:00:00Z); the first record at or after it is consumed again.")
        var from: String

        @Flag(help: "Commit the new offsets (workers stopped). Without it, show what would move and change nothing.")
        var execute = false

        @Flag(help: "Show what would move and change nothing (the default).")
        var dryRun = false

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !(execute && dryRun) else { throw ValidationError("--dry-run and --execute exclude each other: give one") }
        }

        func run() async throws {
            let topic: InboundTopic
            let time: Date
            do {
                topic = try ConsumerGroupRewind.inboundTopic(self.topic)
                time = try ConsumerGroupRewind.instant(from)
            } catch let refusal as ConsumerGroupRewind.InputRefusal {
                throw AdminFailure.refusedInput(refusal.message)
            }
            let context = try AdminContext()
            let group = context.configuration.groupID
            let workers = try await context.withDatabase(doing: "look for running hub-workers") { database in
                try await WorkersPresence.sessions(on: database)
            }
            let running =
                "hub-workers are running on this schema (PostgreSQL sessions "
                + "\(workers.map(String.init).joined(separator: ", ")) hold its outbox-relay or batch lock)"
            if execute, !workers.isEmpty {
                throw AdminFailure.refusedNow(
                    running + ": stop every hub-workers of group \(group), replay, then start them again")
            }
            let admin = try context.kafkaAdmin()
            let moves: [ConsumerGroupRewind.Move]
            var committedAfter: [TopicPartition: Int64] = [:]
            do {
                if execute {
                    moves = try await ConsumerGroupRewind.rewind(group: group, topic: topic, to: time, admin: admin)
                    committedAfter = try await admin.committedOffsets(group: group, partitions: moves.map(\.partition))
                } else {
                    moves = try await ConsumerGroupRewind.preview(group: group, topic: topic, to: time, admin: admin)
                }
            } catch let error as KafkaError {
                throw Replay.failure(error, group: group)
            }
            output.print(Self.listing(moves, committedAfter: execute ? committedAfter : nil))
            if output.format == .table {
                let moving = moves.filter(\.moved)
                let records = moves.compactMap(\.recordsToReread).reduce(0, +)
                print(
                    execute
                        ? "moved group \(group) back on \(moving.count) of \(moves.count) partitions of \(topic.rawValue), "
                            + "\(records) records to read again"
                        : "preview, nothing committed: group \(group) would move back on \(moving.count) of \(moves.count) "
                            + "partitions of \(topic.rawValue), \(records) records to read again; --execute commits it")
            }
            if !execute, !workers.isEmpty {
                FileHandle.standardError.write(
                    Data(
                        "hub-admin: note: \(running); --execute is refused (exit 75) until every one is stopped\n".utf8))
            }
        }

        /// A preview (`committedAfter` nil): `committed`, `target`, `would commit`,
        /// `records to re-read`; after --execute: `committed before`, `target`,
        /// `committed after` (read back from Kafka), `records to re-read`.
        static func listing(_ moves: [ConsumerGroupRewind.Move], committedAfter: [TopicPartition: Int64]?) -> Listing {
            let columns =
                committedAfter == nil
                ? ["partition", "committed", "first offset at or after", "would commit", "records to re-read"]
                : ["partition", "committed before", "first offset at or after", "committed after", "records to re-read"]
            var listing = Listing(columns: columns)
            for move in moves {
                let after = committedAfter.map { $0[move.partition] } ?? move.after
                listing.append([
                    .text(move.partition.description), move.before.map { .integer($0) } ?? .null,
                    .integer(move.target), after.map { .integer($0) } ?? .null,
                    move.recordsToReread.map { .integer($0) } ?? .null,
                ])
            }
            return listing
        }
    }

    /// Kafka's refusals of a commit from outside a group that still has members mean
    /// "workers still running" (75); brokers that do not answer are 69.
    private static func failure(_ error: KafkaError, group: String) -> AdminFailure {
        let busy = ["UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "REBALANCE_IN_PROGRESS", "FENCED_INSTANCE_ID"]
        if let name = error.codeName, busy.contains(name) {
            return .refusedNow(
                "consumer group \(group) still has members (\(error)): stop every hub-workers of the group, "
                    + "wait for the broker to forget them (the session timeout), then rewind again")
        }
        if FailureClassification.isTransient(error) {
            return .unavailable("\(error)")
        }
        return .failed("\(error)")
    }
}
