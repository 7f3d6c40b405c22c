import HubDomain
import HubPostgres

/// What a `BatchProcessor` keeps from one batch to the next: the `ResidentState` that is the
/// stored state once every batch decided so far is committed, and that state's version.
///
/// A batch takes the resident state out while it changes it (changing it then copies
/// nothing) and gives it back only when it is right: after its transaction committed (a
/// batch processed in its transaction), or right after deciding (a batch decided ahead of
/// its transaction, whose transaction checks the version before writing). A batch that
/// fails after taking it leaves the processor without one, and the next batch reads
/// PostgreSQL.
final class ResidentStateKeeper: Sendable {
    struct Kept: Sendable {
        var resident: ResidentState?
        /// The version the stored state has (`StateVersion`) once every batch decided so far
        /// is committed; `nil` before any batch, or when it is unknown.
        var version: Int64?
        /// The changes to what the resident state does not hold (processed events, QPV
        /// actions) of the batch decided last: when it was decided ahead, its transaction
        /// may not have committed yet, so PostgreSQL may not show them to the next batch's
        /// lookups.
        var pendingChanges: [StateChange] = []
        /// Counts the times what is kept was replaced otherwise than by deciding a batch
        /// ahead: a batch decided on an older generation is not written.
        var generation: UInt64 = 0
    }

    private let kept = Locked(Kept())

    /// For a batch processed in its transaction: takes what is kept, leaving the version
    /// but no resident state. Batches decided ahead on it are no longer written.
    func take() -> Kept {
        kept.withLock { kept in
            defer {
                kept.resident = nil
                kept.pendingChanges = []
                kept.generation += 1
            }
            return kept
        }
    }

    /// After a batch processed in its transaction committed: the version it left, and the
    /// resident state that matches it (`nil` when another writer was seen).
    func keep(_ resident: ResidentState?, version: Int64) {
        kept.withLock { kept in
            kept = Kept(resident: resident, version: version, generation: kept.generation + 1)
        }
    }

    /// For deciding a batch ahead: takes the resident state out, if there is one, with the
    /// version it matches. Give it back with `giveBack`.
    func takeForDecidingAhead() -> Kept? {
        kept.withLock { kept in
            guard kept.resident != nil, kept.version != nil else { return nil }
            defer { kept.resident = nil }
            return kept
        }
    }

    /// Gives back what `takeForDecidingAhead` took, changed by the batch decided: ignored if
    /// what is kept was replaced or dropped meanwhile.
    func giveBack(_ decided: Kept) {
        kept.withLock { kept in
            guard kept.generation == decided.generation else { return }
            kept = decided
        }
    }

    /// Whether batches decided on `generation` may still be written.
    func isCurrent(_ generation: UInt64) -> Bool {
        kept.withLock { $0.generation == generation }
    }

    /// Drops what is kept: the stored state is not (or may not be) the one kept.
    func drop() {
        kept.withLock { kept in
            kept = Kept(generation: kept.generation + 1)
        }
    }
}
