import HubDomain
import HubKafka

extension HubTopics {
    /// What `hub-admin topics create` and the workers' start-up make sure exists. Six
    /// partitions let up to six workers share the load; per key (a CLSM, a PTSM, a QPV,
    /// a recipient) order is kept within its partition.
    public static func specifications(partitions: Int32 = 6, replicationFactor: Int32 = 1) -> [TopicSpecification] {
        (inbound + [notifications]).map {
            TopicSpecification(name: $0, partitions: partitions, replicationFactor: replicationFactor)
        } + [TopicSpecification(name: deadLetter, partitions: 1, replicationFactor: replicationFactor)]
    }
}
