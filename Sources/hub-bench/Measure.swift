import ArgumentParser
import Foundation
import HubKafka
import HubSimulation

extension Bench {
    /// The database's view of progress.
    struct Progress {
        var inbox = 0
        var deadLetters = 0
        /// Outbox rows not yet relayed; nil when not counted (far from the end).
        var unsent: Int?
        var accounted: Int { inbox + deadLetters }
        var unsentText: String { unsent.map(String.init) ?? "uncounted" }
    }

    /// `LIKE` pattern of this run's `ce_id`s: records other clients publish on the same
    /// topics (a shared broker) are consumed too, but not counted as the run's.
    var ownIdPattern: String { "synthetic-\(data.seed)-%" }

    /// Whether some records are hostile: whether each one ends processed or dead-lettered
    /// is then the hub's to say, and a hostile `ce_id` need not look like the run's.
    var isHostile: Bool { hostileMix.fraction > 0 }

    /// The inbox rows progress counts: the run's own `ce_id`s, or every row when records
    /// are hostile (use a broker of the run's own then).
    var inboxFilter: String { isHostile ? "" : " WHERE event_id LIKE '\(ownIdPattern)'" }

    /// Exact counts near the end; far from it, the inbox's insert count from PostgreSQL's
    /// statistics (approximate, counts foreign records too, reads no table: counting a
    /// large inbox cost the database a quarter of a second every poll, during the run it
    /// measures) and no outbox count.
    func progress(exact: Bool) async throws -> Progress {
        guard exact else {
            let inserted = try await database.query(
                "SELECT coalesce(sum(n_tup_ins), 0)::bigint FROM pg_stat_user_tables WHERE schemaname = \(schema) AND relname = 'hub_inbox'"
            ).scalar(Int.self)
            return Progress(inbox: inserted, deadLetters: 0, unsent: nil)
        }
        let rows = try await database.query(
            """
            SELECT (SELECT count(*) FROM hub_inbox\(unescaped: inboxFilter)), (SELECT count(*) FROM hub_dead_letters),
                   (SELECT count(*) FROM hub_outbox_unsent)
            """)
        return Progress(
            inbox: try rows[0].decode(Int.self, at: 0), deadLetters: try rows[0].decode(Int.self, at: 1),
            unsent: try rows[0].decode(Int.self, at: 2))
    }

    /// Waits until `expected.accountable` records are in the inbox or dead letters and the
    /// outbox is drained. Fails when the workers exit, or nothing moves for `stall`, or
    /// `timeout` passes.
    func waitForHub(timeout: Duration, stall: Duration = .seconds(300), label: String) async throws -> Progress {
        let deadline = clock.now.advanced(by: timeout)
        var lastChange = clock.now
        var last = Progress()
        var lastReport = clock.now
        while true {
            try checkWorkers()
            let near = expected.accountable - last.accounted < 50_000
            let now = try await progress(exact: near)
            if near, now.unsent == 0,
                isHostile
                    ? now.accounted >= expected.accountable
                    : now.inbox >= expected.processed && now.deadLetters >= expected.accountable - expected.processed
            {
                return now
            }
            if now.accounted != last.accounted || now.unsent != last.unsent { lastChange = clock.now }
            if clock.now - lastReport >= .seconds(10) {
                say(
                    "  [\(label)] \(now.accounted)/\(expected.accountable) records accounted for"
                        + (now.unsent.map { ", \($0) notifications to relay" } ?? " (approximately)"))
                lastReport = clock.now
            }
            last = now
            guard clock.now < deadline else {
                throw ValidationError("timed out: \(now.accounted)/\(expected.accountable) accounted for, \(now.unsentText) unsent")
            }
            guard clock.now - lastChange < stall else {
                throw ValidationError(
                    "no progress for \(stall): \(now.accounted)/\(expected.accountable) accounted for, \(now.unsentText) unsent; workers log:\n\(logTail())"
                )
            }
            // Counting a large inbox costs the database too: poll rarely while far from the end.
            let remaining = expected.accountable - now.accounted
            try await Task.sleep(for: .milliseconds(remaining < 2000 ? 200 : remaining < 50_000 ? 1000 : 5000))
        }
    }

