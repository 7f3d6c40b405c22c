/// The hub's Kafka topics, as the public contract names them (the names themselves are
/// defined once, by `InboundTopic` and `HubTopic` beside the event types).
public enum HubTopics {
    public static let notifications = HubTopic.notifications
    public static let deadLetter = HubTopic.deadLetter

    /// The topics the workers consume (every `InboundTopic`).
    public static let inbound = InboundTopic.allCases.map(\.rawValue)
}
