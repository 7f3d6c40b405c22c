import Testing

@testable import HubCore
@testable import HubDomain
@testable import HubKafka

/// How far one relayed batch moves the relay: refused rows are parked and passed, the first
/// retryable failure stops the position before it.
@Suite("Outbox relay progress and parking")
struct RelayProgressTests {
    static let tooLarge = KafkaError(kind: .operationFailed, code: 10, operation: "produce", message: "Message size too large")
    static let transport = KafkaError(kind: .deliveryFailed, code: -195, operation: "deliver", message: "Broker transport failure")

    static func rows(_ count: Int) -> [OutboxRelay.OutboxRow] {
        (1...count).map {
            OutboxRelay.OutboxRow(
                position: OutboxPosition(transaction: 7, sequence: Int64($0)),
                message: OutboundRecord(
                    topic: $0 % 2 == 0 ? "hub.deadletter" : "hub.notifications",
                    key: nil, value: []))
        }
    }

    static let delivered: Result<DeliveryReport, KafkaError> = .success(DeliveryReport(topic: "t", partition: 0, offset: 0))

    @Test("the error codes: too large and invalid records are refused for good, transport failures are not")
    func classification() {
        #expect(Self.tooLarge.isRecordRefused)
        #expect(!Self.tooLarge.isTransient)
        #expect(!Self.transport.isRecordRefused)
        #expect(Self.transport.isTransient)
        #expect(!KafkaError(kind: .fatal, code: 10, operation: "x", message: "fatal").isRecordRefused)
    }

    @Test("a refused row is parked and the position moves past it to the rows behind")
    func refusedRowIsParked() {
        let progress = RelayProgress(
            rows: Self.rows(4), results: [Self.delivered, .failure(Self.tooLarge), Self.delivered, Self.delivered])
        #expect(progress.delivered == 3)
        #expect(progress.parked.map(\.row.position.sequence) == [2])
        #expect(progress.reached?.sequence == 4)
        #expect(progress.failures.isEmpty)
        #expect(progress.deliveredTopics == ["hub.notifications": 2, "hub.deadletter": 1])
    }

    @Test("a retryable failure stops the position before it, even with refused rows after it")
    func retryableFailureStops() {
        let progress = RelayProgress(
            rows: Self.rows(5),
            results: [Self.delivered, .failure(Self.transport), Self.delivered, .failure(Self.tooLarge), Self.delivered])
        #expect(progress.delivered == 1)
        #expect(progress.parked.isEmpty)
        #expect(progress.reached?.sequence == 1)
        // Row 4, refused, is after the stop: sent again with the others, and parked then.
        #expect(progress.failures.map(\.row.position.sequence) == [2])
    }

    @Test("a batch whose first row fails for now moves nothing")
    func nothingMoves() {
        let progress = RelayProgress(rows: Self.rows(2), results: [.failure(Self.transport), Self.delivered])
        #expect(progress.reached == nil)
        #expect(progress.delivered == 0)
    }
}
