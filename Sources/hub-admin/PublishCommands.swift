import ArgumentParser
import Foundation
import HubCore
import HubDomain
import HubKafka

struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish events from a file to an inbound topic, as CloudEvents (for integration and support).",
        discussion: """
            FILE holds one JSON object, a JSON array of objects, or JSON lines (one object per line, \
            blank lines skipped). Each object is either:
              - a structured-mode CloudEvent (it has "specversion"; also id, source, type, time, data): \
            sent with its own attributes;
              - a bare payload of the topic (e.g. a clsm.declared payload: clsmId, name, region...), \
            wrapped into a CloudEvent: ce_type <topic>.v1, ce_source --source, ce_time --time or now, \
            and a ce_id derived from the payload: a UUID v5 of the topic and the payload as canonical \
            JSON (namespace \(PayloadWrapping.idNamespace.uuidString.lowercased())). Publishing the same \
            file twice therefore sends the same ids: the hub takes the second time as a redelivery, \
            with no effect. --new-id gives every event (wrapped or not) a fresh random ce_id instead, \
            so that the hub takes it as a new event.

            Every event is checked first exactly as hub-workers would check it (size, envelope, type of \
            the topic, personal data, schema); if one is refused, nothing is sent, and the error names \
            the event (its rank, and its line for JSON lines) and the reason. References to unknown \
            codes (communes, QPVs...) are checked by the workers, not here. Events are then sent in \
            binary mode (ce_* headers, content-type application/json), keyed as the contract says \
            (clsmId, ptsmId or qpv), in file order; a progress bar shows on a terminal for large files. \
            Prints one line per event, "published <ce_id> to <topic>[<partition>]@<offset>" (as \
            before; --quiet leaves them out), then a summary line: how many events were published \
            to the topic, on which partitions, how many were wrapped.

            Exit codes: 0 published (or checked, with --dry-run); 65 the file, the topic or an option \
            is refused (nothing sent); 69 Kafka does not answer (with a file of derived ids, publishing \
            it again is safe); 1 another failure (e.g. the topic does not exist: hub-admin topics create).
            """)

    @Option(help: "The inbound topic: \(InboundTopic.allCases.map(\.rawValue).joined(separator: ", ")).")
    var topic: String

    @Argument(help: "The file of events: one JSON object, a JSON array of objects, or JSON lines.")
    var file: String

    @Option(help: "ce_source of wrapped bare payloads (structured CloudEvents keep theirs).")
    var source: String = PayloadWrapping.defaultSource

    @Option(help: "ce_time of wrapped bare payloads, RFC 3339 with offset (default: now).")
    var time: String?

    @Flag(help: "Give each event a fresh ce_id (demos): the hub then takes it as a new event, not a redelivery.")
    var newID = false

    @Flag(help: "Check every event and say what would be published, without sending anything.")
    var dryRun = false

    @Flag(help: "Print only the summary line, not one line per event (large files).")
    var quiet = false

    /// Records sent per slice; a file of more than one slice gets a progress bar (on a terminal).
    static let sliceSize = 500

    func run() async throws {
        let context = try AdminContext()
        let prepared = try prepare()
        let wrapped = prepared.filter(\.wrapped).count
        let forms =
            "\(wrapped) wrapped payload\(wrapped == 1 ? "" : "s"), \(prepared.count - wrapped) structured CloudEvent\(prepared.count - wrapped == 1 ? "" : "s")"
        if dryRun {
            if !quiet {
                for event in prepared { print("would publish \(event.envelope.id) to \(topic) (key \(event.message.keyString ?? "-"))") }
            }
            print("dry run, nothing sent: \(Self.events(prepared.count)) of \(file) would be published to \(topic) (\(forms))")
            return
        }
        let reports = try await send(prepared, context: context)
        let partitions = Set(reports.map(\.partition)).sorted().map(String.init).joined(separator: ", ")
        print(
            "published \(Self.events(reports.count)) to \(topic), partition\(partitions.contains(",") ? "s" : "") \(partitions) (\(forms))")
    }

    static func events(_ count: Int) -> String { "\(count) event\(count == 1 ? "" : "s")" }

    /// The file's events as records, every one accepted by the workers' decoder; refusals
    /// are `refusedInput` (65) and nothing is sent.
    private func prepare() throws -> [PayloadWrapping.Prepared] {
        guard let inbound = InboundTopic(rawValue: topic) else {
            let known = InboundTopic.allCases.map(\.rawValue).joined(separator: ", ")
            throw AdminFailure.refusedInput("--topic \(topic) is not an inbound topic of the contract (\(known))")
        }
        guard !source.isEmpty else { throw AdminFailure.refusedInput("--source must not be empty") }
        let timestamp: Timestamp
        if let time {
            guard let parsed = Timestamp(time) else {
                throw AdminFailure.refusedInput("--time \(time) is not an RFC 3339 date-time with offset (e.g. 2026-09-01T09:00:00+02:00)")
            }
            timestamp = parsed
        } else {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let now = formatter.string(from: Date())
            guard let parsed = Timestamp(now) else { throw AdminFailure.failed("the clock's time \(now) is not RFC 3339") }
            timestamp = parsed
        }
        let bytes = try InputFile.contents(of: file)
        if let problem = InputFile.encodingProblem(bytes) {
            throw AdminFailure.refusedInput("\(file) is refused, nothing was sent: \(problem)")
        }
        do {
            let entries = try EventFile.entries(bytes)
            let wrapping = PayloadWrapping(topic: inbound, source: source, time: timestamp)
            return try wrapping.prepare(entries, freshID: newID ? { UUID().uuidString.lowercased() } : nil)
        } catch {
            throw AdminFailure.refusedInput("\(file) is refused, nothing was sent: \(error)")
        }
    }

    /// Sends in file order, in slices so that the progress bar moves; returns the delivery
    /// reports. Fails fast (69) when no broker answers rather than wait for the delivery timeout.
    private func send(_ prepared: [PayloadWrapping.Prepared], context: AdminContext) async throws -> [DeliveryReport] {
        let brokers = context.configuration.kafka.brokers
        let topics: [String]
        do {
            topics = try await context.kafkaAdmin().topicNames(timeout: .seconds(10))
        } catch let failure as AdminFailure {
            throw failure
        } catch {
            throw AdminFailure.kafka(error, brokers: brokers, doing: "publish to \(topic)")
        }
        guard topics.contains(topic) else {
            throw AdminFailure.failed(
                "topic \(topic) does not exist on Kafka (\(brokers)); create the hub's topics with hub-admin topics create")
        }
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(configuration: context.configuration.kafka, logger: context.logger)
        } catch {
            throw AdminFailure.kafka(error, brokers: brokers, doing: "start a producer")
        }
        let progress = ProgressBar("publishing", total: prepared.count > Self.sliceSize ? prepared.count : 0)
        var reports: [DeliveryReport] = []
        var failures: [(event: PayloadWrapping.Prepared, error: KafkaError)] = []
        var start = 0
        while start < prepared.count {
            let slice = prepared[start..<min(start + Self.sliceSize, prepared.count)]
            let results: [Result<DeliveryReport, KafkaError>]
            do {
                results = try await producer.send(slice.map(\.message))
            } catch {
                progress.finish()
                try? producer.close(timeout: .seconds(5))
                throw AdminFailure.kafka(
                    error, brokers: brokers, doing: "publish \(slice.first.map { "\($0.position)" } ?? "events") of \(file) to \(topic)")
            }
            for (event, result) in zip(slice, results) {
                switch result {
                case .success(let report):
                    reports.append(report)
                    if !quiet { print("published \(event.envelope.id) to \(report.topic)[\(report.partition)]@\(report.offset)") }
                case .failure(let error):
                    failures.append((event, error))
                }
            }
            progress.advance(by: slice.count)
            start += slice.count
        }
        progress.finish()
        try? producer.close()
        if let first = failures.first {
            let again = newID ? "" : " (publishing the file again is safe: the ids are the same, delivered events take effect once)"
            let message = """
                \(failures.count) of \(prepared.count) events of \(file) were not published to \(topic)\(again); \
                first: \(first.event.position): \(first.error)
                """
            throw failures.allSatisfy({ FailureClassification.isTransient($0.error) })
                ? AdminFailure.unavailable(message) : AdminFailure.failed(message)
        }
        return reports
    }
}

