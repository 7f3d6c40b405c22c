import HubDomain

/// A batch of records decoded and cut into segments, ready for `BatchProcessor.process`.
public struct PreparedBatch: Sendable {
    enum Entry: Sendable {
        /// The event, the record it came from, and its payload as the event log stores it.
        case decoded(DecodedEvent, InboundRecord, canonicalData: [UInt8])
        case rejected(EventRejection, InboundRecord)
    }

    /// Consecutive entries decided on one state load, and what that load reads (`nil` when
    /// no record of the batch decoded: nothing to read).
    struct Segment: Sendable {
        var entries: Range<Int>
        var requirements: StateRequirements?
    }

    /// The records, in the order they were polled: what the offsets are committed after.
    public let messages: [InboundRecord]
    let entries: [Entry]
    /// Covering `entries`, in order.
    let segments: [Segment]

    /// State loads the batch needs.
    var stateLoads: Int { segments.count { $0.requirements != nil } }
}

/// A batch decided on the resident state before its transaction (`BatchProcessor.decideAhead`),
/// to be written by `BatchProcessor.write` if the stored state is still the one it was
/// decided on.
public struct DecidedBatch: Sendable {
    /// One segment's collected rows, and the state its decisions were applied to (the
    /// records are written from it).
    struct Segment: Sendable {
        var writes: BatchWrites
        var state: HubState
    }

    /// What to process instead if the decisions no longer hold.
    public let prepared: PreparedBatch
    let segments: [Segment]
    /// The version (`StateVersion`) the stored state must have when the batch's transaction
    /// starts.
    let expectedVersion: Int64
    /// The kept state's generation it was decided on (`ResidentStateKeeper`).
    let generation: UInt64
    /// Time spent looking up and deciding.
    let timing: BatchOutcome
}
