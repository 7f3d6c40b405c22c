import Foundation
import HubCore
import HubDomain
import HubKafka
import HubPostgres
import HubSimulation

/// A record as hub-bench publishes it: the synthetic record, or the hostile record that
/// replaces it (`--hostile-fraction`).
struct BenchRecord: Sendable {
    var event: SyntheticEvent
    var hostile: HostileRecord?
    var message: OutboundRecord

    init(_ event: SyntheticEvent, mix: HostileMix) {
        self.event = event
        hostile = mix.hostile(replacing: event)
        message = hostile?.message ?? event.outboundRecord()
    }
}

/// Where each published record of the run was written, as the broker acknowledged it: what
/// the end of the run checks every record against (issue 15: every record accounted for).
struct PublishLedger {
    /// A record's place in the broker: what `hub_dead_letters` and `hub_inbox` keep of it.
    struct Position: Hashable {
        var topic: String
        var partition: Int32
        var offset: Int64
    }

    /// One published record (kept small: a run holds a million of them).
    struct Entry {
        var position: Position
        var sequence: Int
        var hostile: HostileClass?
    }

    private(set) var entries: [Entry] = []
    /// The hostile variant of each hostile record, by sequence.
    private(set) var details: [Int: String] = [:]
    /// The identity of each exact re-send, by sequence: it is accounted for by the first
    /// send's inbox row.
    private(set) var resends: [Int: EventIdentity] = [:]
    /// One string per topic, shared by every entry.
    private var topics: [String: String] = [:]

    mutating func record(_ record: BenchRecord, at report: DeliveryReport) {
        let topic = topics[report.topic] ?? report.topic
        topics[topic] = topic
        let sequence = record.event.sequence
        entries.append(
            Entry(
                position: Position(topic: topic, partition: report.partition, offset: report.offset),
                sequence: sequence, hostile: record.hostile?.hostileClass))
        if let hostile = record.hostile { details[sequence] = hostile.detail }
        if record.event.expectation == .duplicate { resends[sequence] = record.event.cloudEvent.identity }
    }

    /// How an entry is named in the report: its sequence, place and hostile variant.
    func describe(_ entry: Entry) -> String {
        "record \(entry.sequence) at \(entry.position.topic)/\(entry.position.partition)@\(entry.position.offset)"
            + (entry.hostile.map { " (\($0.rawValue): \(details[entry.sequence] ?? ""))" } ?? " (valid)")
    }
}

/// What became of every published record, from the database after the run.
struct Accounting {
    /// What became of one record.
    enum Fate: Hashable {
        case processed
        case deadLettered(code: String)
        case ignoredDuplicate
        case unaccounted
    }

    struct DeadLetter {
        var code: String
        var message: String
    }

    var published = 0
    var fates: [Fate: Int] = [:]
    /// Per hostile class: how many were published, and what became of them.
    var byClass: [HostileClass: [Fate: Int]] = [:]
    /// Dead letters by code, every row of the table (the run's and any other).
    var deadLettersByCode: [String: Int] = [:]
    /// Records neither processed nor dead-lettered (the first few, described).
    var unaccountedExamples: [String] = []
    /// `internal` dead letters: the record they came from, when it is one of the run's, and
    /// the dead letter's message.
    var internalExamples: [(record: String, message: String)] = []
    /// Records that are in both tables (a dead letter replayed, or a bug).
    var inBoth = 0

    var accounted: Int { published - unaccounted }
    var unaccounted: Int { fates[.unaccounted] ?? 0 }
    var internalCount: Int { deadLettersByCode[DeadLetterCode.internal.rawValue] ?? 0 }

    /// Reads the positions in `hub_dead_letters` and `hub_inbox` (and, for exact re-sends,
    /// the identities in `hub_inbox`) and decides each published record's fate.
    static func read(_ ledger: PublishLedger, from database: PostgresConnection) async throws -> Accounting {
        var letters: [PublishLedger.Position: DeadLetter] = [:]
        var accounting = Accounting()
        let deadLetterRows = try await database.query(
            "SELECT topic, kafka_partition, kafka_offset, error_code, left(error_message, 400) FROM hub_dead_letters")
        for row in deadLetterRows {
            let position = PublishLedger.Position(
                topic: row[0].text ?? "", partition: Int32(try row.decode(Int.self, at: 1)), offset: Int64(try row.decode(Int.self, at: 2)))
            let letter = DeadLetter(code: row[3].text ?? "?", message: row[4].text ?? "")
            letters[position] = letter
            accounting.deadLettersByCode[letter.code, default: 0] += 1
        }
        var processed = Set<PublishLedger.Position>()
        for row in try await database.query("SELECT topic, kafka_partition, kafka_offset FROM hub_inbox") {
            processed.insert(
                PublishLedger.Position(
                    topic: row[0].text ?? "", partition: Int32(try row.decode(Int.self, at: 1)),
                    offset: Int64(try row.decode(Int.self, at: 2))))
        }
        let resentIdentities = try await inboxIdentities(among: Array(ledger.resends.values), in: database)

        for entry in ledger.entries {
            let fate: Fate
            if let letter = letters[entry.position] {
                fate = .deadLettered(code: letter.code)
                if processed.contains(entry.position) { accounting.inBoth += 1 }
                if letter.code == DeadLetterCode.internal.rawValue {
                    accounting.internalExamples.append((ledger.describe(entry), letter.message))
                }
                letters[entry.position] = nil
            } else if processed.contains(entry.position) {
                fate = .processed
            } else if let identity = ledger.resends[entry.sequence], resentIdentities.contains(identity) {
                fate = .ignoredDuplicate
            } else {
                fate = .unaccounted
                if accounting.unaccountedExamples.count < 20 { accounting.unaccountedExamples.append(ledger.describe(entry)) }
            }
            accounting.published += 1
            accounting.fates[fate, default: 0] += 1
            if let hostile = entry.hostile { accounting.byClass[hostile, default: [:]][fate, default: 0] += 1 }
        }
        // `internal` dead letters of records the run did not publish (another client's).
        for letter in letters.values where letter.code == DeadLetterCode.internal.rawValue {
            accounting.internalExamples.append(("a record hub-bench did not publish", letter.message))
        }
        return accounting
    }

