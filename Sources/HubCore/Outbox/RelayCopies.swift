import HubDomain
import HubKafka

/// What became of one record the relay sent (or could not send) for an outbox row.
enum CopyOutcome: Sendable {
    /// Acknowledged by the broker.
    case delivered(topic: String)
    /// Refused for good, by Kafka (too large, invalid) or before sending (its regional topic
    /// is missing and could not be created, or the notification names no usable region):
    /// the row is parked with why, and the relay goes on.
    case refused(topic: String, reason: String)
    /// Not delivered for now (broker down, timeout...): the row is sent again.
    case failed(topic: String, error: KafkaError)

    init(topic: String, result: Result<DeliveryReport, KafkaError>) {
        switch result {
        case .success: self = .delivered(topic: topic)
        case .failure(let error) where error.isRecordRefused: self = .refused(topic: topic, reason: "\(error)")
        case .failure(let error): self = .failed(topic: topic, error: error)
        }
    }
}

/// The records one relayed batch sends: each outbox row's own record and, with regional
/// topics on, a copy of each notification on its region's topic, byte for byte (same key,
/// headers, ce_id, value), right after it. Pure: the relay makes sure of the topics, sends
/// `sends`, then gives the delivery reports back to `outcomes(of:)`.
struct RelayPlan {
    /// Where a notification row's regional copy goes.
    enum RegionalTarget: Equatable {
        case topic(String)
        /// The value names no region that can be part of a topic name: nothing to send to.
        case unroutable(reason: String)
    }

    struct Send {
        var row: Int
        var record: OutboundRecord
    }

    /// In order: rows keep theirs, so each topic's records (one recipient's, one region's)
    /// keep it within their partition.
    private(set) var sends: [Send] = []
    /// Copies known unsendable before sending, per row.
    private(set) var refusedBeforeSending: [Int: [CopyOutcome]] = [:]
    let rowCount: Int

    /// - Parameters:
    ///   - targets: per row, its regional copy's target, nil for none (regional topics off,
    ///     or not a notification row). `regionalTargets` gives them.
    ///   - unavailable: regional topics the relay could not make sure exist, with why.
    init(rows: [OutboxRelay.OutboxRow], targets: [RegionalTarget?], unavailable: [String: String] = [:]) {
        rowCount = rows.count
        for (index, row) in rows.enumerated() {
            sends.append(Send(row: index, record: row.message))
            switch targets.indices.contains(index) ? targets[index] : nil {
            case nil:
                break
            case .topic(let topic)?:
                if let reason = unavailable[topic] {
                    refusedBeforeSending[index, default: []].append(.refused(topic: topic, reason: reason))
                } else {
                    var copy = row.message
                    copy.topic = topic
                    sends.append(Send(row: index, record: copy))
                }
            case .unroutable(let reason)?:
                refusedBeforeSending[index, default: []].append(
                    .refused(topic: row.message.topic + ".*", reason: reason))
            }
        }
    }

    /// Each row's regional target: for rows to `notificationsTopic` when `enabled`, the topic
    /// of the region the notification's value names.
    static func regionalTargets(
        of rows: [OutboxRelay.OutboxRow], enabled: Bool, notificationsTopic: String
    ) -> [RegionalTarget?] {
        guard enabled else { return Array(repeating: nil, count: rows.count) }
        return rows.map { row in
            guard row.message.topic == notificationsTopic else { return nil }
            guard let region = NotificationRegion.read(fromValue: row.message.value) else {
                return .unroutable(reason: "the notification's value has no region: no regional copy can be sent")
            }
            guard let topic = HubTopics.regionalNotifications(region: region, base: notificationsTopic) else {
                return .unroutable(
                    reason: "region \"\(StorableText.escaping(String(region.prefix(64))))\" cannot be part of a topic name"
                        + " (ASCII letters and digits, at most \(HubTopics.regionTopicSuffixLimit)): no regional copy can be sent")
            }
            return .topic(topic)
        }
    }

    /// The regional topics the plan's targets name.
    static func topics(in targets: [RegionalTarget?]) -> Set<String> {
        Set(targets.compactMap { if case .topic(let topic)? = $0 { topic } else { nil } })
    }

    /// Every row's copies, from the delivery reports of `sends` (same order) and the copies
    /// refused before sending.
    func outcomes(of results: [Result<DeliveryReport, KafkaError>]) -> [[CopyOutcome]] {
        var outcomes = (0..<rowCount).map { refusedBeforeSending[$0] ?? [] }
        for (send, result) in zip(sends, results) {
            outcomes[send.row].append(CopyOutcome(topic: send.record.topic, result: result))
        }
        return outcomes
    }
}

/// The region of a notification, read from its value (the payload's top-level `region`,
/// contract §5). The relay reads it from the bytes it sends rather than from a column or a
/// header of its own: the outbox has none for it (adding one is a migration), and a header
/// would change the records of `hub.notifications`.
enum NotificationRegion {
    static func read(fromValue value: [UInt8]) -> String? {
        guard case .object(let members)? = try? JSONParser.parse(value), case .string(let region)? = members["region"] else {
            return nil
        }
        return region
    }
}
