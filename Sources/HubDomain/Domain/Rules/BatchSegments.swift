extension RulesEngine {
    /// Splits a batch so that one load per segment is enough.
    ///
    /// A worker may load the union of several events' requirements once, then decide and
    /// apply them in order on that in-memory state: records changed by earlier events are
    /// in memory already. The one requirement resolved *through* a record is
    /// `sismProgrammes` (the region of the proposing CLSM): if an earlier event of the same
    /// load declares that CLSM, the stored record did not exist or had another region when
    /// the slice was loaded, so the regional programme was loaded for the wrong region.
    /// Segments end before such an event; load again (from the state as written so far)
    /// for the next segment.
    ///
    /// Returns consecutive ranges covering `events.indices`.
    public func batchSegments(_ events: [DecodedEvent]) -> [Range<Int>] {
        var segments: [Range<Int>] = []
        var start = 0
        var declared: Set<String> = []
        for (index, event) in events.enumerated() {
            let programmeClsms = requirements(for: event).sismProgrammes.map(\.clsmId)
            if index > start, programmeClsms.contains(where: declared.contains) {
                segments.append(start..<index)
                start = index
                declared = []
            }
            if case .clsmDeclared(let payload) = event.event { declared.insert(payload.clsmId) }
        }
        if start < events.count { segments.append(start..<events.count) }
        return segments
    }
}
