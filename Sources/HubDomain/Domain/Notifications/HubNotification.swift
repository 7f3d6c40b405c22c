import Foundation

public enum RecipientKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case ars, clsm, cls, asv, ptsm

    public static func < (lhs: RecipientKind, rhs: RecipientKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Who a notification is for. An ARS is identified by its region code.
public struct Recipient: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var kind: RecipientKind
    public var id: String

    public init(kind: RecipientKind, id: String) {
        self.kind = kind
        self.id = id
    }

    public static func ars(_ region: String) -> Recipient { Recipient(kind: .ars, id: region) }
    public static func clsm(_ id: String) -> Recipient { Recipient(kind: .clsm, id: id) }
    public static func cls(_ id: String) -> Recipient { Recipient(kind: .cls, id: id) }
    public static func asv(_ id: String) -> Recipient { Recipient(kind: .asv, id: id) }
    public static func ptsm(_ id: String) -> Recipient { Recipient(kind: .ptsm, id: id) }

    /// `<kind>:<id>`: the Kafka key of its notifications.
    public var description: String { "\(kind.rawValue):\(id)" }

    public static func < (lhs: Recipient, rhs: Recipient) -> Bool { (lhs.kind, lhs.id) < (rhs.kind, rhs.id) }
}

/// The inbound event a notification answers.
public struct NotificationCause: Sendable, Hashable, Codable {
    public var topic: String
    public var source: String
    public var id: String

    public init(topic: String, source: String, id: String) {
        self.topic = topic
        self.source = source
        self.id = id
    }
}

/// What a notification is about: `clsm`, `sismProposal`, `ptsm` or `qpvAction` and its id.
public struct NotificationSubject: Sendable, Hashable, Codable {
    public var kind: String
    public var id: String

    public init(kind: String, id: String) {
        self.kind = kind
        self.id = id
    }
}

/// A notification of `hub.notifications` (`hub.notification.v1`).
///
/// The payload holds exactly the contract's fields; `time` is not in the payload but is the
/// record's `ce_time` (the cause event's time, so that a replay gives the same bytes).
public struct HubNotification: Sendable, Hashable {
    /// UUID v5, see `HubNotification.makeId`.
    public var notificationId: String
    public var rule: NotificationRule
    public var severity: Severity
    public var recipient: Recipient
    public var region: String
    public var cause: NotificationCause
    public var subject: NotificationSubject
    /// French, for people.
    public var message: String
    /// Rule-specific, for machines (documented per rule in docs/contract.md).
    public var data: JSONValue
    /// The cause event's `ce_time`.
    public var time: Timestamp

    public init(
        notificationId: String, rule: NotificationRule, severity: Severity, recipient: Recipient, region: String,
        cause: NotificationCause, subject: NotificationSubject, message: String, data: JSONValue, time: Timestamp
    ) {
        self.notificationId = notificationId
        self.rule = rule
        self.severity = severity
        self.recipient = recipient
        self.region = region
        self.cause = cause
        self.subject = subject
        self.message = message
        self.data = data
        self.time = time
    }

    /// The CloudEvents source of every notification.
    public static let source = "urn:clsm-hub"

    /// The name hashed into a notification id: `<ce_source>|<ce_id>|<rule>|<recipientKind>:<recipientId>`
    /// of the cause event, in UTF-8, under `UUIDv5.notificationNamespace`.
    public static func idName(cause: EventIdentity, rule: NotificationRule, recipient: Recipient) -> String {
        "\(cause.source)|\(cause.id)|\(rule.rawValue)|\(recipient.kind.rawValue):\(recipient.id)"
    }

    public static func makeId(cause: EventIdentity, rule: NotificationRule, recipient: Recipient) -> String {
        UUIDv5.string(namespace: UUIDv5.notificationNamespace, name: idName(cause: cause, rule: rule, recipient: recipient))
    }

    /// The payload as a JSON value (contract fields only).
    public var payload: JSONValue {
        [
            "notificationId": .string(notificationId),
            "rule": .string(rule.rawValue),
            "severity": .string(severity.rawValue),
            "recipient": ["kind": .string(recipient.kind.rawValue), "id": .string(recipient.id)],
            "region": .string(region),
            "cause": ["topic": .string(cause.topic), "source": .string(cause.source), "id": .string(cause.id)],
            "subject": ["kind": .string(subject.kind), "id": .string(subject.id)],
            "message": .string(message),
            "data": data,
        ]
    }

    /// Canonical payload bytes (sorted keys): byte-identical across replays.
    ///
    /// `payload.canonicalBytes()`, written member by member in key order (a test holds them
    /// equal): every notification goes through here, so the members are written in their
    /// sorted order rather than gathered in a dictionary and sorted each time.
    public func payloadBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(384 + message.utf8.count)
        func key(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        func string(_ value: String) { JSONValue.writeString(value, into: &out) }
        func idAndKind(id: String, kind: String) {
            out.append(contentsOf: #"{"id":"#.utf8)
            string(id)
            out.append(contentsOf: #","kind":"#.utf8)
            string(kind)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "{"))
        key("cause", first: true)
        out.append(contentsOf: #"{"id":"#.utf8)
        string(cause.id)
        out.append(contentsOf: #","source":"#.utf8)
        string(cause.source)
        out.append(contentsOf: #","topic":"#.utf8)
        string(cause.topic)
        out.append(UInt8(ascii: "}"))
        key("data")
        data.writeCanonical(into: &out)
        key("message")
        string(message)
        key("notificationId")
        string(notificationId)
        key("recipient")
        idAndKind(id: recipient.id, kind: recipient.kind.rawValue)
        key("region")
        string(region)
        key("rule")
        string(rule.rawValue)
        key("severity")
        string(severity.rawValue)
        key("subject")
        idAndKind(id: subject.id, kind: subject.kind)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The CloudEvent (binary mode content) of this notification.
    public var cloudEvent: CloudEvent { cloudEvent(data: payloadBytes()) }

    private func cloudEvent(data: [UInt8]) -> CloudEvent {
        CloudEvent(
            id: notificationId, source: HubNotification.source, type: HubTopic.notificationType, time: time,
            datacontenttype: CloudEventRecordCodec.jsonContentType, data: data)
    }

    /// `<recipientKind>:<recipientId>`.
    public var kafkaKey: String { recipient.description }

    /// The record to produce on `hub.notifications`, CloudEvents binary mode.
    public func outboundRecord(topic: String = HubTopic.notifications) -> OutboundRecord {
        let payload = payloadBytes()  // written once: it is the value, and the headers need the event
        return OutboundRecord(
            topic: topic, key: kafkaKey, value: payload, headers: CloudEventRecordCodec.binaryHeaders(for: cloudEvent(data: payload)))
    }

    /// Reads a notification back from its CloudEvent (e.g. from the outbox or the topic).
    public static func decode(_ event: CloudEvent) throws -> HubNotification {
        let json = try JSONParser.parse(event.data)
        struct Wire: Decodable {
            var notificationId: String
            var rule: NotificationRule
            var severity: Severity
            var recipient: Recipient
            var region: String
            var cause: NotificationCause
            var subject: NotificationSubject
            var message: String
            var data: JSONValue
        }
        let wire = try json.decoding(Wire.self)
        return HubNotification(
            notificationId: wire.notificationId, rule: wire.rule, severity: wire.severity, recipient: wire.recipient,
            region: wire.region, cause: wire.cause, subject: wire.subject, message: wire.message, data: wire.data,
            time: event.time)
    }
}
