/// The hub's Kafka topics, as the public contract names them.
public enum HubTopics {
    public static let clsmDeclared = "clsm.declared"
    public static let sismEventProposed = "sism.event.proposed"
    public static let ptsmDiagnosticPublished = "ptsm.diagnostic.published"
    public static let qpvActionRecorded = "qpv.action.recorded"
    public static let notifications = "hub.notifications"
    public static let deadLetter = "hub.deadletter"

    /// The four topics the workers consume.
    public static let inbound = [clsmDeclared, sismEventProposed, ptsmDiagnosticPublished, qpvActionRecorded]

    /// What `hub-admin topics create` and the workers' start-up make sure exists. Six
    /// partitions let up to six workers share the load; per key (a CLSM, a PTSM, a QPV,
    /// a recipient) order is kept within its partition.
    public static func specifications(partitions: Int32 = 6, replicationFactor: Int32 = 1) -> [TopicSpecification] {
        (inbound + [notifications]).map {
            TopicSpecification(name: $0, partitions: partitions, replicationFactor: replicationFactor)
        } + [TopicSpecification(name: deadLetter, partitions: 1, replicationFactor: replicationFactor)]
    }
}