struct Notifications: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the notifications on hub.notifications as they arrive.",
        discussion: "Reads with a throwaway consumer group; nothing is committed.")

    @Option(help: "Stop after this many seconds without a new notification.")
    var idle: Int = 10

    @Flag(help: "Start from the oldest notification instead of the newest.")
    var fromBeginning = false

    func run() async throws {
        let context = try AdminContext()
        let kafka = context.configuration.kafka.setting("auto.offset.reset", fromBeginning ? "earliest" : "latest")
        let consumer = try KafkaConsumer(
            configuration: kafka, groupID: "hub-admin-\(UUID().uuidString.prefix(8))",
            topics: [HubTopics.notifications], logger: context.logger)
        var lastSeen = ContinuousClock.now
        var listening = false
        while ContinuousClock.now - lastSeen < .seconds(idle) || !listening {
            let batch = try await consumer.poll(maxCount: 100, timeout: .milliseconds(500))
            if !listening, !(try await consumer.assignment()).isEmpty {
                listening = true
                lastSeen = .now
                FileHandle.standardError.write(Data("listening on \(HubTopics.notifications)\n".utf8))
            }
            for message in batch {
                lastSeen = .now
                guard let json = try? JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any] else { continue }
                let rule = json["rule"] as? String ?? "?"
                print("\(message.keyString ?? "-")  \(rule)  \(json["message"] as? String ?? "")")
            }
        }
        try await consumer.close()
    }
}