    /// The next `count` records of the stream, hostile ones in place of those `mix` picks
    /// (and the iterator after them).
    static func take(
        _ iterator: SyntheticEventStream.Iterator, _ count: Int, mix: HostileMix
    ) -> ([BenchRecord], SyntheticEventStream.Iterator) {
        var iterator = iterator
        var chunk: [BenchRecord] = []
        chunk.reserveCapacity(count)
        while chunk.count < count, let event = iterator.next() { chunk.append(BenchRecord(event, mix: mix)) }
        return (chunk, iterator)
    }

    /// Sends `records` and waits for the acknowledgements; records publish instants (of the
    /// records whose notifications measure latency) and where each record was written.
    func publish(_ records: [BenchRecord], with producer: KafkaProducer) async throws {
        let instant = Date().timeIntervalSince1970
        for record in records {
            expected.add(record)
            if record.event.expectation != .duplicate, record.hostile == nil { publishTimes[record.event.sequence] = instant }
        }
        let results = try await producer.send(records.map(\.message))
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let report): ledger.record(records[index], at: report)
            case .failure(let error):
                let hostile = records[index].hostile.map { " (hostile \($0.hostileClass.rawValue): \($0.detail))" } ?? ""
                throw ValidationError("record \(records[index].event.sequence)\(hostile) was not delivered: \(error)")
            }
        }
    }

    func publishAndMeasure(publishChunk requestedChunk: Int, rate: Int?, timeout: Duration) async throws {
        // Paced: chunks of a twentieth of a second, sent on schedule.
        let publishChunk = rate.map { max(1, min(requestedChunk, $0 / 20)) } ?? requestedChunk
        let producer = try KafkaProducer(configuration: configuration.kafka, logger: logger)
        defer { try? producer.close() }
        let setupCount = stream.setupCount

        // 1. Set-up: the CLSM declarations and PTSM diagnostics the activity refers to,
        //    processed before the activity starts (records of different topics are consumed
        //    in no particular order relative to each other).
        let setupStart = clock.now
        var (setupEvents, iterator) = Self.take(stream.makeIterator(), setupCount, mix: hostileMix)
        try await publish(setupEvents, with: producer)
        setupEvents = []
        _ = try await waitForHub(timeout: .seconds(300), label: "set-up")
        let setupDuration = clock.now - setupStart
        say(
            "  set-up: \(setupCount) records (CLSM declarations, PTSM diagnostics) published and processed in \(Self.seconds(setupDuration)) s (includes the workers joining the group)"
        )

        // 2. Activity, as fast as the producer is acknowledged; the next chunk is generated
        //    while the current one is in flight.
        let activityStartWall = Date().timeIntervalSince1970
        let activityStart = clock.now
        var (chunk, rest) = Self.take(iterator, publishChunk, mix: hostileMix)
        iterator = rest
        var published = 0
        var lastReport = clock.now
        while !chunk.isEmpty {
            if let rate {
                let due = activityStart.advanced(by: .seconds(Double(published) / Double(rate)))
                if due > clock.now { try await Task.sleep(until: due, clock: clock) }
            }
            let current = iterator
            async let next = Self.take(current, publishChunk, mix: hostileMix)
            try await publish(chunk, with: producer)
            published += chunk.count
            if clock.now - lastReport >= .seconds(10) {
                try checkWorkers()
                let rate = Double(published) / Self.elapsed(clock.now - activityStart)
                say("  [publish] \(published) activity records published (\(Int(rate))/s)")
                lastReport = clock.now
            }
            (chunk, rest) = await next
            iterator = rest
        }
        let publishDuration = clock.now - activityStart
        say("  activity: \(published) records published in \(Self.seconds(publishDuration)) s\(rate.map { " (paced at \($0)/s)" } ?? "")")
        let final = try await waitForHub(timeout: timeout, label: "hub")
        let caughtUp = clock.now - activityStart
        if let workers, workers.isRunning { workersPeakRSS = Self.peakRSS(pid: workers.processIdentifier) }
        try await report(
            Figures(
                setupCount: setupCount, setupDuration: setupDuration, activityCount: published,
                activityStartWall: activityStartWall, publishDuration: publishDuration, caughtUp: caughtUp, final: final))
    }

    struct Figures {
        var setupCount: Int
        var setupDuration: Duration
        var activityCount: Int
        var activityStartWall: Double
        var publishDuration: Duration
        var caughtUp: Duration
        var final: Progress
    }

    static func elapsed(_ duration: Duration) -> Double {
        max(1e-9, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    // MARK: - Report

    func report(_ figures: Figures) async throws {
        // Ends: last notification relayed, last record processed or dead-lettered.
        let ends = try await database.query(
            """
            SELECT extract(epoch FROM (SELECT max(sent_at) FROM hub_outbox_relayed))::float8,
                   extract(epoch FROM (SELECT max(processed_at) FROM hub_inbox))::float8,
                   extract(epoch FROM (SELECT max(recorded_at) FROM hub_dead_letters))::float8,
                   (SELECT count(*) FROM hub_outbox WHERE topic = 'hub.deadletter')
            """)
        let lastSent = try ends[0].decode(Double?.self, at: 0) ?? figures.activityStartWall
        let lastProcessed = max(try ends[0].decode(Double?.self, at: 1) ?? 0, try ends[0].decode(Double?.self, at: 2) ?? 0)
        let deadLettersRelayed = try ends[0].decode(Int.self, at: 3)
        let outcomes = try await database.query(
            "SELECT outcome, count(*) FROM hub_inbox WHERE event_id LIKE \(ownIdPattern) GROUP BY 1 ORDER BY 1")
        let codes = try await database.query("SELECT error_code, count(*) FROM hub_dead_letters GROUP BY 1 ORDER BY 1")
        let rules = try await database.query(
            """
            SELECT convert_from(value, 'UTF8')::jsonb ->> 'rule', count(*) FROM hub_outbox
             WHERE topic = 'hub.notifications' AND convert_from(value, 'UTF8')::jsonb #>> '{cause,id}' LIKE \(ownIdPattern)
             GROUP BY 1 ORDER BY 2 DESC
            """)
        let size = try await database.query(
            """
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = \(schema) AND c.relkind = 'r'
            """)

        // Latency: publish instant to the first relayed notification the record caused.
        let firsts = try await database.query(
            """
            SELECT convert_from(o.value, 'UTF8')::jsonb #>> '{cause,id}', extract(epoch FROM min(d.sent_at))::float8, count(*)
              FROM hub_outbox o JOIN hub_outbox_deliveries d USING (sequence) WHERE o.topic = 'hub.notifications' GROUP BY 1
            """)
        let prefix = "synthetic-\(data.seed)-"
        var activityLatencies: [Double] = []
        var setupLatencies: [Double] = []
        var notifications = 0
        var foreignNotifications = 0
        activityLatencies.reserveCapacity(firsts.count)
        for row in firsts {
            guard let id = row[0].text, id.hasPrefix(prefix), let sequence = Int(id.dropFirst(prefix.count)),
                sequence < publishTimes.count, let sent = try row.decode(Double?.self, at: 1)
            else {
                foreignNotifications += (try? row.decode(Int.self, at: 2)) ?? 0
                continue
            }
            notifications += try row.decode(Int.self, at: 2)
            let published = publishTimes[sequence]
            guard !published.isNaN else { continue }
            if sequence < figures.setupCount {
                setupLatencies.append(sent - published)
            } else {
                activityLatencies.append(sent - published)
            }
        }
        activityLatencies.sort()
        setupLatencies.sort()

        let end = max(lastSent, lastProcessed)
        let sustained = Double(figures.activityCount) / max(1e-9, end - figures.activityStartWall)
        let publishRate = Double(figures.activityCount) / Self.elapsed(figures.publishDuration)
        let benchRSS = Self.peakRSS(pid: getpid())

        say("")
        say("## hub-bench results")
        say("")
        say("| figure | value |")
        say("| --- | --- |")
        say("| records published | \(expected.published) (set-up \(figures.setupCount), activity \(figures.activityCount)) |")
        say(
            "| expected | \(expected.processed) processed, \(expected.duplicates) duplicates, \(expected.deadLetters.values.reduce(0, +)) dead letters |"
        )
        say("| hub_inbox | \(outcomes.map { "\($0[0].text ?? "?") \($0[1].text ?? "?")" }.joined(separator: ", ")) |")
        say(
            "| hub_dead_letters | \(codes.isEmpty ? "0" : codes.map { "\($0[0].text ?? "?") \($0[1].text ?? "?")" }.joined(separator: ", ")) |"
        )
        say("| set-up (publish + processing, incl. group join) | \(Self.seconds(figures.setupDuration)) s |")
        say("| activity publish | \(Self.seconds(figures.publishDuration)) s, \(Int(publishRate)) records/s |")
        say(
            "| activity end to end (first publish to last relay/processing) | \(String(format: "%.1f", end - figures.activityStartWall)) s |"
        )
        say("| sustained throughput (activity) | \(Int(sustained)) records/s |")
        say("| notifications relayed | \(notifications) (+ \(deadLettersRelayed) dead letters to hub.deadletter) |")
        say(
            "| latency publish → first notification relayed (activity, \(activityLatencies.count) records) | \(Self.percentiles(activityLatencies)) |"
        )
        say("| latency (set-up records, \(setupLatencies.count)) | \(Self.percentiles(setupLatencies)) |")
        say("| peak RSS hub-workers (VmHWM) | \(workersPeakRSS.map(Self.mebibytes) ?? "?") |")
        say("| peak RSS hub-bench (VmHWM) | \(benchRSS.map(Self.mebibytes) ?? "?") |")
        say("| schema size (tables + indexes + TOAST) | \(Self.mebibytes((try? size[0].decode(Int.self, at: 0)) ?? 0)) |")
        say("")
        say("notifications by rule: " + rules.map { "\($0[0].text ?? "?") \($0[1].text ?? "?")" }.joined(separator: ", "))

        // Consistency: what arrived is what was sent.
        if isHostile, foreignNotifications > 0 {
            // A hostile record whose ce_id was replaced by one still valid (a few random
            // bytes) is processed under that id.
            say(
                "NOTE: \(foreignNotifications) notifications were caused by a ce_id that is not the run's: hostile records processed under a replaced ce_id (or another client of the broker)"
            )
        } else if foreignNotifications > 0 || figures.final.accounted > expected.accountable {
            say(
                "NOTE: records from other clients of the broker were consumed too (\(foreignNotifications) notifications not caused by this run); use a broker of its own for clean figures"
            )
        }
        // With hostile records, what the hub makes of each is its own to say: the
        // accounting that follows the report checks them instead.
        guard !isHostile else { return }
        if figures.final.inbox != expected.processed {
            say("WARNING: hub_inbox has \(figures.final.inbox) rows, \(expected.processed) expected")
        }
        var seenCodes: [String: Int] = [:]
        for row in codes { seenCodes[row[0].text ?? "?"] = Int(row[1].text ?? "") ?? 0 }
        if seenCodes != expected.deadLetters {
            say("WARNING: dead letters \(seenCodes) differ from the expected \(expected.deadLetters)")
        }
    }

    static func percentiles(_ sorted: [Double]) -> String {
        guard !sorted.isEmpty else { return "n/a" }
        func at(_ p: Double) -> String {
            let index = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
            return milliseconds(sorted[index])
        }
        return "p50 \(at(0.50)), p95 \(at(0.95)), p99 \(at(0.99)), max \(milliseconds(sorted.last!))"
    }

    static func milliseconds(_ seconds: Double) -> String {
        seconds >= 10 ? String(format: "%.1f s", seconds) : String(format: "%.0f ms", seconds * 1000)
    }

    static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.0f MiB", Double(bytes) / 1_048_576)
    }
}

