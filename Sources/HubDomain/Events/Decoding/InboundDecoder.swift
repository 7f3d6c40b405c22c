/// The pure decoding pipeline for one inbound Kafka record, in the contract's order:
///
/// 1. size (`too_large`): key + headers + value against `maxRecordBytes`;
/// 2. envelope (`malformed_envelope`): CloudEvents 1.0, binary or structured mode;
/// 3. type (`unsupported_type`): `ce_type` known and the one of the topic, data JSON;
/// 4. personal data (`personal_data`) over the raw JSON, the key, `ce_id`, `ce_source` and
///    `ce_subject`;
/// 5. schema (`schema_violation`): strict, every violation listed.
///
/// The last step, references (`unknown_reference`), needs state and is done by
/// `RulesEngine.decide`. A record that passes is a `DecodedEvent`.
public struct InboundDecoder: Sendable {
    /// 256 KiB: far above any legitimate payload (a CLSM of 2,000 communes is ~20 KiB).
    public static let defaultMaxRecordBytes = 256 * 1024

    public var maxRecordBytes: Int
    public var personalDataGuard: PersonalDataGuard

    public init(maxRecordBytes: Int = InboundDecoder.defaultMaxRecordBytes, personalDataGuard: PersonalDataGuard = PersonalDataGuard()) {
        self.maxRecordBytes = maxRecordBytes
        self.personalDataGuard = personalDataGuard
    }

    /// Decodes a record consumed from `topic`.
    public func decode(topic: String, key: [UInt8]? = nil, headers: [RecordHeader], value: [UInt8]) throws(EventRejection) -> DecodedEvent {
        try decodeRecord(topic: topic, key: key, headers: headers, value: value).event
    }

    /// As `decode(topic:key:headers:value:)`, with the payload as the event log stores it:
    /// canonical JSON of the data received, without null members, which is byte for byte
    /// what the decoded payload encodes to (the strict schema refuses unknown fields and
    /// keeps every value as received), without encoding it again.
    public func decodeForEventLog(
        topic: String, key: [UInt8]? = nil, headers: [RecordHeader],
        value: [UInt8]
    ) throws(EventRejection) -> (event: DecodedEvent, canonicalData: [UInt8]) {
        let decoded = try decodeRecord(topic: topic, key: key, headers: headers, value: value)
        return (decoded.event, decoded.payload.canonicalBytes(omittingNullMembers: true))
    }

    private func decodeRecord(
        topic: String, key: [UInt8]?, headers: [RecordHeader],
        value: [UInt8]
    ) throws(EventRejection) -> (event: DecodedEvent, payload: JSONValue) {
        let size = (key?.count ?? 0) + value.count + headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
        guard size <= maxRecordBytes else {
            throw EventRejection(
                code: .tooLarge,
                message: "record on \(topic) is \(size) bytes (key, headers and value), above the limit of \(maxRecordBytes) bytes")
        }
        let sizes = EnvelopeLimits.sizeViolations(key: key, headers: headers)
        guard sizes.isEmpty else {
            throw EventRejection(
                code: .tooLarge, message: "record on \(topic) has a key or headers above the hub's limits",
                violations: sizes)
        }
        let content = EnvelopeLimits.contentViolations(key: key, headers: headers)
        guard content.isEmpty else {
            throw EventRejection(
                code: .malformedEnvelope,
                message: "record on \(topic) has a key or headers that are not text the hub can keep",
                violations: content)
        }
        let envelope = try CloudEventRecordCodec.decode(headers: headers, value: value)
        let attributes = EnvelopeLimits.attributeViolations(of: envelope)
        guard attributes.tooLarge.isEmpty else {
            throw EventRejection(
                code: .tooLarge, message: "record on \(topic) has CloudEvents attributes above the hub's limits",
                violations: attributes.tooLarge)
        }
        guard attributes.malformed.isEmpty else {
            throw EventRejection(
                code: .malformedEnvelope, message: "record on \(topic) has CloudEvents attributes the hub cannot keep",
                violations: attributes.malformed)
        }
        return try decodeEnvelope(envelope, topic: topic, key: key, structured: Self.isStructured(headers))
    }

    /// Whether the record is in structured mode (for naming places: the decoding is done).
    private static func isStructured(_ headers: [RecordHeader]) -> Bool {
        headers.contains {
            $0.name.lowercased() == "content-type"
                && $0.stringValue.map(CloudEventRecordCodec.mediaType) == CloudEventRecordCodec.structuredContentType
        }
    }

    /// Convenience for clients that hand headers over as tuples.
    public func decode(
        topic: String, key: [UInt8]? = nil, headers: [(String, [UInt8])], value: [UInt8]
    ) throws(EventRejection) -> DecodedEvent {
        try decode(topic: topic, key: key, headers: headers.map { RecordHeader(name: $0.0, value: $0.1) }, value: value)
    }

    /// Steps 3 to 5 for an envelope already decoded (e.g. read back from the event log).
    public func decode(envelope: CloudEvent, topic: String) throws(EventRejection) -> DecodedEvent {
        try decodeEnvelope(envelope, topic: topic, key: nil, structured: false).event
    }

    /// `key` and `structured` (whether the record was in structured mode, asked only to name
    /// the place of a finding) for the personal-data guard.
    private func decodeEnvelope(
        _ envelope: CloudEvent, topic: String, key: [UInt8]?, structured: @autoclosure () -> Bool
    ) throws(EventRejection) -> (event: DecodedEvent, payload: JSONValue) {
        // Only errors print it: not built for the records that decode.
        func context() -> String { "\(envelope.type) event \(envelope.source)|\(envelope.id)" }
        func maskedContext() -> String {
            "\(envelope.type) event \(PersonalDataMasking.masking(envelope.source))|\(PersonalDataMasking.masking(envelope.id))"
        }
        guard let expected = InboundTopic(eventType: envelope.type) else {
            let known = InboundTopic.allCases.map(\.eventType).joined(separator: ", ")
            throw EventRejection(code: .unsupportedType, message: "ce_type \"\(envelope.type)\" on \(topic) is not one of [\(known)]")
        }
        guard expected.rawValue == topic else {
            throw EventRejection(
                code: .unsupportedType,
                message: "ce_type \"\(envelope.type)\" belongs on topic \(expected.rawValue), not on \(topic)")
        }
        if let contentType = envelope.datacontenttype {
            let media = CloudEventRecordCodec.mediaType(contentType)
            guard media == CloudEventRecordCodec.jsonContentType || media.hasSuffix("+json") else {
                throw EventRejection(code: .unsupportedType, message: "\(context()): data content type \"\(contentType)\" is not JSON")
            }
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(envelope.data)
        } catch {
            throw EventRejection(
                code: .schemaViolation, message: "\(context()): data is not valid JSON",
                violations: [Violation(path: "$", reason: error.description)])
        }
        // A personal-data rejection quotes neither ce_source nor ce_id: they may be what holds it.
        try personalDataGuard.check(json, envelope: envelope, key: key, structured: structured(), context: maskedContext())
        let event = try InboundEvent.strictDecode(json, topic: expected)
        return (DecodedEvent(identity: envelope.identity, time: envelope.time, event: event), json)
    }
}
