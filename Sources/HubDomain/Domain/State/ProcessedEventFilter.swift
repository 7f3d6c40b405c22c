import Foundation

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
/// **It grows with what it holds** (a scalable Bloom filter, Almeida et al. 2007). A Bloom
/// filter sized once fills up as a long-running worker processes events: past its design
/// capacity its false "maybe"s climb towards 100%, and every event is looked up again. So
/// the filter is a list of layers: identities go to the newest layer, and when that one
/// holds its capacity a new layer of twice the capacity, tuned for half the false "maybe"s,
/// is added. `mightContain` asks every layer. The false-positive rates of the layers add up
/// to at most `targetFalsePositiveRate` (0.5% + 0.25% + 0.125% + … < 1%), whatever the
/// number of identities. The price of the tighter layers is memory: 11 bits per identity in
/// the first layer, about 1.44 more in each next one (14 on average at ten times the first
/// capacity, 1.3 MiB per million identities in the first layer). A worker sizes the first
/// layer for twice what it reads at start-up, so it grows only over a long run.
///
/// An identity the filter already answers "maybe" for is not added again (`insert`
/// returns false): loading both the inbox and the event log, which hold mostly the same
/// identities, does not count them twice. No false "no" follows: the filter already says
/// "maybe" for it.
///
/// Hashes use Swift's `Hasher`, seeded per process: a filter is never stored or shared.
public struct ProcessedEventFilter: Sendable {
    /// The bound on the false "maybe"s of the whole filter, however many layers it has.
    public static let targetFalsePositiveRate = 0.01
    /// The smallest first layer.
    public static let minimumCapacity = 1024

    private var layers: [Layer]
    /// Identities added (an identity the filter already said "maybe" for is not added).
    public private(set) var count = 0

    /// A filter whose first layer holds about `capacity` identities (at least
    /// `minimumCapacity`) at 0.5% false "maybe"s; it grows past that.
    public init(capacity: Int) {
        let first = Swift.max(capacity, Self.minimumCapacity)
        layers = [Layer(capacity: first, falsePositiveRate: Self.targetFalsePositiveRate / 2)]
    }

    /// The identities the layers hold before the next one is added: the first layer's
    /// capacity, then more as it grows.
    public var capacity: Int { layers.reduce(0) { $0 + $1.capacity } }

    /// How many times the filter has grown, plus one.
    public var layerCount: Int { layers.count }

    /// The memory of the bit arrays, in bytes.
    public var byteCount: Int { layers.reduce(0) { $0 + $1.words.count * 8 } }

    /// Adds `identity`, unless the filter already answers "maybe" for it; returns whether
    /// it was added.
    @discardableResult
    public mutating func insert(_ identity: EventIdentity) -> Bool {
        let hash = Hash(identity)
        guard !contains(hash) else { return false }
        if let last = layers.last, last.count >= last.capacity {
            layers.append(Layer(capacity: last.capacity * 2, falsePositiveRate: last.falsePositiveRate / 2))
        }
        layers[layers.count - 1].insert(hash)
        count += 1
        return true
    }

    public func mightContain(_ identity: EventIdentity) -> Bool {
        contains(Hash(identity))
    }

    private func contains(_ hash: Hash) -> Bool {
        // The newest layer is the largest: most "maybe"s are found there first.
        layers.reversed().contains { $0.contains(hash) }
    }

    /// Two 64-bit hashes of an identity, for double hashing (Kirsch–Mitzenmacher): the
    /// second is the first mixed by SplitMix64's finaliser, and odd, so that its multiples
    /// step through every bit position.
    struct Hash {
        var first: UInt64
        var step: UInt64

        init(_ identity: EventIdentity) {
            var hasher = Hasher()
            hasher.combine(identity.source)
            hasher.combine(identity.id)
            first = UInt64(bitPattern: Int64(hasher.finalize()))
            var mixed = first &+ 0x9E37_79B9_7F4A_7C15
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            step = (mixed ^ (mixed >> 31)) | 1
        }
    }

    /// One classic Bloom filter, sized for `capacity` identities at `falsePositiveRate`.
    struct Layer: Sendable {
        var words: [UInt64]
        let bitCount: UInt64
        let hashCount: Int
        let capacity: Int
        let falsePositiveRate: Double
        var count = 0

        /// The optimal sizes: -ln(p) / ln(2)² bits per identity and log2(1/p) hashes.
        init(capacity: Int, falsePositiveRate: Double) {
            self.capacity = capacity
            self.falsePositiveRate = falsePositiveRate
            let bitsPerIdentity = -log(falsePositiveRate) / (log(2.0) * log(2.0))
            let bits = Swift.max(64, Int((Double(capacity) * bitsPerIdentity).rounded(.up)))
            bitCount = UInt64(bits)
            hashCount = Swift.max(1, Int((-log2(falsePositiveRate)).rounded()))
            words = Array(repeating: 0, count: (bits + 63) / 64)
        }

        mutating func insert(_ hash: Hash) {
            for index in 0..<hashCount {
                let bit = position(hash, index)
                words[Int(bit >> 6)] |= 1 << (bit & 63)
            }
            count += 1
        }

        func contains(_ hash: Hash) -> Bool {
            for index in 0..<hashCount {
                let bit = position(hash, index)
                if words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            }
            return true
        }

        private func position(_ hash: Hash, _ index: Int) -> UInt64 {
            (hash.first &+ UInt64(index) &* hash.step) % bitCount
        }
    }
}
