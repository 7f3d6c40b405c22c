import HubDomain
import HubKafka
import Logging

/// The regional notification topics a relay made sure of, and those found missing.
struct RegionalTopicsRegistry {
    /// Known to exist: sent to without asking the cluster again.
    var ready: Set<String> = []
    /// Missing and not created, with why and since when (looked at again after
    /// `OutboxRelayConfiguration.missingTopicRecheck`).
    var missing: [String: (reason: String, since: ContinuousClock.Instant)] = [:]
    /// Made when the first regional topic is needed; kept for the relay's run.
    var admin: KafkaAdmin?

    mutating func markReady<S: Sequence<String>>(_ topics: S) {
        for topic in topics {
            ready.insert(topic)
            missing[topic] = nil
        }
    }

    mutating func forget(_ topics: Set<String>) {
        ready.subtract(topics)
    }

    /// Forgets the regional topics a delivery report says do not exist (deleted since): the
    /// next batch makes sure of them again instead of retrying into a missing topic forever.
    mutating func forgetUnknown(in outcomes: [[CopyOutcome]], among topics: Set<String>) {
        for copies in outcomes {
            for case .failed(let topic, let error) in copies where error.isUnknownTopic && topics.contains(topic) {
                ready.remove(topic)
            }
        }
    }
}

extension OutboxRelay {
    /// Makes sure the regional topics `topics` exist, creating those missing like the
    /// notifications topic (its partition count, so that a key lands on the same partition
    /// number, and its replication factor). Returns the topics it could not make sure of,
    /// with why: their copies are refused, and their rows parked. A broker that does not
    /// answer throws, and the batch is retried like any other failure: only a refusal that
    /// waiting does not fix (no Create ACL, an invalid name) parks.
    func ensureRegionalTopics(_ topics: Set<String>, session: Session) async throws -> [String: String] {
        let now = ContinuousClock.now
        var unavailable: [String: String] = [:]
        var unknown: [String] = []
        for topic in topics.sorted() where !session.regionalTopics.ready.contains(topic) {
            if let missing = session.regionalTopics.missing[topic], now - missing.since < configuration.missingTopicRecheck {
                unavailable[topic] = missing.reason
            } else {
                unknown.append(topic)
            }
        }
        guard !unknown.isEmpty else { return unavailable }

        let admin = try session.regionalTopics.admin ?? KafkaAdmin(configuration: kafka, logger: logger)
        session.regionalTopics.admin = admin
        let metadata = try await admin.metadata()
        let existing = Set(metadata.topics.filter { $0.errorCode == nil && !$0.partitions.isEmpty }.map(\.name))
        session.regionalTopics.markReady(unknown.filter { existing.contains($0) })
        let model = metadata.topics.first { $0.name == configuration.notificationsTopic && $0.errorCode == nil }
        for topic in unknown where !existing.contains(topic) {
            let specification = TopicSpecification(
                name: topic, partitions: Int32(model.map { max($0.partitions.count, 1) } ?? 6),
                replicationFactor: max(model?.replicationFactor ?? 1, 1))
            do {
                let outcome = try await admin.createTopics([specification])[topic]
                session.regionalTopics.markReady([topic])
                logger.notice(
                    "regional notification topic was missing: created",
                    metadata: [
                        "topic": "\(topic)", "outcome": "\(outcome?.rawValue ?? "created")",
                        "partitions": "\(specification.partitions)", "replicationFactor": "\(specification.replicationFactor)",
                    ])
            } catch  where !FailureClassification.isTransient(error) {
                let reason =
                    "topic \(topic) does not exist and the relay could not create it (\(error)):"
                    + " create it (hub-admin topics create with \(HubConfiguration.regionalTopicsVariable)=true)"
                session.regionalTopics.missing[topic] = (reason, now)
                unavailable[topic] = reason
                logger.error(
                    "regional notification topic missing and not created: its copies are parked",
                    metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
        }
        return unavailable
    }
}