    /// The identities among `identities` that have an inbox row.
    static func inboxIdentities(among identities: [EventIdentity], in database: PostgresConnection) async throws -> Set<EventIdentity> {
        guard !identities.isEmpty else { return [] }
        let ids = Array(Set(identities.map(\.id)))
        let rows = try await database.query("SELECT event_source, event_id FROM hub_inbox WHERE event_id = ANY(\(ids))")
        return Set(rows.map { EventIdentity(source: $0[0].text ?? "", id: $0[1].text ?? "") })
    }

    // MARK: - Report

    static func describe(_ fate: Fate) -> String {
        switch fate {
        case .processed: "processed"
        case .deadLettered(let code): "dead letter \(code)"
        case .ignoredDuplicate: "duplicate ignored"
        case .unaccounted: "UNACCOUNTED"
        }
    }

    static func describe(_ fates: [Fate: Int]) -> String {
        fates.sorted { describe($0.key) < describe($1.key) }.map { "\(describe($0.key)) \($0.value)" }.joined(separator: ", ")
    }

    /// The accounting lines of the report; the per-class table when the run had hostile records.
    func printReport(workers: WorkersFate) {
        say("")
        say("## every record accounted for")
        say("")
        say("| figure | value |")
        say("| --- | --- |")
        say("| records published | \(published) |")
        say("| accounted for (processed + dead-lettered + duplicates ignored) | \(accounted) (\(Self.describe(fates))) |")
        say("| unaccounted | \(unaccounted) |")
        say(
            "| dead letters by code (whole table) | \(deadLettersByCode.isEmpty ? "0" : deadLettersByCode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) |"
        )
        say("| internal dead letters | \(internalCount) |")
        say("| hub-workers | \(workers.description) |")
        if inBoth > 0 { say("| in both the inbox and the dead letters | \(inBoth) |") }
        if !byClass.isEmpty {
            let hostile = byClass.values.reduce(0) { $0 + $1.values.reduce(0, +) }
            say("")
            say("hostile records: \(hostile) of \(published) published")
            say("")
            say("| class | published | fate |")
            say("| --- | --- | --- |")
            for hostileClass in HostileClass.allCases {
                let fates = byClass[hostileClass] ?? [:]
                say("| \(hostileClass.rawValue) | \(fates.values.reduce(0, +)) | \(Self.describe(fates)) |")
            }
        }
        for example in unaccountedExamples { say("UNACCOUNTED: \(example)") }
        for (record, message) in internalExamples.prefix(20) { say("INTERNAL: \(record): \(message)") }
    }

    /// What fails the run: an unaccounted record, an `internal` dead letter, the workers gone.
    func failures(workers: WorkersFate) -> [String] {
        var failures: [String] = []
        if unaccounted > 0 { failures.append("\(unaccounted) records unaccounted for") }
        if internalCount > 0 { failures.append("\(internalCount) internal dead letters") }
        if !workers.ranThroughout { failures.append("hub-workers did not run throughout: \(workers.description)") }
        return failures
    }
}

/// Whether the workers hub-bench started are the ones still running at the end: hub-bench
/// never restarts them, so an exit (a trap, a crash, a fatal error) is seen here.
struct WorkersFate {
    var startedPid: Int32
    var runningPid: Int32?
    var exit: String?

    var ranThroughout: Bool { runningPid == startedPid && exit == nil }

    var description: String {
        if ranThroughout { return "pid \(startedPid) running since the start, 0 exits, 0 restarts" }
        return "pid \(startedPid) " + (exit ?? "replaced by pid \(runningPid.map(String.init) ?? "none")")
    }

    init(_ process: Process?, startedPid: Int32) {
        self.startedPid = startedPid
        guard let process else {
            exit = "never started"
            return
        }
        if process.isRunning {
            runningPid = process.processIdentifier
        } else {
            let how = process.terminationReason == .uncaughtSignal ? "signal" : "status"
            exit = "exited (\(how) \(process.terminationStatus))"
        }
    }
}

/// The run's verdict when a record is unaccounted for, a dead letter is `internal`, or the
/// workers exited.
struct RunFailure: Error, CustomStringConvertible {
    var failures: [String]
    var description: String { "hub-bench run failed: " + failures.joined(separator: "; ") }
}
