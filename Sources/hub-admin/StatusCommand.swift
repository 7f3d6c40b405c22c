import ArgumentParser
import Foundation
import HubCore

extension HubStatus.Section: ExpressibleByArgument {}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the workers' consumer lag, the outbox backlog, dead letters by code and the last event per inbound topic.",
        discussion: """
            Read-only, safe while hub-workers run. Sections:
              lag          per inbound partition: the group's (HUB_GROUP_ID) committed offset, the end \
            (high watermark) and the lag (records still to process; from the oldest kept record when \
            nothing is committed)
              outbox       unsent rows per topic (hub.notifications, hub.deadletter) and the age of the oldest
              deadletters  dead letters per code: total, and not replayed yet
              events       per inbound topic: events in the event log, and the last one processed \
            (ce_time, ce_id, ce_source, when processed)

            --format table prints each section under a title; json prints one object whose keys are \
            the section names, each an array of row objects; csv prints each section after a \
            "# <section>" line, separated by a blank line; use --section for a single plain CSV table. \
            With --section, only that section is read (--section outbox needs no Kafka, --section lag \
            no PostgreSQL).
            """)

    @OptionGroup var output: OutputOptions

    @Option(help: "Only this section: lag, outbox, deadletters or events.")
    var section: HubStatus.Section?

    @Option(help: "Seconds to wait for Kafka's answers.")
    var timeout: Int = 10

    @Option(name: .customLong("topic"),
            help: "An inbound topic to report lag and the last event for (repeatable; default: the four inbound topics of the contract).")
    var topics: [String] = []

    func run() async throws {
        let context = try AdminContext()
        let wanted = section.map { [$0] } ?? HubStatus.Section.allCases
        let topics = self.topics.isEmpty ? HubTopics.inbound : self.topics
        var status = HubStatus(group: context.configuration.groupID, lag: [], outbox: [], deadLetters: [], events: [])

        if wanted.contains(where: { $0 != .lag }) {
            let database = try await context.database()
            do {
                if wanted.contains(.outbox) { status.outbox = try await HubStatusQueries.outbox(on: database) }
                if wanted.contains(.deadletters) { status.deadLetters = try await DeadLetterStore.counts(on: database) }
                if wanted.contains(.events) { status.events = try await HubStatusQueries.events(topics: topics, on: database) }
            } catch {
                await database.close()
                throw AdminFailure.database(error, doing: "read the status")
            }
            await database.close()
        }
        if wanted.contains(.lag) {
            do {
                status.lag = try await HubStatusQueries.lag(group: status.group, topics: topics, admin: context.kafkaAdmin(),
                                                            timeout: .seconds(max(timeout, 1)))
            } catch let failure as AdminFailure {
                throw failure
            } catch {
                throw AdminFailure.kafka(error, brokers: context.configuration.kafka.brokers,
                                         doing: "read the lag of group \(status.group)")
            }
        }
        let sections = status.sections().only(section?.rawValue)
        Swift.print(sections.rendered(as: output.format), terminator: "")
    }
}

extension AdminFailure {
    /// A PostgreSQL failure after connecting: `unavailable` when the server went away,
    /// `failed` otherwise (with a hint when the schema is not migrated).
    static func database(_ error: any Error, doing what: String) -> AdminFailure {
        guard let error = error as? PostgresError else { return .failed("cannot \(what): \(error)") }
        switch error.kind {
        case .connectionFailed, .connectionLost:
            return .unavailable("PostgreSQL stopped answering; cannot \(what): \(error)")
        default:
            let hint = error.sqlState == "42P01" ? " (is the schema migrated? run hub-admin migrate)" : ""
            return .failed("cannot \(what): \(error)\(hint)")
        }
    }

    /// A Kafka failure: `unavailable` when no broker answers (or the failure is one that
    /// passes), `failed` otherwise.
    static func kafka(_ error: any Error, brokers: String, doing what: String) -> AdminFailure {
        if let error = error as? KafkaError, error.isTransient {
            return .unavailable("Kafka (\(brokers)) does not answer; cannot \(what): \(error)")
        }
        return .failed("cannot \(what): \(error)")
    }
}
