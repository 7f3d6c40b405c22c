import Foundation
import HubDomain
import HubPostgres

/// Rebuilds every read model (`ReadModelTable.all`) from `hub_event_log`: the rules folded
/// again, in sequence order, from today's reference data, in ONE transaction that holds the
/// workers' batch lock (`BatchProcessor.processingLockKey`), so no batch interleaves and
/// readers see the old state until the new one is committed.
///
/// Who sent each event is not checked again (`RulesEngine.Admission.fromEventLog`): the log
/// holds only events admitted when they came, by the sources registered then.
///
/// The fold's notifications are compared with `hub_outbox`, never written to it: the
/// replay guarantee is that they have exactly the ids already there (but for the rows
/// `hub-admin purge` deleted, which are not counted as missing, see `lastLogged(before:)`). Nothing else is
/// touched: reference data, inbox, event log, outbox and dead letters stay as they are.
///
/// The rebuilt state is written only when the fold agrees with history (same notification
/// ids, no event refused, every inbox identity folded), unless `acceptDifferences`; a dry
/// run computes everything, then rolls back.
public struct ReadModelRebuild: Sendable {
    public struct Options: Sendable {
        /// Compute the rebuilt state and its checksum, then roll back.
        public var dryRun = false
        /// Write the rebuilt state even if the fold disagrees with history.
        public var acceptDifferences = false

        public init(dryRun: Bool = false, acceptDifferences: Bool = false) {
            self.dryRun = dryRun
            self.acceptDifferences = acceptDifferences
        }
    }

    public struct Report: Sendable {
        /// The read models as they were, and as rebuilt (equal: nothing to repair).
        public var before: StateChecksum
        public var after: StateChecksum
        public var eventsFolded = 0
        /// Event-log entries the rules refuse today (e.g. reference data changed since).
        public var rejections: [ReplayResult.Rejected] = []
        public var foldNotifications = 0
        public var outboxNotifications = 0
        /// Notification ids the fold gives that hub_outbox does not hold, and the reverse (sorted).
        public var onlyInFold: [String] = []
        public var onlyInOutbox: [String] = []
        /// Notification ids of the fold whose outbox rows hub-admin purge deleted (events
        /// logged before the outbox's purge cutoff): not compared.
        public var purgedFromOutbox = 0
        /// Identities in hub_inbox that the fold did not process (missing from the event
        /// log, or refused now), and the reverse.
        public var inboxNotFolded = 0
        public var foldedNotInInbox = 0
        public var written = false

        public var sameNotificationIds: Bool { onlyInFold.isEmpty && onlyInOutbox.isEmpty }
        /// The fold reproduces history: what the replay guarantee promises.
        public var agreesWithHistory: Bool {
            sameNotificationIds && rejections.isEmpty && inboxNotFolded == 0 && foldedNotInInbox == 0
        }
        public var stateChanged: Bool { before.sha256 != after.sha256 }
    }

    public var engine: RulesEngine
    public var store: StateStore
    public var eventLog: EventLog

    public init(
        engine: RulesEngine = RulesEngine(admission: .fromEventLog), store: StateStore = StateStore(), eventLog: EventLog = EventLog()
    ) {
        self.engine = engine
        self.store = store
        self.eventLog = eventLog
    }

    /// Rebuilds on `database`. `onStart` gets the number of events to fold, `onEvent` is
    /// called after each (for a progress bar).
    public func run(
        on database: PostgresConnection, options: Options = Options(),
        onStart: (Int) -> Void = { _ in }, onEvent: () -> Void = {}
    ) async throws -> Report {
        do {
            return try await database.transaction { connection in
                try await BatchProcessor.takeProcessingLock(on: connection)
                var report = try await rebuild(on: connection, onStart: onStart, onEvent: onEvent)
                if options.dryRun || !(report.agreesWithHistory || options.acceptDifferences) {
                    throw RollBack(report: report)
                }
                report.written = true
                return report
            }
        } catch let rollBack as RollBack {
            return rollBack.report
        }
    }

