import ArgumentParser
import Foundation
import HubCore
import HubDomain
import HubKafka
import HubPostgres

struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List the dead letters (records the workers could not process) and republish them after a fix.",
        subcommands: [List.self, Replay.self])

    /// `--code`, shared by list and replay.
    struct CodeFilter: ParsableArguments {
        @Option(
            help: ArgumentHelp(
                "Only dead letters of this code.",
                discussion: "One of: \(DeadLetterCode.allCases.map(\.rawValue).joined(separator: ", "))."))
        var code: String?

        /// The code as typed; an unknown one is a refused input (65) naming the valid ones.
        func parsed() throws -> DeadLetterCode? {
            do {
                return try DeadLetterListings.code(code)
            } catch {
                throw AdminFailure.refusedInput(error.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead letters, oldest first.",
            discussion: """
                Columns: sequence, code, topic, partition, offset (where the record was read), key, ce_id, \
                recorded_at, replayed_at (empty until dlq replay republished it), message (why; cut to one \
                short line in the table, whole in json and csv).
                """)

        @OptionGroup var filter: CodeFilter

        @Flag(help: "Only those not replayed yet.")
        var unreplayed = false

        @Option(help: "At most this many.")
        var limit: Int = 100

        @Option(help: "Only those with a greater sequence (to page on from the last one shown).")
        var after: Int64?

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let code = try filter.parsed()
            let records = try await AdminContext().withDatabase(doing: "list the dead letters") { database in
                try await DeadLetterStore.list(code: code, replayed: unreplayed ? false : nil, after: after, limit: limit, on: database)
            }
            output.print(DeadLetterListings.list(records, forTable: output.format == .table))
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Republish the dead letters not replayed yet to their original topics, for the workers to process again.",
            discussion: """
                Run it after fixing the cause (a reference import for unknown_reference, a corrected \
                producer...). Each record goes back to the topic it was read from byte for byte: same key, \
                same value, same headers (without the hub_* ones), with the idempotent producer; it is \
                marked replayed only once the broker acknowledged it. A second run republishes nothing. \
                The event never reached the inbox, so the workers process it once; one that fails again \
                becomes a new dead letter, which a later replay republishes after a further fix (this run \
                does not: it stops at the dead letters that existed when it started).

                Two replays at the same time share the work without republishing anything twice (each \
                dead letter is locked while it is published and marked). If this command dies between \
                the acknowledgement and the marking, the next run republishes those records again; the \
                workers see the same event identity and take it once.

                A record Kafka refuses for good (larger than the producer's message.max.bytes, invalid) \
                is set aside: listed on standard error (sequence, topic, where it was read, size, reason), \
                left unreplayed (dlq list --unreplayed keeps showing it, and each replay tries it again), \
                and the dead letters after it are republished all the same.

                personal_data dead letters are never republished: the hub keeps them masked (the \
                personal data replaced by [masqué:<kind>]), so they no longer hold the event. Fix the record \
                at its source and publish it again (dlq list --code personal_data shows where the personal \
                data was: path and kind). Without --code they are skipped, and the run says how many; \
                --code personal_data is refused (65).

                Exit codes: 0 every dead letter republished (or none to replay); 3 the others republished, \
                some refused for good by Kafka and left unreplayed; 65 an unknown --code, or personal_data; \
                69 PostgreSQL or Kafka does not answer (records not delivered are kept for a later replay); \
                1 another failure.
                """)

        @OptionGroup var filter: CodeFilter

        @Flag(help: "Show what would be republished; publish and mark nothing.")
        var dryRun = false

        @Option(help: "Dead letters published and marked per transaction.")
        var batchSize: Int = 200

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
        }

        func run() async throws {
            let code = try filter.parsed()
            if code == DeadLetter.notReplayable { throw AdminFailure.refusedInput(Self.notReplayable) }
            // Without --code, every code but personal_data.
            let excluded = code == nil ? DeadLetter.notReplayable : nil
            let context = try AdminContext()
            let entries = try await context.withDatabase(doing: "replay the dead letters") { database in
                if excluded != nil { try await reportSkipped(on: database) }
                if dryRun { return try await preview(code: code, excluding: excluded, on: database) }
                return try await republish(code: code, excluding: excluded, context: context, on: database)
            }
            print(entries, code: code)
        }

        static let notReplayable = """
            personal_data dead letters are not replayed: the hub keeps them masked, without the personal data, \
            so they no longer hold the event. Fix the record at its source (remove the personal data) and publish \
            it again; dlq list --code personal_data shows where it was (path and kind)
            """

        /// Says, before the replay, how many personal_data dead letters it leaves and why: on
        /// standard output for a table, on standard error for JSON and CSV (kept parseable).
        private func reportSkipped(on database: PostgresConnection) async throws {
            let skipped: Int
            do {
                skipped = try await DeadLetterStore.unreplayedCount(code: DeadLetter.notReplayable, through: Int64.max, on: database)
            } catch {
                throw AdminFailure.database(error, doing: "read the dead letters")
            }
            guard skipped > 0 else { return }
            let line = """
                skipped \(skipped) \(DeadLetter.notReplayable.rawValue) dead letter\(skipped == 1 ? "" : "s"): never replayed, \
                they are kept masked; fix the records at their source and publish them again
                """
            if output.format == .table {
                Swift.print(line)
            } else {
                FileHandle.standardError.write(Data("hub-admin: \(line)\n".utf8))
            }
        }

        private func preview(
            code: DeadLetterCode?, excluding excluded: DeadLetterCode?, on database: PostgresConnection
        ) async throws -> [DeadLetterListings.Republished] {
            do {
                var records: [DeadLetterRecord] = []
                while true {
                    let page = try await DeadLetterStore.unreplayed(
                        code: code, excluding: excluded, after: records.last?.sequence, on: database)
                    guard !page.isEmpty else { break }
                    records += page
                }
                return records.map { DeadLetterListings.Republished(record: $0, delivery: nil) }
            } catch {
                throw AdminFailure.database(error, doing: "read the dead letters")
            }
        }

        /// What one run did with the dead letters it claimed.
        private struct Outcome {
            var republished: [DeadLetterListings.Republished] = []
            /// Refused by Kafka for good (`KafkaError.isRecordRefused`): left unreplayed.
            var refused: [(record: DeadLetterRecord, error: KafkaError)] = []
            /// Not delivered for another reason (broker down, timeout...): left for a later run.
            var failed: [(record: DeadLetterRecord, error: KafkaError)] = []

            var attempted: Int { republished.count + refused.count + failed.count }
        }

        private func republish(
            code: DeadLetterCode?, excluding excluded: DeadLetterCode?, context: AdminContext,
            on database: PostgresConnection
        ) async throws -> [DeadLetterListings.Republished] {
            let (through, total): (Int64, Int)
            do {
                through = try await DeadLetterStore.lastSequence(on: database)
                total = try await DeadLetterStore.unreplayedCount(code: code, excluding: excluded, through: through, on: database)
            } catch {
                throw AdminFailure.database(error, doing: "read the dead letters")
            }
            guard total > 0 else { return [] }
            let producer = try await startProducer(context: context)
            let progress = ProgressBar("republishing", total: total)
            var outcome = Outcome()
            var after: Int64 = 0
            do {
                while true {
                    let before = outcome.attempted
                    guard
                        let last = try await republishBatch(
                            code: code, excluding: excluded, after: after, through: through, producer: producer,
                            into: &outcome, on: database)
                    else { break }
                    after = last
                    progress.advance(by: outcome.attempted - before)
                }
            } catch {
                progress.finish()
                try? producer.close(timeout: .seconds(5))
                if !outcome.republished.isEmpty { print(outcome.republished, code: code) }
                reportRefused(outcome.refused)
                if let error = error as? KafkaError {
                    throw AdminFailure.kafka(error, brokers: context.configuration.kafka.brokers, doing: "republish dead letters")
                }
                throw AdminFailure.database(error, doing: "mark the republished dead letters")
            }
            progress.finish()
            try? producer.close()
            try settle(outcome, code: code)
            return outcome.republished
        }

        /// A producer, once a broker answered: failing fast when none does, rather than
        /// holding the rows locked for the producer's whole delivery timeout.
        private func startProducer(context: AdminContext) async throws -> KafkaProducer {
            let brokers = context.configuration.kafka.brokers
            do {
                try await context.kafkaAdmin().metadata(timeout: .seconds(10))
            } catch let failure as AdminFailure {
                throw failure
            } catch {
                throw AdminFailure.kafka(error, brokers: brokers, doing: "republish dead letters")
            }
            do {
                return try KafkaProducer(configuration: context.configuration.kafka, logger: context.logger)
            } catch {
                throw AdminFailure.kafka(error, brokers: brokers, doing: "start a producer")
            }
        }

        /// Claims, publishes and marks one batch in one transaction; returns the last
        /// sequence claimed, nil when none was left. Only what the broker acknowledged is
        /// marked: a record refused for good, or not delivered, stays unreplayed, and the
        /// records after it in the batch are published all the same.
        private func republishBatch(
            code: DeadLetterCode?, excluding excluded: DeadLetterCode?, after: Int64, through: Int64, producer: KafkaProducer,
            into outcome: inout Outcome, on database: PostgresConnection
        ) async throws -> Int64? {
            let claim = try await database.transaction { transaction in
                let claimed = try await DeadLetterStore.claimUnreplayed(
                    code: code, excluding: excluded, after: after, through: through, limit: batchSize, on: transaction)
                guard let last = claimed.last else { return (last: Int64, batch: Outcome)?.none }
                let results = try await producer.send(claimed.map(\.original))
                var batch = Outcome()
                for (record, result) in zip(claimed, results) {
                    switch result {
                    case .success(let report): batch.republished.append(.init(record: record, delivery: report))
                    case .failure(let error) where error.isRecordRefused: batch.refused.append((record, error))
                    case .failure(let error): batch.failed.append((record, error))
                    }
                }
                try await DeadLetterStore.markReplayed(batch.republished.map(\.record.sequence), on: transaction)
                return (last: last.sequence, batch: batch)
            }
            guard let (last, batch) = claim else { return nil }
            outcome.republished += batch.republished
            outcome.refused += batch.refused
            outcome.failed += batch.failed
            return last
        }

        /// The run's exit: 0 when everything was republished; 69 or 1 when some records
        /// were not delivered (a later run retries them); 3 when the only ones left are
        /// records Kafka refuses for good, each listed on standard error.
        private func settle(_ outcome: Outcome, code: DeadLetterCode?) throws {
            guard !outcome.refused.isEmpty || !outcome.failed.isEmpty else { return }
            // JSON and CSV stay parseable: an empty listing rather than no output.
            if !outcome.republished.isEmpty || output.format != .table { print(outcome.republished, code: code) }
            reportRefused(outcome.refused)
            let refusedNote = outcome.refused.isEmpty ? "" : "; \(outcome.refused.count) refused for good by Kafka (listed above)"
            if let first = outcome.failed.first {
                let message = """
                    \(outcome.failed.count) of \(outcome.attempted) dead letters were not republished \
                    (kept for a later replay)\(refusedNote); first: #\(first.record.sequence) to \(first.record.topic): \(first.error)
                    """
                throw outcome.failed.allSatisfy({ FailureClassification.isTransient($0.error) })
                    ? AdminFailure.unavailable(message) : AdminFailure.failed(message)
            }
            let others = outcome.republished.isEmpty ? "none other to republish" : "the other \(outcome.republished.count) were republished"
            throw AdminFailure.partlyRefused(
                """
                \(outcome.refused.count) of \(outcome.attempted) dead letters were refused for good by Kafka and left \
                unreplayed (listed above; dlq list --unreplayed shows them); \(others)
                """)
        }

        /// One line on standard error per dead letter Kafka refused for good: which
        /// (sequence, topic, where it was read) and why.
        private func reportRefused(_ refused: [(record: DeadLetterRecord, error: KafkaError)]) {
            for (record, error) in refused {
                let line = AdminFailure.oneLine(
                    """
                    refused for good, left unreplayed: dead letter #\(record.sequence) to \(record.topic) \
                    (read at partition \(record.partition), offset \(record.offset), \(record.value.count) bytes): \(error)
                    """)
                FileHandle.standardError.write(Data("hub-admin: \(line)\n".utf8))
            }
        }

        private func print(_ entries: [DeadLetterListings.Republished], code: DeadLetterCode?) {
            guard output.format == .table else {
                output.print(DeadLetterListings.replay(entries))
                return
            }
            let which = code.map { " of code \($0.rawValue)" } ?? ""
            guard !entries.isEmpty else {
                Swift.print("no dead letter\(which) to replay")
                return
            }
            output.print(DeadLetterListings.replay(entries))
            let verb = dryRun ? "would republish" : "republished"
            Swift.print("\(verb) \(entries.count) dead letter\(entries.count == 1 ? "" : "s")\(which) to their original topics")
        }
    }
}
