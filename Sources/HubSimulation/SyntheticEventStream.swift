import HubDomain

/// A deterministic stream of `count` synthetic records over a `SyntheticTerritory`:
///
/// 1. **set-up**: every CLSM declaration, then one PTSM diagnostic per département (some
///    followed at once by a version 2);
/// 2. **activity**, in chronological epochs, one per SISM edition: SISM proposals for that
///    edition (mostly accepted; some outside the window, in a commune outside the CLSM's
///    territory, from a CLSM not active, clashing with another CLSM's event; updates and
///    cancellations of earlier ones), QPV actions recorded by CLSMs, ASVs and CLS (some by a
///    CLSM outside its territory), CLSM re-declarations, new PTSM versions (and a few stale
///    re-sends), plus the invalid records and duplicates the options ask for.
///
/// `ce_id` is `synthetic-<seed>-<sequence>`; `ce_time` is derived from the position in the
/// stream (Europe/Paris wall clock). The same territory, seed, count and options give the
/// same records byte for byte. Iterating is lazy: a million records need no more memory
/// than the generator's bounded state.
///
/// Processed in order on `HubState(reference: territory.reference)`, every record marked
/// `.applied`/`.stale` decodes and is decided without `unknown_reference`.
public struct SyntheticEventStream: Sequence, Sendable {
    public var territory: SyntheticTerritory
    public var seed: UInt64
    public var count: Int
    public var options: SyntheticStreamOptions

    public init(territory: SyntheticTerritory, seed: UInt64, count: Int, options: SyntheticStreamOptions = SyntheticStreamOptions()) {
        precondition(count >= 0)
        self.territory = territory
        self.seed = seed
        self.count = count
        self.options = options
    }

    /// Number of set-up records (CLSM declarations and initial PTSM diagnostics) at the head
    /// of the stream (capped by `count`).
    public var setupCount: Int { Swift.min(count, EventGenerator.setupPlan(territory: territory, seed: seed).count) }

    public func makeIterator() -> Iterator {
        Iterator(generator: EventGenerator(territory: territory, seed: seed, count: count, options: options))
    }

    public struct Iterator: IteratorProtocol, Sendable {
        var generator: EventGenerator

        public mutating func next() -> SyntheticEvent? { generator.next() }
    }
}
