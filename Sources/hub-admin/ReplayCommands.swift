import ArgumentParser
import Foundation
import HubCore
import HubDomain
import HubKafka

/// `replay --rebuild` (read models from the event log) and `replay --topic T --from TIME`
/// (the workers' consumer group moved back). The work is in HubCore's Processing/Replay.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the read models from the event log, or move the workers' consumer group back on a topic.",
        discussion: """
            replay --rebuild [--dry-run] [--accept-differences]
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

            replay --topic T --from TIME
              Commits, for the workers' consumer group (HUB_GROUP_ID), on every partition of inbound topic T \
            (clsm.declared, sism.event.proposed, ptsm.diagnostic.published, qpv.action.recorded), the first offset \
            whose record is at or after TIME (RFC 3339 with an offset, e.g. 2026-03-01T00:00:00Z; not in the \
            future); a partition with no record after TIME goes to its end. A partition never moves forward (that \
            would skip records not yet processed) and one without a committed offset is left so (the workers \
            read it from its start anyway). Prints each partition's committed offset before and after.
              Refused (exit 75) while hub-workers run on this schema: stop them all first, then start them \
            again after. The records are consumed again, but the inbox makes each a duplicate of an event \
            already processed: they take effect once, change nothing and notify nobody again; only records \
            never processed take effect. Use it when the database was restored from a backup older than the \
            committed offsets: the records after the backup are then processed again and their effects and \
            notifications restored (a notification already relayed may be sent again with the same id; consumers \
            deduplicate on ce_id). Combined with --rebuild: once the workers have caught up again, \
            `replay --rebuild --dry-run` checks that the state and the outbox are the fold of the event log.
            """)

    @Flag(help: "Rebuild every read model from hub_event_log.")
    var rebuild = false

    @Flag(help: "With --rebuild: compute the rebuilt state and its checksum, write nothing.")
    var dryRun = false

    @Flag(help: "With --rebuild: write the rebuilt state even if the fold disagrees with hub_outbox or the inbox.")
    var acceptDifferences = false

    @Option(help: "Inbound topic whose consumer-group offsets move back.")
    var topic: String?

    @Option(help: "With --topic: RFC 3339 time (e.g. 2026-03-01T00:00:00Z); the first record at or after it is consumed again.")
    var from: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if rebuild {
            guard topic == nil, from == nil else { throw ValidationError("--rebuild and --topic/--from are separate replays: give one") }
        } else {
            guard topic != nil, from != nil else { throw ValidationError("give --rebuild, or --topic T with --from TIME") }
            guard !dryRun, !acceptDifferences else { throw ValidationError("--dry-run and --accept-differences go with --rebuild") }
        }
    }

    func run() async throws {
        if rebuild {
            try await runRebuild()
        } else if let topic, let from {
            try await runRewind(topic: topic, from: from)
        }
    }

    // MARK: --rebuild

    private func runRebuild() async throws {
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
        add("state", .text(report.stateChanged
            ? "differs from the stored one (\(report.after.tablesDiffering(from: report.before).joined(separator: ", ")))"
            : "same as stored"))
        add("notifications of the fold", .init(report.foldNotifications))
        add("notifications in hub_outbox", .init(report.outboxNotifications))
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
            add("note", .text(report.agreesWithHistory
                ? "the stored read models differed from the fold of the event log; the rebuilt ones are the fold's"
                : "the fold uses today's reference data: if reference data changed since the events were processed "
                    + "(a commune added, say), the rebuilt state and notifications may legitimately differ"))
        }
        return listing
    }

    private static func summary(_ ids: [String]) -> String {
        ids.isEmpty ? "none" : "\(ids.count): " + ids.prefix(3).joined(separator: ", ") + (ids.count > 3 ? ", …" : "")
    }

    // MARK: --topic --from

    private func runRewind(topic name: String, from text: String) async throws {
        let topic: InboundTopic
        let time: Date
        do {
            topic = try ConsumerGroupRewind.inboundTopic(name)
            time = try ConsumerGroupRewind.instant(text)
        } catch let refusal as ConsumerGroupRewind.InputRefusal {
            throw AdminFailure.refusedInput(refusal.message)
        }
        let context = try AdminContext()
        let group = context.configuration.groupID
        let workers = try await context.withDatabase(doing: "look for running hub-workers") { database in
            try await WorkersPresence.sessions(on: database)
        }
        guard workers.isEmpty else {
            throw AdminFailure.refusedNow(
                "hub-workers are running on this schema (PostgreSQL sessions \(workers.map(String.init).joined(separator: ", ")) "
                + "hold its outbox-relay or batch lock): stop every hub-workers of group \(group), replay, then start them again")
        }
        let admin = try context.kafkaAdmin()
        let moves: [ConsumerGroupRewind.Move]
        let committedAfter: [TopicPartition: Int64]
        do {
            moves = try await ConsumerGroupRewind.rewind(group: group, topic: topic, to: time, admin: admin)
            committedAfter = try await admin.committedOffsets(group: group, partitions: moves.map(\.partition))
        } catch let error as KafkaError {
            throw Self.failure(error, group: group)
        }
        var listing = Listing(columns: ["partition", "committed before", "first offset at or after", "committed after"])
        for move in moves {
            listing.append([.text(move.partition.description), move.before.map { .integer($0) } ?? .null,
                            .integer(move.target), committedAfter[move.partition].map { .integer($0) } ?? .null])
        }
        output.print(listing)
    }

    /// Kafka's refusals of a commit from outside a group that still has members mean
    /// "workers still running" (75); brokers that do not answer are 69.
    private static func failure(_ error: KafkaError, group: String) -> AdminFailure {
        let busy = ["UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "REBALANCE_IN_PROGRESS", "FENCED_INSTANCE_ID"]
        if let name = error.codeName, busy.contains(name) {
            return .refusedNow("consumer group \(group) still has members (\(error)): stop every hub-workers of the group, "
                               + "wait for the broker to forget them (the session timeout), then replay again")
        }
        if error.kind == .brokersUnreachable || error.isTransient {
            return .unavailable("\(error)")
        }
        return .failed("\(error)")
    }
}
