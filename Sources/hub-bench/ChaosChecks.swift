import Foundation
import HubCore
import HubDomain
import HubKafka
import HubPostgres
import Logging

/// What the chaos run checks once the hub has drained: nothing lost, no effect twice, every
/// notification on the topic. Each check gives its figures and its failures.
struct ChaosChecks {
    /// Figures for the report, in order: (figure, value).
    var figures: [(String, String)] = []
    var failures: [String] = []

    mutating func note(_ figure: String, _ value: String) { figures.append((figure, value)) }

    // MARK: - Nothing lost

    /// Every published record is in hub_inbox (by its position, or by its identity for an
    /// exact re-send) or in hub_dead_letters, with the fate the generator expects: a valid
    /// record dead-lettered (a transient fault taken for a permanent one) is an effect lost.
    mutating func checkEveryRecord(_ bench: Bench) async throws {
        let accounting = try await Accounting.read(bench.ledger, from: bench.database)
        let expected = bench.expected
        let processed = accounting.fates[.processed] ?? 0
        let duplicates = accounting.fates[.ignoredDuplicate] ?? 0
        var deadLetters: [String: Int] = [:]
        for (fate, count) in accounting.fates {
            if case .deadLettered(let code) = fate { deadLetters[code, default: 0] += count }
        }
        note("records published", "\(accounting.published)")
        note("lost (in neither hub_inbox nor hub_dead_letters)", "\(accounting.unaccounted)")
        note("processed (inbox row at the record's position)", "\(processed) (expected \(expected.processed))")
        note("exact re-sends ignored (identity in hub_inbox)", "\(duplicates) (expected \(expected.duplicates))")
        note("dead letters", "\(Self.describe(deadLetters)) (expected \(Self.describe(expected.deadLetters)))")
        if accounting.unaccounted > 0 {
            failures.append(
                "\(accounting.unaccounted) records lost, e.g. " + accounting.unaccountedExamples.prefix(5).joined(separator: "; "))
        }
        if accounting.internalCount > 0 {
            failures.append(
                "\(accounting.internalCount) internal dead letters, e.g. "
                    + accounting.internalExamples.prefix(3).map { "\($0.record): \($0.message)" }.joined(separator: "; "))
        }
        if accounting.inBoth > 0 { failures.append("\(accounting.inBoth) records both processed and dead-lettered") }
        if processed != expected.processed { failures.append("\(processed) records processed, \(expected.processed) expected") }
        if duplicates != expected.duplicates { failures.append("\(duplicates) re-sends ignored, \(expected.duplicates) expected") }
        if deadLetters != expected.deadLetters {
            failures.append("dead letters \(Self.describe(deadLetters)), expected \(Self.describe(expected.deadLetters))")
        }
    }

