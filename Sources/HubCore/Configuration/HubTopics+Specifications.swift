import HubDomain
import HubKafka

extension HubTopics {
    /// What `hub-admin topics create` and the workers' start-up make sure exists. Six
    /// partitions let up to six workers share the load; per key (a CLSM, a PTSM, a QPV,
    /// a recipient) order is kept within its partition.
    ///
    /// `regions`: with regional topics on (`HUB_REGIONAL_TOPICS`), the regions of the
    /// reference data, each given `hub.notifications.<region>` like `hub.notifications`
    /// (same partition count, so one recipient's key lands on the same partition number).
    /// A region that cannot be part of a topic name is left out (`unusableRegions`).
    public static func specifications(
        partitions: Int32 = 6, replicationFactor: Int32 = 1, regions: [String] = []
    ) -> [TopicSpecification] {
        let regional = regions.compactMap { regionalNotifications(region: $0) }
        return (inbound + [notifications] + regional).map {
            TopicSpecification(name: $0, partitions: partitions, replicationFactor: replicationFactor)
        } + [TopicSpecification(name: deadLetter, partitions: 1, replicationFactor: replicationFactor)]
    }

    /// The regions no regional topic can be named after (see `regionalNotifications(region:)`).
    public static func unusableRegions(_ regions: [String]) -> [String] {
        regions.filter { !isTopicSafeRegion($0) }
    }
}
