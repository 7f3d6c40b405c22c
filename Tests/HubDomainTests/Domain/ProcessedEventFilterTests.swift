import Testing

@testable import HubDomain

/// The processed-events filter grows with what it holds: past its first capacity it keeps
/// every identity and its rate of false "maybe"s, where a filter sized once would answer
/// "maybe" for almost everything.
@Suite("Processed-event filter")
struct ProcessedEventFilterTests {
    static func identities(_ range: Range<Int>, prefix: String = "event") -> [EventIdentity] {
        range.map { EventIdentity(source: "urn:hub:test:\($0 % 7)", id: "\(prefix)-\($0)") }
    }

    /// The share of `others` (never inserted) the filter answers "maybe" for.
    static func falsePositiveRate(of filter: ProcessedEventFilter, others: [EventIdentity]) -> Double {
        Double(others.filter(filter.mightContain).count) / Double(others.count)
    }

    @Test("no false negative while it grows: every identity inserted is still answered at every step")
    func noFalseNegativesAcrossGrowth() {
        var filter = ProcessedEventFilter(capacity: 2_000)
        var inserted: [EventIdentity] = []
        for step in 0..<8 {
            let added = Self.identities(step * 5_000..<(step + 1) * 5_000)
            for identity in added { filter.insert(identity) }
            inserted += added
            #expect(inserted.allSatisfy(filter.mightContain), "a false negative after \(inserted.count) identities")
        }
        #expect(filter.layerCount > 1, "40,000 identities in a filter of 2,000 and it did not grow")
        #expect(filter.capacity >= inserted.count)
    }

    @Test("at ten times its first capacity the false-positive rate stays near the 1% target")
    func falsePositiveRateAtTenTimes() {
        let firstCapacity = 10_000
        var filter = ProcessedEventFilter(capacity: firstCapacity)
        let inserted = Self.identities(0..<10 * firstCapacity)
        for identity in inserted { filter.insert(identity) }
        #expect(filter.count >= inserted.count - inserted.count / 50, "few identities refused as already \"maybe\"")
        #expect(inserted.allSatisfy(filter.mightContain))
        // 10,000 + 20,000 + 40,000 + 80,000: four layers for 100,000 identities.
        #expect(filter.layerCount == 4)
        let rate = Self.falsePositiveRate(of: filter, others: Self.identities(0..<100_000, prefix: "never"))
        #expect(rate < 1.5 * ProcessedEventFilter.targetFalsePositiveRate, "false-positive rate \(rate) at 10x")
        // 11 bits per identity in the first layer, about 1.44 more in each next one: 14.3 on
        // average over these four.
        #expect(filter.byteCount * 8 < 15 * filter.capacity)
        print("processed-event filter at 10x its first capacity: \(filter.layerCount) layers, false-positive rate \(rate)")
    }

    @Test("when full, the first layer alone has about half the target rate")
    func firstLayerRate() {
        var filter = ProcessedEventFilter(capacity: 20_000)
        for identity in Self.identities(0..<20_000) { filter.insert(identity) }
        #expect(filter.layerCount == 1)
        let rate = Self.falsePositiveRate(of: filter, others: Self.identities(0..<50_000, prefix: "never"))
        #expect(rate < 0.008, "false-positive rate \(rate) for a 0.5% layer")
    }

    @Test("an identity already answered is not added again: the inbox and the event log count once")
    func insertIsIdempotent() {
        var filter = ProcessedEventFilter(capacity: 1024)
        let identities = Self.identities(0..<3_000)
        for identity in identities { filter.insert(identity) }
        let count = filter.count
        let layers = filter.layerCount
        for identity in identities {
            let added = filter.insert(identity)
            #expect(!added)
        }
        #expect(filter.count == count)
        #expect(filter.layerCount == layers)
        #expect(count <= identities.count && count > identities.count - 60)
    }

    @Test("a capacity below the minimum is raised to it")
    func minimumCapacity() {
        var filter = ProcessedEventFilter(capacity: 0)
        #expect(filter.capacity == ProcessedEventFilter.minimumCapacity)
        let added = filter.insert(EventIdentity(source: "s", id: "1"))
        #expect(added)
        #expect(filter.mightContain(EventIdentity(source: "s", id: "1")))
    }
}
