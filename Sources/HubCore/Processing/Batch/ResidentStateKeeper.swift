/// What a `BatchProcessor` keeps from one batch to the next: the version of the stored
/// state its last committed transaction left, and the `ResidentState` that is that stored
/// state, when it has one.
///
/// A batch takes the resident state out for the length of its transaction (changing it
/// then copies nothing) and gives it back only once the transaction committed: a batch that
/// fails after taking it leaves the processor without one, and the next batch reads
/// PostgreSQL.
final class ResidentStateKeeper: Sendable {
    struct Kept: Sendable {
        var resident: ResidentState?
        /// The version the last committed batch left (`StateVersion`), `nil` before any.
        var version: Int64?
    }

    private let kept = Locked(Kept())

    /// Takes what is kept, leaving the version but no resident state.
    func take() -> Kept {
        kept.withLock { kept in
            defer { kept.resident = nil }
            return kept
        }
    }

    /// After a committed batch: the version it left, and the resident state that matches it
    /// (`nil` when another writer was seen).
    func keep(_ resident: ResidentState?, version: Int64) {
        kept.withLock { $0 = Kept(resident: resident, version: version) }
    }
}
