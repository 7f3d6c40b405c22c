import HubDomain

/// Decoded records remembered by their stored JSON text.
///
/// Every batch segment loads the CLSM records, PTSM records, SISM proposals and reference
/// rows of its neighbourhood, and most of them are the same rows as in the previous
/// segment: decoding their JSON again was the largest part of a load. The memo is keyed
/// by the exact text read from PostgreSQL, so a changed row is a different key and can
/// never be answered with a stale value; it only saves the decoding.
///
/// **Bounded by bytes, not by entries.** A count bound says nothing about memory when
/// records may be large: 20,000 entries of 1 MiB texts would be 20 GiB. Each entry is
/// charged `cost(ofText:)` (its text twice, for the key and the decoded value that holds
/// about as much, plus a fixed overhead); past `budget` the memo starts again from empty.
/// A text too large to be worth remembering (`largestRemembered`) is decoded every time
/// and never stored, so one huge record cannot push the working set out.
final class DecodedRecordMemo: Sendable {
    /// 64 MiB: a national working set (a few thousand CLSM, PTSM and proposal rows of a few
    /// KiB each, plus the reference rows) fits several times over, and a worker's resident
    /// memory stays predictable whatever the size of the records it meets.
    static let defaultBudget = 64 << 20
    /// What an entry costs besides its text: the dictionary slot, the key's type identifier,
    /// the boxed value's header and the small objects a decoded record holds.
    static let entryOverhead = 256

    /// Bytes the memo may hold (as counted by `cost(ofText:)`).
    let budget: Int
    /// The largest cost remembered: an eighth of the budget (8 MiB by default). A larger
    /// text is decoded each time it is met: rare, and cheaper than emptying the memo for it.
    var largestRemembered: Int { budget / 8 }

    private struct Key: Hashable {
        var type: ObjectIdentifier
        var text: String
    }

    private struct Entries {
        var values: [Key: any Sendable] = [:]
        /// The sum of `cost(ofText:)` over `values`.
        var bytes = 0
    }

    private let entries = Locked(Entries())

    init(budget: Int = DecodedRecordMemo.defaultBudget) {
        self.budget = max(budget, 0)
    }

    /// What remembering `text` costs: its UTF-8 bytes in the key, about as many again in the
    /// decoded value, and `entryOverhead`.
    static func cost(ofText text: String) -> Int {
        2 * text.utf8.count + entryOverhead
    }

    /// The bytes held now (as counted by `cost(ofText:)`), for tests and diagnostics.
    var heldBytes: Int { entries.withLock { $0.bytes } }

    /// The number of entries held now.
    var count: Int { entries.withLock { $0.values.count } }

    /// The value decoded from `text`, decoding it with `decode` only the first time.
    func value<T: Sendable>(of type: T.Type, from text: String, decode: (String) throws -> T) rethrows -> T {
        let key = Key(type: ObjectIdentifier(type), text: text)
        if let known = entries.withLock({ $0.values[key] }) as? T { return known }
        let decoded = try decode(text)
        let cost = Self.cost(ofText: text)
        guard cost <= largestRemembered else { return decoded }
        entries.withLock { entries in
            // Another task may have stored the same key meanwhile: charge it once.
            guard entries.values[key] == nil else { return }
            if entries.bytes + cost > budget {
                entries.values.removeAll(keepingCapacity: true)
                entries.bytes = 0
            }
            entries.values[key] = decoded
            entries.bytes += cost
        }
        return decoded
    }
}
