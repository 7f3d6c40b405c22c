import HubDomain

/// Decoded records remembered by their stored JSON text.
///
/// Every batch segment loads the CLSM records, PTSM records, SISM proposals and reference
/// rows of its neighbourhood, and most of them are the same rows as in the previous
/// segment: decoding their JSON again was the largest part of a load. The memo is keyed
/// by the exact text read from PostgreSQL, so a changed row is a different key and can
/// never be answered with a stale value; it only saves the decoding.
final class DecodedRecordMemo: Sendable {
    /// Past this many entries the memo starts again from empty: a simple bound (a few tens
    /// of MiB of texts at most) that the working set of a batch stays far below.
    static let capacity = 20_000

    private struct Key: Hashable {
        var type: ObjectIdentifier
        var text: String
    }

    private let entries = Locked<[Key: any Sendable]>([:])

    /// The value decoded from `text`, decoding it with `decode` only the first time.
    func value<T: Sendable>(of type: T.Type, from text: String, decode: (String) throws -> T) rethrows -> T {
        let key = Key(type: ObjectIdentifier(type), text: text)
        if let known = entries.withLock({ $0[key] }) as? T { return known }
        let decoded = try decode(text)
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = decoded
        }
        return decoded
    }
}