    static func describe(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "0" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    // MARK: - No effect twice

    /// The read models equal the rules' fold over hub_event_log (what `hub-admin replay
    /// rebuild --dry-run` computes, rolled back): an effect applied twice, or lost, or half
    /// written, changes the state's checksum; the fold's notification ids are hub_outbox's
    /// and its events are hub_inbox's processed identities.
    mutating func checkStateIsTheFold(on database: PostgresConnection) async throws {
        let report = try await ReadModelRebuild().run(on: database, options: ReadModelRebuild.Options(dryRun: true))
        let eventLog = try await database.query("SELECT count(*) FROM hub_event_log").scalar(Int.self)
        note("hub_event_log rows (events folded)", "\(eventLog) (\(report.eventsFolded))")
        note("state checksum (stored / fold of the event log)", "\(report.before.sha256.prefix(16)) / \(report.after.sha256.prefix(16))")
        note(
            "notification ids: fold / hub_outbox",
            "\(report.foldNotifications) / \(report.outboxNotifications) (only in fold \(report.onlyInFold.count), only in outbox \(report.onlyInOutbox.count))"
        )
        note("inbox identities not folded / folded not in inbox", "\(report.inboxNotFolded) / \(report.foldedNotInInbox)")
        if report.stateChanged {
            failures.append(
                "the stored state differs from the fold of the event log in \(report.before.tablesDiffering(from: report.after))")
        }
        if !report.rejections.isEmpty { failures.append("\(report.rejections.count) events of the log refused when folded again") }
        if !report.sameNotificationIds {
            failures.append(
                "hub_outbox's notification ids differ from the fold's: only in fold \(report.onlyInFold.prefix(3)), only in outbox \(report.onlyInOutbox.prefix(3))"
            )
        }
        if report.inboxNotFolded > 0 || report.foldedNotInInbox > 0 {
            failures.append("hub_inbox and the event log disagree (\(report.inboxNotFolded) / \(report.foldedNotInInbox))")
        }
    }

    // MARK: - Every notification on the topic

    /// The notifications read back from hub.notifications (from where the topic ended
    /// before the run): their distinct ce_ids are hub_outbox's notification ids, count and
    /// set. A notification sent twice (the relay killed between the broker's acknowledgement
    /// and marking the row sent) is allowed only with the same ce_id and the same bytes.
    mutating func checkNotificationsTopic(
        _ topic: NotificationsRead, on database: PostgresConnection
    ) async throws {
        let outbox = try await database.query(
            "SELECT notification_id::text FROM hub_outbox WHERE topic = \(HubTopics.notifications)"
        ).map { try $0.decode(String.self, at: 0) }
        let outboxIds = Set(outbox)
        let onlyInTopic = topic.ids.subtracting(outboxIds)
        let onlyInOutbox = outboxIds.subtracting(topic.ids)
        note("hub.notifications records read back", "\(topic.records) (\(topic.records - topic.ids.count) duplicates, same ce_id)")
        note("distinct notification ids: topic / hub_outbox", "\(topic.ids.count) / \(outboxIds.count)")
        if onlyInTopic.isEmpty, onlyInOutbox.isEmpty, topic.ids.count == outbox.count {
            note("topic ids = hub_outbox ids", "yes")
        } else {
            note("topic ids = hub_outbox ids", "NO (only on the topic \(onlyInTopic.count), only in hub_outbox \(onlyInOutbox.count))")
            failures.append(
                "hub.notifications vs hub_outbox: \(onlyInTopic.count) ids only on the topic (e.g. \(onlyInTopic.sorted().prefix(3))), \(onlyInOutbox.count) only in hub_outbox (e.g. \(onlyInOutbox.sorted().prefix(3)))"
            )
        }
        if topic.withoutId > 0 { failures.append("\(topic.withoutId) records on hub.notifications without a ce_id") }
        if topic.differingCopies > 0 {
            failures.append("\(topic.differingCopies) notifications sent twice with different bytes under one ce_id")
        }
    }
}

/// What hub.notifications holds after a given start.
struct NotificationsRead {
    var records = 0
    var ids: Set<String> = []
    var withoutId = 0
    /// Copies of a ce_id whose value or headers differ from the first copy's.
    var differingCopies = 0

    /// Reads `topic` from `start` (a throw-away group) until every partition has been
    /// assigned and nothing came for `quiet`.
    static func read(
        from start: [TopicPartitionOffset], configuration: KafkaConfiguration, admin: KafkaAdmin, group: String,
        quiet: Duration = .seconds(5), timeout: Duration = .seconds(600), logger: Logger
    ) async throws -> NotificationsRead {
        try await admin.commitOffsets(group: group, start)
        let consumer = try KafkaConsumer(configuration: configuration, groupID: group, topics: [HubTopics.notifications], logger: logger)
        var read = NotificationsRead()
        var digests: [String: Int] = [:]
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var quietSince = clock.now
        while clock.now < deadline {
            let messages = try await consumer.poll(maxCount: 5000, timeout: .milliseconds(500))
            for message in messages {
                read.records += 1
                guard let id = message.header("ce_id")?.stringValue else {
                    read.withoutId += 1
                    continue
                }
                var hasher = Hasher()
                hasher.combine(message.value)
                hasher.combine(message.headers)
                let digest = hasher.finalize()
                if let first = digests[id] {
                    if first != digest { read.differingCopies += 1 }
                } else {
                    digests[id] = digest
                    read.ids.insert(id)
                }
            }
            if !messages.isEmpty {
                quietSince = clock.now
            } else if try await consumer.assignment().count == start.count, clock.now - quietSince > quiet {
                break
            }
        }
        try await consumer.close()
        return read
    }
}
