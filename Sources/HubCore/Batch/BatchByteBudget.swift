import HubDomain

/// Cuts polled records into batches of at most `maxBytes` of keys, values and headers, so
/// that a run of large records (the contract lets one be 256 KiB, a poll brings up to
/// `HUB_BATCH_SIZE` of them) does not make a batch, and the next one prepared beside it,
/// hold hundreds of MiB. The first record always goes, so a record larger than the budget
/// is processed alone rather than never.
public struct BatchByteBudget: Sendable {
    public var maxBytes: Int

    /// 32 MiB: a batch of ordinary records (about 1 KiB each) is never cut; one of large
    /// records holds a little over a hundred of them.
    public static let defaultMaxBytes = 32 << 20

    public init(maxBytes: Int = BatchByteBudget.defaultMaxBytes) {
        self.maxBytes = max(1, maxBytes)
    }

    /// The records that fit, in order, and the rest (to be the next batch, before any
    /// newer poll: the order within a partition stays).
    public func split(_ records: [InboundRecord]) -> (batch: [InboundRecord], rest: [InboundRecord]) {
        var total = 0
        for (index, record) in records.enumerated() {
            total += Self.size(of: record)
            if total > maxBytes, index > 0 {
                return (Array(records[..<index]), Array(records[index...]))
            }
        }
        return (records, [])
    }

    /// What a record holds in memory, roughly: its key, value and headers' bytes.
    static func size(of record: InboundRecord) -> Int {
        record.value.count + (record.key?.count ?? 0)
            + record.headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
    }
}
