/// The inbound topics, their CloudEvents types and payloads (`clsm.activity.reported` since
/// contract v1.1).
public enum InboundTopic: String, Sendable, Hashable, Codable, CaseIterable {
    case clsmDeclared = "clsm.declared"
    case sismEventProposed = "sism.event.proposed"
    case ptsmDiagnosticPublished = "ptsm.diagnostic.published"
    case qpvActionRecorded = "qpv.action.recorded"
    case clsmActivityReported = "clsm.activity.reported"

    /// The `ce_type` expected on this topic.
    public var eventType: String { rawValue + ".v1" }

    /// The topic whose `ce_type` this is, if any.
    public init?(eventType: String) {
        guard let topic = InboundTopic.allCases.first(where: { $0.eventType == eventType }) else { return nil }
        self = topic
    }
}

/// Outbound topic names.
public enum HubTopic {
    public static let notifications = "hub.notifications"
    public static let deadLetter = "hub.deadletter"
    public static let notificationType = "hub.notification.v1"
}

/// A decoded, schema-valid inbound payload.
public enum InboundEvent: Sendable, Hashable {
    case clsmDeclared(ClsmDeclared)
    case sismEventProposed(SismEventProposed)
    case ptsmDiagnosticPublished(PtsmDiagnosticPublished)
    case qpvActionRecorded(QpvActionRecorded)
    case clsmActivityReported(ClsmActivityReported)

    public var topic: InboundTopic {
        switch self {
        case .clsmDeclared: .clsmDeclared
        case .sismEventProposed: .sismEventProposed
        case .ptsmDiagnosticPublished: .ptsmDiagnosticPublished
        case .qpvActionRecorded: .qpvActionRecorded
        case .clsmActivityReported: .clsmActivityReported
        }
    }

    /// The Kafka key the contract expects producers to use (clsmId, clsmId, ptsmId, qpv, clsmId):
    /// it keeps the events of one subject in one partition, hence in order.
    public var partitionKey: String {
        switch self {
        case .clsmDeclared(let payload): payload.clsmId
        case .sismEventProposed(let payload): payload.clsmId
        case .ptsmDiagnosticPublished(let payload): payload.ptsmId
        case .qpvActionRecorded(let payload): payload.qpv
        case .clsmActivityReported(let payload): payload.clsmId
        }
    }

    /// The payload as JSON, members in the type's order (`JSONStreamEncoder`, the same JSON
    /// as `JSONEncoder`, tested): what a producer sends. `hub-bench` makes every synthetic
    /// record's data here, on the machine it measures.
    public func json() -> [UInt8] {
        do {
            return switch self {
            case .clsmDeclared(let payload): try JSONStreamEncoder.encode(payload)
            case .sismEventProposed(let payload): try JSONStreamEncoder.encode(payload)
            case .ptsmDiagnosticPublished(let payload): try JSONStreamEncoder.encode(payload)
            case .qpvActionRecorded(let payload): try JSONStreamEncoder.encode(payload)
            case .clsmActivityReported(let payload): try JSONStreamEncoder.encode(payload)
            }
        } catch {
            preconditionFailure("encoding a \(topic.eventType) payload to JSON failed: \(error)")
        }
    }

    /// The payload as canonical JSON (sorted keys), e.g. for the event log.
    public func canonicalJSON() -> [UInt8] {
        do {
            return try JSONParser.parse(json()).canonicalBytes()
        } catch {
            preconditionFailure("the JSON of a \(topic.eventType) payload does not parse: \(error)")
        }
    }

    /// Strictly decodes the payload of `topic` (schema step only).
    public static func strictDecode(_ json: JSONValue, topic: InboundTopic) throws(EventRejection) -> InboundEvent {
        switch topic {
        case .clsmDeclared: .clsmDeclared(try ClsmDeclared.strictDecode(json, typeName: topic.eventType))
        case .sismEventProposed: .sismEventProposed(try SismEventProposed.strictDecode(json, typeName: topic.eventType))
        case .ptsmDiagnosticPublished: .ptsmDiagnosticPublished(try PtsmDiagnosticPublished.strictDecode(json, typeName: topic.eventType))
        case .qpvActionRecorded: .qpvActionRecorded(try QpvActionRecorded.strictDecode(json, typeName: topic.eventType))
        case .clsmActivityReported:
            .clsmActivityReported(try ClsmActivityReported.strictDecode(json, typeName: topic.eventType))
        }
    }
}

/// An inbound event ready for the rules: identity and time from the envelope, typed payload.
public struct DecodedEvent: Sendable, Hashable {
    public var identity: EventIdentity
    /// The cause event's `ce_time`: notifications carry it as their own time.
    public var time: Timestamp
    public var event: InboundEvent

    public init(identity: EventIdentity, time: Timestamp, event: InboundEvent) {
        self.identity = identity
        self.time = time
        self.event = event
    }

    public var topic: InboundTopic { event.topic }
}
