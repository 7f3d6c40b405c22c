/// A Bloom filter over the identities of processed events: `mightContain` is false only
/// for an identity never inserted, and true for every identity inserted (and, rarely,
/// for others).
///
/// Why: deciding an event needs to know whether it was processed before (the inbox). A
/// worker that keeps the state in memory (`ResidentState`) can answer "certainly not" for
/// almost every new event from this filter and ask PostgreSQL only about the few it cannot
/// rule out, instead of looking up every identity of every batch in the inbox, which grows
/// with every event ever processed. A false "maybe" costs a lookup; there are no false
/// "no"s, so the inbox stays the only judge.
///
/// Hashes use Swift's `Hasher`, seeded per process: a filter is never stored or shared.
public struct ProcessedEventFilter: Sendable {
    private var words: [UInt64]
    private let bitCount: Int
    private let hashCount: Int
    /// Identities the filter was sized for; past this the false "maybe"s grow.
    public let capacity: Int
    /// Identities inserted (counting repeats).
    public private(set) var count = 0

    /// A filter for about `capacity` identities: 10 bits and 7 hashes each, about 1% of
    /// false "maybe"s when full.
    public init(capacity: Int) {
        self.capacity = max(capacity, 1024)
        bitCount = self.capacity * 10
        hashCount = 7
        words = Array(repeating: 0, count: (bitCount + 63) / 64)
    }

    public mutating func insert(_ identity: EventIdentity) {
        for bit in bits(of: identity) {
            words[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        count += 1
    }

    public func mightContain(_ identity: EventIdentity) -> Bool {
        bits(of: identity).allSatisfy { bit in words[bit >> 6] & (1 << UInt64(bit & 63)) != 0 }
    }

    /// The identity's bit positions, by double hashing (Kirsch–Mitzenmacher) of one 64-bit
    /// hash split in two halves.
    private func bits(of identity: EventIdentity) -> some Sequence<Int> {
        var hasher = Hasher()
        hasher.combine(identity.source)
        hasher.combine(identity.id)
        let hash = UInt64(bitPattern: Int64(hasher.finalize()))
        let first = hash & 0xFFFF_FFFF
        let step = (hash >> 32) | 1
        let size = UInt64(bitCount)
        return (0..<hashCount).lazy.map { index in Int((first &+ UInt64(index) &* step) % size) }
    }
}
