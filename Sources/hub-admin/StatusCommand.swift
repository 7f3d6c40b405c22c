import ArgumentParser
import Foundation
import HubCore
import HubDomain

extension HubStatus.Section: ExpressibleByArgument {}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Show the workers' consumer lag, the outbox backlog, dead letters by code, the last event per inbound topic and the registered sources.",
        discussion: """
            Read-only, safe while hub-workers run. Sections:
              lag          per inbound partition: the group's (HUB_GROUP_ID) committed offset, the end \
            (high watermark) and the lag (records still to process; from the oldest kept record when \
            nothing is committed)
              outbox       unsent rows per topic (hub.notifications, hub.deadletter) and the age of the oldest
              deadletters  dead letters per code: total, and not replayed yet
              events       per inbound topic: events in the event log, and the last one processed \
            (ce_time, ce_id, ce_source, when processed)
              sources      registered sources (reference data) by kind; none means the hub runs open: \
            any ce_source may speak for any entity

            --format table prints each section under a title; json prints one object whose keys are \
            the section names, each an array of row objects; csv prints one table: the lag section, \
            or the one --section names. With --section, only that section is read (--section outbox needs no Kafka, --section lag \
            no PostgreSQL).
            """)

    @OptionGroup var output: OutputOptions

    @Option(help: "Only this section: lag, outbox, deadletters, events or sources.")
    var section: HubStatus.Section?

    @Option(help: "Seconds to wait for Kafka's answers.")
    var timeout: Int = 10

    @Option(
        name: .customLong("topic"),
        help: "An inbound topic to report lag and the last event for (repeatable; default: the five inbound topics of the contract).")
    var topics: [String] = []

    func run() async throws {
        let context = try AdminContext()
        let wanted = section.map { [$0] } ?? HubStatus.Section.allCases
        let topics = self.topics.isEmpty ? HubTopics.inbound : self.topics
        var status = HubStatus(group: context.configuration.groupID, lag: [], outbox: [], deadLetters: [], events: [])

        if wanted.contains(where: { $0 != .lag }) {
            try await context.withDatabase(doing: "read the status") { database in
                if wanted.contains(.outbox) { status.outbox = try await HubStatusQueries.outbox(on: database) }
                if wanted.contains(.deadletters) { status.deadLetters = try await DeadLetterStore.counts(on: database) }
                if wanted.contains(.events) { status.events = try await HubStatusQueries.events(topics: topics, on: database) }
                if wanted.contains(.sources) { status.sources = try await HubStatusQueries.sources(on: database) }
            }
        }
        if wanted.contains(.lag) {
            do {
                status.lag = try await HubStatusQueries.lag(
                    group: status.group, topics: topics, admin: context.kafkaAdmin(),
                    timeout: .seconds(max(timeout, 1)))
            } catch let failure as AdminFailure {
                throw failure
            } catch {
                throw AdminFailure.kafka(
                    error, brokers: context.configuration.kafka.brokers,
                    doing: "read the lag of group \(status.group)")
            }
        }
        Swift.print(try status.document().text(as: output.format, section: section?.rawValue), terminator: "")
    }
}
