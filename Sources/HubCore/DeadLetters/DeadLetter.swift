import Foundation
import HubDomain

/// Records that cannot be processed, as published to `hub.deadletter` (contract: "byte for
/// byte as it came, key and headers kept, plus headers hub_error_code, hub_error_message,
/// hub_original_topic, hub_original_partition, hub_original_offset"). A `personal_data`
/// dead letter is the exception: stored and published as its masked copy (`kept(_:code:)`).
///
/// Dead letters are written in the processing transaction like notifications: a row in
/// `hub_dead_letters` (`DeadLetterStore`, for `hub-admin dlq`) and a row in `hub_outbox`
/// under `id(for:)` (`outboxRecord`), so `OutboxRelay` publishes them exactly like
/// notifications, once the transaction that also commits the consumer's progress commits.
public enum DeadLetter {
    /// Header names, as the contract fixes them.
    public enum Header {
        public static let errorCode = "hub_error_code"
        public static let errorMessage = "hub_error_message"
        public static let originalTopic = "hub_original_topic"
        public static let originalPartition = "hub_original_partition"
        public static let originalOffset = "hub_original_offset"

        public static let all: Set<String> = [errorCode, errorMessage, originalTopic, originalPartition, originalOffset]
    }

    /// Longest `hub_error_message` in UTF-8 bytes; longer reasons are cut (at a character
    /// boundary) and end with "…".
    public static let maximumMessageBytes = 4096

    /// The namespace of dead-letter ids: `UUIDv5(urlNamespace, "urn:clsm-hub:dead-letter")`.
    /// Never change it: a replayed record must get the same id.
    public static let idNamespace = UUIDv5.make(namespace: UUIDv5.urlNamespace, name: "urn:clsm-hub:dead-letter")

    /// The dead letter's identity: UUID v5 of "topic|partition|offset" of the original
    /// record, so processing the same record again (after a crash) gives the same outbox
    /// row, which the outbox keeps once.
    public static func id(for message: InboundRecord) -> UUID {
        id(topic: message.topic, partition: message.partition, offset: message.offset)
    }

    public static func id(topic: String, partition: Int32, offset: Int64) -> UUID {
        UUIDv5.make(namespace: idNamespace, name: "\(topic)|\(partition)|\(offset)")
    }

    /// The record for `hub.deadletter`: the original value byte for byte, the original key
    /// (absent stays absent), every original header in its order, then the five `hub_*`
    /// headers (decimal text for partition and offset). Headers of the original that already
    /// bear one of those five names (a record that was dead-lettered before and replayed
    /// with them) are replaced, not repeated. The partition is left to the key.
    public static func make(from original: InboundRecord, code: DeadLetterCode, reason: String) -> OutboundRecord {
        let message = kept(original, code: code)
        var headers = message.headers.filter { !Header.all.contains($0.name) }
        headers.append(RecordHeader(name: Header.errorCode, string: code.rawValue))
        headers.append(RecordHeader(name: Header.errorMessage, string: storableMessage(reason)))
        headers.append(RecordHeader(name: Header.originalTopic, string: message.topic))
        headers.append(RecordHeader(name: Header.originalPartition, string: String(message.partition)))
        headers.append(RecordHeader(name: Header.originalOffset, string: String(message.offset)))
        return OutboundRecord(
            topic: HubTopics.deadLetter, partition: nil, key: message.key,
            value: message.value, headers: headers)
    }

    /// The record as its dead letter keeps it, stored and published: as it came, but for a
    /// `personal_data` one, whose offending values are masked (`PersonalDataMasking`: the
    /// key, header values, strings and member names of the value, the values of forbidden
    /// fields; the value written again as canonical JSON, or a placeholder when it is not
    /// JSON). Its `reason` names paths and kinds only (`PersonalDataGuard`). Such a dead
    /// letter is not replayable (`hub-admin dlq replay` refuses it): the producer fixes the
    /// record and publishes it again.
    public static func kept(_ message: InboundRecord, code: DeadLetterCode) -> InboundRecord {
        code == .personalData ? PersonalDataMasking.masked(message) : message
    }

    /// The code whose dead letters are never replayed: they hold the masked copy, not the
    /// record, and the record is to be fixed at its source.
    public static let notReplayable = DeadLetterCode.personalData

    /// The same for a decoding rejection: its code, and its message with the violations.
    public static func make(from message: InboundRecord, rejection: EventRejection) -> OutboundRecord {
        make(from: message, code: rejection.code, reason: rejection.headerMessage(limit: maximumMessageBytes))
    }

    /// What to give `OutboxWriter.append` in the processing transaction.
    public static func outboxRecord(from message: InboundRecord, code: DeadLetterCode, reason: String) -> OutboxRecord {
        OutboxRecord(notificationId: id(for: message), message: make(from: message, code: code, reason: reason))
    }

    /// `reason` as the `hub_error_message` header carries it: control characters escaped
    /// (a reason may quote the record, and an internal one an error about it), cut to
    /// `maximumMessageBytes` UTF-8 bytes, "…" included.
    static func storableMessage(_ reason: String) -> String {
        StorableText.escaping(reason, maximumBytes: maximumMessageBytes)
    }
}
