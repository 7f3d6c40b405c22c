import Foundation
import HubDomain

/// One record of a synthetic stream: where it goes, its key, the CloudEvent, and what the
/// hub is expected to do with it.
public struct SyntheticEvent: Sendable, Hashable {
    /// What processing this record in stream order should give.
    public enum Expectation: Sendable, Hashable, CustomStringConvertible {
        /// Decoded and applied (it may still be a business refusal, e.g. a rejected SISM proposal).
        case applied
        /// A PTSM diagnostic whose version is not newer than the stored one.
        case stale
        /// The exact re-send of an earlier record (same `ce_source`/`ce_id`): no effect.
        case duplicate
        /// An invalid record, dead-lettered with this code.
        case deadLetter(DeadLetterCode)

        public var description: String {
            switch self {
            case .applied: "applied"
            case .stale: "stale"
            case .duplicate: "duplicate"
            case .deadLetter(let code): "deadLetter(\(code.rawValue))"
            }
        }

        /// Whether the hub records the identity in its inbox (applied or stale).
        public var isProcessed: Bool { self == .applied || self == .stale }
    }

    /// The stream's two parts: the set-up (CLSM declarations, then PTSM diagnostics) and the
    /// activity that follows (SISM, QPV actions, re-declarations, new PTSM versions).
    public enum Phase: String, Sendable, Hashable {
        case setup, activity
    }

    /// Position in the stream, from 0.
    public var sequence: Int
    public var phase: Phase
    public var topic: String
    public var key: String
    public var cloudEvent: CloudEvent
    public var expectation: Expectation

    public init(sequence: Int, phase: Phase, topic: String, key: String, cloudEvent: CloudEvent, expectation: Expectation) {
        self.sequence = sequence
        self.phase = phase
        self.topic = topic
        self.key = key
        self.cloudEvent = cloudEvent
        self.expectation = expectation
    }

    /// The Kafka record in binary mode (what a CLSM tool would send): `ce_*` headers from
    /// `CloudEventRecordCodec.binaryHeaders`, the payload's JSON as value.
    public func outboundRecord() -> OutboundRecord {
        OutboundRecord(topic: topic, key: key, value: cloudEvent.data, headers: CloudEventRecordCodec.binaryHeaders(for: cloudEvent))
    }

    /// The record as a consumer receives it at `offset` of partition 0 (for feeding the
    /// processor directly, without a broker: tests and `hub-bench core`).
    public func consumed(at offset: Int64) -> InboundRecord {
        let message = outboundRecord()
        return InboundRecord(
            topic: message.topic, partition: 0, offset: offset, key: message.key, value: message.value,
            headers: message.headers, timestampMilliseconds: nil)
    }

    /// The headers as `InboundDecoder` receives them.
    public var headers: [RecordHeader] { CloudEventRecordCodec.binaryHeaders(for: cloudEvent) }

    /// The record as one structured-mode CloudEvent (canonical JSON), for `hub-bench
    /// generate`. The simulation's own fields travel as extension attributes `simtopic`,
    /// `simkey`, `simsequence` and `simexpectation`, so each line stays a valid CloudEvent.
    /// Data that is not JSON (a deliberately malformed record) is written as `data_base64`.
    public func structuredJSONLine() -> [UInt8] {
        var object: [String: JSONValue] = [
            "specversion": .string(cloudEvent.specversion), "id": .string(cloudEvent.id),
            "source": .string(cloudEvent.source), "type": .string(cloudEvent.type), "time": .string(cloudEvent.time.text),
            "simtopic": .string(topic), "simkey": .string(key), "simsequence": .int(sequence),
            "simexpectation": .string(expectation.description),
        ]
        if let contentType = cloudEvent.datacontenttype { object["datacontenttype"] = .string(contentType) }
        if let data = try? JSONParser.parse(cloudEvent.data) {
            object["data"] = data
        } else {
            object["data_base64"] = .string(Base64.encoded(cloudEvent.data))
        }
        return JSONValue.object(object).canonicalBytes()
    }
}
