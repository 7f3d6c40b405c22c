import ArgumentParser
import Foundation
import HubCore

struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish events from a file to a topic, as CloudEvents.",
        discussion: """
            FILE holds one structured-mode CloudEvent (JSON with specversion, id, source, type, time, data), \
            a JSON array of them, or one per line. Each is checked as the workers would check it, then sent \
            in binary mode, keyed as the contract says.
            """)

    @Option(help: "The topic, e.g. clsm.declared.")
    var topic: String

    @Argument(help: "The file of events.")
    var file: String

    @Flag(help: "Give each event a fresh ce_id (demos): the hub then takes it as a new event, not a redelivery.")
    var newID = false

    func run() async throws {
        let context = try AdminContext()
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let events = try Self.split([UInt8](data))
        let structured = [KafkaHeader(name: "content-type", string: KafkaCloudEventCodec.structuredContentType)]
        var messages: [OutgoingKafkaMessage] = []
        for (index, value) in events.enumerated() {
            do {
                var envelope = try KafkaCloudEventCodec.decode(headers: structured, value: value)
                if newID { envelope.id = UUID().uuidString.lowercased() }
                let event = try InboundDecoder().decode(envelope: envelope, topic: topic)
                messages.append(OutgoingKafkaMessage(topic: topic, key: event.event.partitionKey, value: envelope.data,
                                                     headers: KafkaCloudEventCodec.binaryHeaders(for: envelope)))
            } catch {
                throw ValidationError("event \(index + 1) of \(file) is refused: \(error)")
            }
        }
        let producer = try KafkaProducer(configuration: context.configuration.kafka, logger: context.logger)
        for (message, result) in zip(messages, try await producer.send(messages)) {
            let report = try result.get()
            print("published \(message.header("ce_id")?.stringValue ?? "?") to \(report.topic)[\(report.partition)]@\(report.offset)")
        }
        try producer.close()
    }

    /// One JSON object, a JSON array of objects, or JSON lines.
    static func split(_ bytes: [UInt8]) throws -> [[UInt8]] {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("[") {
            guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any] else { return [] }
            return try array.map { [UInt8](try JSONSerialization.data(withJSONObject: $0)) }
        }
        if text.hasPrefix("{"), (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil {
            return [Array(text.utf8)]
        }
        return text.split(separator: "\n").map { Array($0.utf8) }.filter { !$0.isEmpty }
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
        let consumer = try KafkaConsumer(configuration: kafka, groupID: "hub-admin-\(UUID().uuidString.prefix(8))",
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
