import Foundation
import HubDomain

/// How far the workers' consumer group is behind on one inbound partition.
public struct PartitionLag: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    /// The group's committed offset (the next record it will read); nil when it has none.
    public var committed: Int64?
    /// The partition's low watermark (first record still kept).
    public var low: Int64
    /// The high watermark: the offset the next record will get.
    public var end: Int64

    public init(topic: String, partition: Int32, committed: Int64?, low: Int64, end: Int64) {
        self.topic = topic
        self.partition = partition
        self.committed = committed
        self.low = low
        self.end = end
    }

    /// Records still to be processed. Without a committed offset, or with one below what
    /// the broker still keeps, the workers start from the oldest record kept (the consumer
    /// resets to earliest), so the lag counts from `low`. Never negative: Tansu's high
    /// watermark can trail a commit made just after the last record.
    public var lag: Int64 {
        max(0, end - max(committed ?? low, low))
    }
}

/// Outbox rows not yet relayed to one topic (hub.notifications, hub.deadletter), and those
/// Kafka refused for good and the relay parked (`hub_outbox_parked`).
public struct OutboxBacklog: Sendable, Hashable {
    public var topic: String
    public var unsent: Int
    /// When the oldest unsent row was written (nil when nothing waits).
    public var oldestUnsentAt: Date?
    /// Its age when the status was read, by the database's clock.
    public var oldestAgeSeconds: Double?
    /// Rows refused by Kafka for good (too large, invalid), never published.
    public var parked: Int

    public init(topic: String, unsent: Int, oldestUnsentAt: Date?, oldestAgeSeconds: Double?, parked: Int = 0) {
        self.topic = topic
        self.unsent = unsent
        self.oldestUnsentAt = oldestUnsentAt
        self.oldestAgeSeconds = oldestAgeSeconds
        self.parked = parked
    }

    /// What the rows are, for people.
    public var kind: String {
        switch topic {
        case HubTopics.notifications: "notifications"
        case HubTopics.deadLetter: "dead letters"
        default: "other"
        }
    }
}

/// The last event the hub accepted from one inbound topic (from `hub_event_log`).
public struct TopicActivity: Sendable, Hashable {
    public var topic: String
    /// Events of this topic in the event log (accepted ones; dead letters and duplicates are not there).
    public var events: Int
    public var lastEventId: String?
    public var lastSource: String?
    /// `ce_time` as the producer sent it.
    public var lastEventTime: String?
    /// When the hub processed it.
    public var lastProcessedAt: Date?

    public init(
        topic: String, events: Int, lastEventId: String? = nil, lastSource: String? = nil,
        lastEventTime: String? = nil, lastProcessedAt: Date? = nil
    ) {
        self.topic = topic
        self.events = events
        self.lastEventId = lastEventId
        self.lastSource = lastSource
        self.lastEventTime = lastEventTime
        self.lastProcessedAt = lastProcessedAt
    }
}

/// How many registered sources (reference data, section `sources`) are of one kind.
public struct SourceCount: Sendable, Hashable {
    public var kind: String
    public var sources: Int

    public init(kind: String, sources: Int) {
        self.kind = kind
        self.sources = sources
    }
}

/// What `hub-admin status` shows: the workers' progress on Kafka and what waits in PostgreSQL.
public struct HubStatus: Sendable, Hashable {
    /// The workers' consumer group (`HUB_GROUP_ID`).
    public var group: String
    public var lag: [PartitionLag]
    public var outbox: [OutboxBacklog]
    public var deadLetters: [DeadLetterCount]
    public var events: [TopicActivity]
    /// Registered sources by kind; empty when the hub runs open.
    public var sources: [SourceCount]

    public init(
        group: String, lag: [PartitionLag], outbox: [OutboxBacklog], deadLetters: [DeadLetterCount],
        events: [TopicActivity], sources: [SourceCount] = []
    ) {
        self.group = group
        self.lag = lag
        self.outbox = outbox
        self.deadLetters = deadLetters
        self.events = events
        self.sources = sources
    }

