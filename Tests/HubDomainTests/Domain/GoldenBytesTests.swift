import HubTestSupport
import Testing

@testable import HubDomain

/// Swift seeds its hashing per process, so set and dictionary iteration orders change from
/// run to run. A digest of every notification record produced by the documented examples,
/// fixed here, catches any order that leaks into the bytes (the in-process replay property
/// cannot, since both replays share one seed).
///
/// When a rule's message or data changes on purpose, these digests change: that is a change
/// of the public contract (consumers see different bytes), update the constants knowingly.
@Suite("Golden bytes")
struct GoldenBytesTests {
    static let expectedDigest = "e1ec0e58-37b8-5027-b312-377923f1065d"
    static let expectedRandomDigest = "9a4c2c32-f2fb-53a4-afa2-a74974ef55c9"

    @Test("the example story produces the same notification bytes in every process")
    func golden() throws {
        var hub = try Harness.demo()
        var bytes: [UInt8] = []
        for file in try Fixture.exampleEventFiles() {
            for notification in try hub.send(try Fixture.exampleEvent(file)).notifications {
                let record = notification.outboundRecord()
                bytes += record.key! + [0x1E]
                for header in record.headers { bytes += Array(header.name.utf8) + [0x1F] + (header.value ?? []) + [0x1E] }
                bytes += record.value + [0x1D]
            }
        }
        // A SHA-1-based digest through the core's own UUID v5 (no extra test dependency).
        let digest = UUIDv5.string(namespace: UUIDv5.notificationNamespace, name: String(decoding: bytes, as: UTF8.self))
        #expect(digest == Self.expectedDigest)
    }

    @Test("a long random history produces the same notification bytes in every process")
    func goldenRandom() throws {
        var generator = RandomEvents(seed: 3)
        let result = replay(generator.sequence(count: 200), from: try Fixture.demoState())
        var bytes: [UInt8] = []
        for record in result.notifications { bytes += record + [0x1D] }
        #expect(result.notifications.count > 100)
        let digest = UUIDv5.string(namespace: UUIDv5.notificationNamespace, name: String(decoding: bytes, as: UTF8.self))
        #expect(digest == Self.expectedRandomDigest)
    }
}
