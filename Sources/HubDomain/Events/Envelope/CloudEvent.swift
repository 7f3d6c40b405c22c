/// A CloudEvents 1.0 event as carried by the Kafka protocol binding, independent of any
/// Kafka client: attributes plus the data bytes.
public struct CloudEvent: Sendable, Hashable {
    public static let specVersion = "1.0"

    public var id: String
    public var source: String
    public var type: String
    /// `time` is required by the hub (the notification time is the cause event's time).
    public var time: Timestamp
    public var specversion: String
    /// `application/json` unless stated otherwise.
    public var datacontenttype: String?
    public var subject: String?
    public var dataschema: String?
    /// Extension attributes (lower-case names, without the `ce_` prefix), as strings.
    public var extensions: [String: String]
    /// The data, as bytes (the JSON payload).
    public var data: [UInt8]

    public init(
        id: String, source: String, type: String, time: Timestamp, specversion: String = CloudEvent.specVersion,
        datacontenttype: String? = "application/json", subject: String? = nil, dataschema: String? = nil,
        extensions: [String: String] = [:], data: [UInt8]
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.specversion = specversion
        self.datacontenttype = datacontenttype
        self.subject = subject
        self.dataschema = dataschema
        self.extensions = extensions
        self.data = data
    }

    public var identity: EventIdentity { EventIdentity(source: source, id: id) }
}