    /// The section names, as `--section` takes them and JSON keys them.
    public enum Section: String, Sendable, CaseIterable {
        case lag
        case outbox
        case deadletters
        case events
        case sources
    }

    public var totalLag: Int64 { lag.reduce(0) { $0 + $1.lag } }

    /// The sections, in the order of `Section`, under no title (the lag section's
    /// heading names the group).
    public func document() -> ListingDocument {
        ListingDocument(sections: [
            .init(
                name: Section.lag.rawValue, title: "Consumer lag of group \(group) (total \(totalLag))",
                listing: lagListing()),
            .init(name: Section.outbox.rawValue, title: "Outbox backlog", listing: outboxListing()),
            .init(name: Section.deadletters.rawValue, title: "Dead letters by code", listing: deadLetterListing()),
            .init(name: Section.events.rawValue, title: "Last event per inbound topic", listing: eventsListing()),
            .init(name: Section.sources.rawValue, title: sourcesTitle, listing: sourcesListing()),
        ])
    }

    /// Says, above the counts, whether ownership is enforced.
    var sourcesTitle: String {
        sources.isEmpty
            ? "Registered sources: none, the hub runs open (any ce_source may speak for any CLSM, PTSM, ASV, CLS or region)"
            : "Registered sources by kind (a record from another source is dead-lettered as unauthorized)"
    }

    func sourcesListing() -> Listing {
        var listing = Listing(columns: ["kind", "sources"])
        for entry in sources { listing.append([.text(entry.kind), ListingValue(entry.sources)]) }
        return listing
    }

    func lagListing() -> Listing {
        var listing = Listing(columns: ["topic", "partition", "committed", "end", "lag"])
        for entry in lag.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            listing.append([
                .text(entry.topic), ListingValue(Int(entry.partition)),
                entry.committed.map(ListingValue.integer) ?? .null, .integer(entry.end), .integer(entry.lag),
            ])
        }
        return listing
    }

    func outboxListing() -> Listing {
        var listing = Listing(columns: ["topic", "kind", "unsent", "oldest_unsent_at", "oldest_age_seconds", "parked"])
        for entry in outbox {
            listing.append([
                .text(entry.topic), .text(entry.kind), ListingValue(entry.unsent),
                ListingValue(entry.oldestUnsentAt.map(StatusText.timestamp)),
                entry.oldestAgeSeconds.map { .decimal($0, fractionDigits: 1) } ?? .null, ListingValue(entry.parked),
            ])
        }
        return listing
    }

    func deadLetterListing() -> Listing {
        var listing = Listing(columns: ["code", "total", "unreplayed"])
        for entry in deadLetters {
            listing.append([.text(entry.code), ListingValue(entry.total), ListingValue(entry.unreplayed)])
        }
        return listing
    }

    func eventsListing() -> Listing {
        var listing = Listing(columns: ["topic", "events", "last_ce_time", "last_ce_id", "last_ce_source", "last_processed_at"])
        for entry in events {
            listing.append([
                .text(entry.topic), ListingValue(entry.events), ListingValue(entry.lastEventTime),
                ListingValue(entry.lastEventId), ListingValue(entry.lastSource),
                ListingValue(entry.lastProcessedAt.map(StatusText.timestamp)),
            ])
        }
        return listing
    }

    /// Outbox rows of the two hub topics, listed even when nothing waits (a status that
    /// says "0" is clearer than a missing line), then any other topic with unsent or parked rows.
    public static func backlog(_ found: [OutboxBacklog]) -> [OutboxBacklog] {
        let fixed = [HubTopics.notifications, HubTopics.deadLetter].map { topic in
            found.first { $0.topic == topic } ?? OutboxBacklog(topic: topic, unsent: 0, oldestUnsentAt: nil, oldestAgeSeconds: nil)
        }
        let others = found.filter { $0.topic != HubTopics.notifications && $0.topic != HubTopics.deadLetter }
            .sorted { $0.topic < $1.topic }
        return fixed + others
    }
}

/// Texts shared by the admin listings.
public enum StatusText {
    /// UTC, to the second: `2026-09-01T07:00:00Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}
