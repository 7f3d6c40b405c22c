import Foundation
import HubDomain
import HubKafka

/// The listings of `hub-admin dlq list` and `dlq replay`, built from stored dead letters.
public enum DeadLetterListings {
    /// Longest message shown in a table cell, in characters; JSON and CSV keep it whole.
    public static let tableMessageLength = 60

    /// `dlq list`: one row per dead letter. `forTable` cuts the message to one short line
    /// (a schema violation lists every violation, which would make the table unreadable).
    public static func list(_ records: [DeadLetterRecord], forTable: Bool) -> Listing {
        var listing = Listing(columns: [
            "sequence", "code", "topic", "partition", "offset", "key", "ce_id",
            "recorded_at", "replayed_at", "message",
        ])
        for record in records {
            listing.append([
                .integer(record.sequence), .text(record.code), .text(record.topic), ListingValue(Int(record.partition)),
                .integer(record.offset), ListingValue(keyText(record.key)), ListingValue(record.eventId),
                .text(StatusText.timestamp(record.recordedAt)), ListingValue(record.replayedAt.map(StatusText.timestamp)),
                .text(forTable ? cut(record.errorMessage) : record.errorMessage),
            ])
        }
        return listing
    }

    /// A dead letter republished by `dlq replay` (or that would be, with `--dry-run`).
    public struct Republished: Sendable, Hashable {
        public var record: DeadLetterRecord
        /// Where it was written now; nil for a dry run.
        public var delivery: DeliveryReport?

        public init(record: DeadLetterRecord, delivery: DeliveryReport?) {
            self.record = record
            self.delivery = delivery
        }
    }

    /// `dlq replay`: what was republished, from where (the dead-lettered record's position)
    /// to where (the new record's position; empty for a dry run).
    public static func replay(_ entries: [Republished]) -> Listing {
        var listing = Listing(columns: [
            "sequence", "code", "topic", "ce_id", "key", "from_partition", "from_offset",
            "partition", "offset",
        ])
        for entry in entries {
            let record = entry.record
            listing.append([
                .integer(record.sequence), .text(record.code), .text(record.topic), ListingValue(record.eventId),
                ListingValue(keyText(record.key)), ListingValue(Int(record.partition)), .integer(record.offset),
                entry.delivery.map { ListingValue(Int($0.partition)) } ?? .null,
                entry.delivery.map { .integer($0.offset) } ?? .null,
            ])
        }
        return listing
    }

    /// A key as text: UTF-8 as it is, other bytes as `0x` and hex (keys are usually ids,
    /// but a dead letter keeps whatever key came).
    public static func keyText(_ key: [UInt8]?) -> String? {
        guard let key else { return nil }
        if let text = String(validating: key, as: UTF8.self), !text.contains(where: { $0.isNewline || $0 == "\0" }) {
            return text
        }
        return "0x" + key.map { String(format: "%02x", $0) }.joined()
    }

    /// One line of at most `tableMessageLength` characters, "…" at the end when cut.
    public static func cut(_ message: String) -> String {
        let line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard line.count > tableMessageLength else { return line }
        return String(line.prefix(tableMessageLength - 1)) + "…"
    }

    /// `--code` text to a code; an unknown one names the valid codes.
    public static func code(_ text: String?) throws(UnknownDeadLetterCode) -> DeadLetterCode? {
        guard let text else { return nil }
        guard let code = DeadLetterCode(rawValue: text) else { throw UnknownDeadLetterCode(text: text) }
        return code
    }
}

public struct UnknownDeadLetterCode: Error, Sendable, CustomStringConvertible {
    public var text: String

    public var description: String {
        "unknown dead-letter code \"\(text)\"; valid codes: \(DeadLetterCode.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}
