import HubCore
import HubDomain
import Testing

/// Where a poll's records are cut into batches by bytes.
@Suite("Batch byte budget")
struct BatchByteBudgetTests {
    private static func record(_ offset: Int64, bytes: Int) -> InboundRecord {
        InboundRecord(
            topic: "sism.event.proposed", partition: 0, offset: offset, key: Array("k".utf8),
            value: [UInt8](repeating: 0x20, count: bytes), headers: [RecordHeader(name: "ce_id", value: Array("id".utf8))],
            timestampMilliseconds: nil)
    }

    @Test("ordinary records are never cut; large ones are, in order, the rest kept for the next batches")
    func cuts() {
        let budget = BatchByteBudget(maxBytes: 1_000_000)
        let small = (0..<2000).map { Self.record($0, bytes: 400) }
        #expect(budget.split(small).batch.count == 2000)
        #expect(budget.split(small).rest.isEmpty)

        let large = (0..<25).map { Self.record($0, bytes: 100_000) }
        let (batch, rest) = budget.split(large)
        #expect(batch.map(\.offset) == Array(0..<9))
        #expect(rest.map(\.offset) == Array(9..<25))
        #expect(batch.reduce(0) { $0 + $1.value.count } <= 1_000_000)
    }

    @Test("a record larger than the budget goes alone, never stays behind")
    func oversized() {
        let budget = BatchByteBudget(maxBytes: 1000)
        let records = [Self.record(0, bytes: 5000), Self.record(1, bytes: 10), Self.record(2, bytes: 5000)]
        var pending = records
        var batches: [[Int64]] = []
        while !pending.isEmpty {
            let (batch, rest) = budget.split(pending)
            batches.append(batch.map(\.offset))
            pending = rest
        }
        #expect(batches == [[0], [1], [2]])
        #expect(budget.split([]).batch.isEmpty)
    }
}
