import ArgumentParser
import Foundation
import HubCore

struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List the dead letters (records the workers could not process) and republish them after a fix.",
        subcommands: [List.self, Replay.self])

    /// `--code`, shared by list and replay.
    struct CodeFilter: ParsableArguments {
        @Option(help: ArgumentHelp("Only dead letters of this code.",
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
            let context = try AdminContext()
            let entries = try await context.withDatabase(doing: "replay the dead letters") { database in
                if dryRun { return try await preview(code: code, on: database) }
                return try await republish(code: code, context: context, on: database)
            }
            print(entries, code: code)
        }

        private func preview(code: DeadLetterCode?, on database: PostgresConnection) async throws -> [DeadLetterListings.Republished] {
            do {
                var records: [DeadLetterRecord] = []
                while true {
                    let page = try await DeadLetterStore.unreplayed(code: code, after: records.last?.sequence, on: database)
                    guard !page.isEmpty else { break }
                    records += page
                }
                return records.map { DeadLetterListings.Republished(record: $0, delivery: nil) }
            } catch {
                throw AdminFailure.database(error, doing: "read the dead letters")
            }
        }

        private func republish(code: DeadLetterCode?, context: AdminContext,
                               on database: PostgresConnection) async throws -> [DeadLetterListings.Republished] {
            let (through, total): (Int64, Int)
            do {
                through = try await DeadLetterStore.lastSequence(on: database)
                total = try await DeadLetterStore.unreplayedCount(code: code, through: through, on: database)
            } catch {
                throw AdminFailure.database(error, doing: "read the dead letters")
            }
            guard total > 0 else { return [] }
            let brokers = context.configuration.kafka.brokers
            // Fail fast when no broker answers, rather than hold the rows locked for the
            // producer's whole delivery timeout.
            do {
                try await context.kafkaAdmin().metadata(timeout: .seconds(10))
            } catch let failure as AdminFailure {
                throw failure
            } catch {
                throw AdminFailure.kafka(error, brokers: brokers, doing: "republish dead letters")
            }
            let producer: KafkaProducer
            do {
                producer = try KafkaProducer(configuration: context.configuration.kafka, logger: context.logger)
            } catch {
                throw AdminFailure.kafka(error, brokers: brokers, doing: "start a producer")
            }
            let progress = ProgressBar("republishing", total: total)
            var republished: [DeadLetterListings.Republished] = []
            var failures: [(record: DeadLetterRecord, error: KafkaError)] = []
            var after: Int64 = 0
            do {
                while true {
                    let batch = try await database.transaction { transaction in
                        let claimed = try await DeadLetterStore.claimUnreplayed(
                            code: code, after: after, through: through, limit: batchSize, on: transaction)
                        let results = claimed.isEmpty ? [] : try await producer.send(claimed.map(\.original))
                        var delivered: [DeadLetterListings.Republished] = []
                        var failed: [(record: DeadLetterRecord, error: KafkaError)] = []
                        for (record, result) in zip(claimed, results) {
                            switch result {
                            case .success(let report): delivered.append(.init(record: record, delivery: report))
                            case .failure(let error): failed.append((record, error))
                            }
                        }
                        // Only what the broker acknowledged; the rest stays for a later replay.
                        try await DeadLetterStore.markReplayed(delivered.map(\.record.sequence), on: transaction)
                        return (claimed: claimed, delivered: delivered, failed: failed)
                    }
                    guard let last = batch.claimed.last else { break }
                    after = last.sequence
                    republished += batch.delivered
                    failures += batch.failed
                    progress.advance(by: batch.claimed.count)
                }
            } catch {
                progress.finish()
                try? producer.close(timeout: .seconds(5))
                if !republished.isEmpty { print(republished, code: code) }
                throw AdminFailure.database(error, doing: "mark the republished dead letters")
            }
            progress.finish()
            try? producer.close()
            if let first = failures.first {
                if !republished.isEmpty { print(republished, code: code) }
                let message = """
                    \(failures.count) of \(republished.count + failures.count) dead letters were not republished \
                    (kept for a later replay); first: #\(first.record.sequence) to \(first.record.topic): \(first.error)
                    """
                throw failures.allSatisfy({ $0.error.isTransient }) ? AdminFailure.unavailable(message) : AdminFailure.failed(message)
            }
            return republished
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
