import Foundation

/// Turns the entries of a file given to `hub-admin publish --topic T` into the Kafka records
/// the hub's producers would send, checked by the workers' own decoder first.
///
/// An entry with `specversion` is a structured-mode CloudEvent and keeps its attributes. Any
/// other entry is a bare payload of the topic, wrapped: `ce_type` the topic's, `ce_source`
/// and `ce_time` as given, and `ce_id` derived from the topic and the payload (see
/// `derivedID`), so that publishing the same file twice is a redelivery the hub takes once.
public struct PayloadWrapping: Sendable {
    /// `ce_source` of wrapped payloads unless the administrator names another.
    public static let defaultSource = "urn:clsm-hub:hub-admin"

    /// The namespace of derived ids: `UUIDv5(urlNamespace, "urn:clsm-hub:published-payload")`,
    /// written out so that other tools can derive the same ids. Never change it: a file
    /// published again must get the ids it got the first time.
    public static let idNamespace = UUID(uuidString: "8b0ac738-a7c2-50c1-9ac4-0bbb2dc5739c")!

    public var topic: InboundTopic
    public var source: String
    public var time: Timestamp
    public var decoder: InboundDecoder

    public init(
        topic: InboundTopic, source: String = PayloadWrapping.defaultSource, time: Timestamp,
        decoder: InboundDecoder = InboundDecoder()
    ) {
        self.topic = topic
        self.source = source
        self.time = time
        self.decoder = decoder
    }

    /// What a file entry becomes: its record, and whether it was a bare payload.
    public struct Prepared: Sendable, Hashable {
        public var position: EventFilePosition
        public var envelope: CloudEvent
        public var wrapped: Bool
        public var message: OutboundRecord
    }

    /// `ce_id` of a wrapped payload: UUID v5 of `<topic>|<payload as canonical JSON>` (keys
    /// sorted, no spaces), so the same payload gets the same id whatever its layout in the file.
    public static func derivedID(topic: InboundTopic, payload: JSONValue) -> String {
        UUIDv5.string(namespace: idNamespace, name: topic.rawValue + "|" + payload.canonicalString())
    }

    /// The envelope of one entry: kept when it is a structured CloudEvent, wrapped otherwise.
    /// `freshID`, when given, replaces the id either way (`--new-id`).
    public func envelope(
        for entry: EventFile.Entry, freshID: String? = nil
    ) throws(EventFileRefusal) -> (envelope: CloudEvent, wrapped: Bool) {
        let json = JSONValue.object(entry.object)
        if entry.object["specversion"] != nil {
            let structured = [RecordHeader(name: "content-type", string: CloudEventRecordCodec.structuredContentType)]
            do {
                var envelope = try CloudEventRecordCodec.decode(headers: structured, value: json.canonicalBytes())
                if let freshID { envelope.id = freshID }
                return (envelope, false)
            } catch {
                throw EventFileRefusal(position: entry.position, reason: "is refused: \(error)", code: error.code)
            }
        }
        let envelope = CloudEvent(
            id: freshID ?? Self.derivedID(topic: topic, payload: json), source: source, type: topic.eventType, time: time,
            datacontenttype: CloudEventRecordCodec.jsonContentType, data: json.canonicalBytes())
        return (envelope, true)
    }

    /// The record for one entry, in binary mode and keyed as the contract says, after the
    /// workers' decoder accepted exactly that record (size, envelope, type, personal data,
    /// schema). References to unknown codes are not checked: they need the hub's state.
    public func prepare(_ entry: EventFile.Entry, freshID: String? = nil) throws(EventFileRefusal) -> Prepared {
        let (envelope, wrapped) = try self.envelope(for: entry, freshID: freshID)
        let headers = CloudEventRecordCodec.binaryHeaders(for: envelope)
        let refused: (EventRejection) -> EventFileRefusal = { rejection in
            let form = wrapped ? "(a bare \(topic.rawValue) payload)" : "(a structured CloudEvent)"
            return EventFileRefusal(position: entry.position, reason: "\(form) is refused: \(rejection)", code: rejection.code)
        }
        let key: [UInt8]
        do {
            // The key comes from the payload, so the payload is decoded once without it,
            // then the whole record as the workers will read it, key included (its size counts).
            key = Array(try decoder.decode(topic: topic.rawValue, headers: headers, value: envelope.data).event.partitionKey.utf8)
            _ = try decoder.decode(topic: topic.rawValue, key: key, headers: headers, value: envelope.data)
        } catch {
            throw refused(error)
        }
        return Prepared(
            position: entry.position, envelope: envelope, wrapped: wrapped,
            message: OutboundRecord(topic: topic.rawValue, key: key, value: envelope.data, headers: headers))
    }

    /// Every entry prepared, or the first refusal: nothing of a refused file is sent.
    /// `freshID` is called once per entry when given (`--new-id`).
    public func prepare(_ entries: [EventFile.Entry], freshID: (() -> String)? = nil) throws(EventFileRefusal) -> [Prepared] {
        var prepared: [Prepared] = []
        prepared.reserveCapacity(entries.count)
        for entry in entries {
            prepared.append(try prepare(entry, freshID: freshID?()))
        }
        return prepared
    }
}