    /// Thrown to leave the transaction without committing, carrying what was found.
    private struct RollBack: Error {
        var report: Report
    }

    private func rebuild(on connection: PostgresConnection, onStart: (Int) -> Void, onEvent: () -> Void) async throws -> Report {
        let before = try await StateChecksum.compute(on: connection)
        onStart(try await connection.query("SELECT count(*) FROM hub_event_log").scalar(Int.self))

        var fold = IndexedFold(engine: engine, state: try await store.loadReference(on: connection))
        var changes = StateChangeSet()
        var report = Report(before: before, after: before)
        // What hub-admin purge may have deleted is not lost: the outbox rows of events logged
        // before the outbox's purge cutoff, the inbox rows of those logged before the inbox's
        // (each row was written in its event's transaction, with the same now()).
        let outboxPurgedThrough = try await lastLogged(before: .outbox, on: connection)
        let inboxPurgedThrough = try await lastLogged(before: .inbox, on: connection)
        var foldIds: Set<String> = []
        var purgedFoldIds: Set<String> = []
        try await eventLog.forEach(on: connection) { entry in
            do throws(EventRejection) {
                let decision = try fold.process(entry.event)
                changes.note(decision.changes, appliedTo: fold.state)
                report.foldNotifications += decision.notifications.count
                if entry.sequence <= outboxPurgedThrough {
                    purgedFoldIds.formUnion(decision.notifications.map(\.notificationId))
                } else {
                    foldIds.formUnion(decision.notifications.map(\.notificationId))
                }
            } catch {
                report.rejections.append(ReplayResult.Rejected(identity: entry.event.identity, rejection: error))
            }
            report.eventsFolded += 1
            onEvent()
        }

        let outboxIds = Set(
            try await connection.query(
                "SELECT notification_id::text FROM hub_outbox WHERE topic = \(HubTopics.notifications)"
            ).map { try $0.decode(String.self, at: 0) })
        report.outboxNotifications = outboxIds.count
        report.onlyInFold = foldIds.subtracting(outboxIds).sorted()
        report.onlyInOutbox = outboxIds.subtracting(foldIds).subtracting(purgedFoldIds).sorted()
        report.purgedFromOutbox = purgedFoldIds.subtracting(outboxIds).count
        // The inbox as it was before any purge: its rows, and the identities of the events
        // logged before its cutoff.
        let inbox = Set(
            try await connection.query(
                """
                SELECT event_source, event_id FROM hub_inbox
                UNION ALL SELECT event_source, event_id FROM hub_event_log WHERE sequence <= \(inboxPurgedThrough)
                """
            ).map {
                EventIdentity(source: try $0.decode(at: 0), id: try $0.decode(at: 1))
            })
        report.inboxNotFolded = inbox.subtracting(fold.state.processedEvents).count
        report.foldedNotInInbox = fold.state.processedEvents.subtracting(inbox).count

        // DELETE, not TRUNCATE: readers keep seeing the old rows until COMMIT.
        for table in ReadModelTable.all {
            try await connection.execute("DELETE FROM \(table.table)")
        }
        try await store.store(changes, from: fold.state, on: connection)
        report.after = try await StateChecksum.compute(on: connection)
        return report
    }

    /// The last event-log sequence recorded before `table`'s purge cutoff (0 when it was
    /// never purged): that table's rows of the events up to it may have been deleted.
    private func lastLogged(before table: RetentionTable, on connection: PostgresConnection) async throws -> Int64 {
        guard let cutoff = try await RetentionPurge.purgedBefore(table, on: connection) else { return 0 }
        return try await connection.query(
            "SELECT coalesce(max(sequence), 0) FROM hub_event_log WHERE recorded_at < \(cutoff)::timestamptz"
        ).scalar(Int64.self)
    }
}