// MARK: - Every record accounted for

extension Bench {
    /// Checks that every published record is in the inbox or the dead letters, that no dead
    /// letter is `internal` and that the workers ran throughout; prints the accounting and
    /// throws `RunFailure` otherwise. A record the counts say is done may still be in a
    /// transaction being committed (or counts may include another client's records): the
    /// check is read again while records are missing and the count still moves.
    func checkEveryRecord() async throws {
        var accounting = try await Accounting.read(ledger, from: database)
        var unchangedReads = 0
        while accounting.unaccounted > 0, unchangedReads < 6, workers?.isRunning == true {
            try await Task.sleep(for: .seconds(5))
            let again = try await Accounting.read(ledger, from: database)
            unchangedReads = again.unaccounted == accounting.unaccounted ? unchangedReads + 1 : 0
            accounting = again
        }
        let fate = WorkersFate(workers, startedPid: workersPid)
        accounting.printReport(workers: fate)
        let failures = accounting.failures(workers: fate)
        if !failures.isEmpty { throw RunFailure(failures: failures) }
    }

    /// The accounting of what was published, after the run failed (the workers exited, or
    /// stopped making progress): which records are missing says which one stopped them.
    func printAccountingAfterFailure() async {
        guard !ledger.entries.isEmpty else { return }
        do {
            try await Accounting.read(ledger, from: database).printReport(workers: WorkersFate(workers, startedPid: workersPid))
        } catch {
            say("hub-bench: could not read what became of the records: \(error)")
        }
    }
}
