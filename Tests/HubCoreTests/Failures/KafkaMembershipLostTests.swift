import HubKafka
import Testing

/// Which commit failures mean "the group moved on": the processing loop gives the commit up
/// (the next owner of the partitions finds the records in the inbox) instead of retrying it
/// or ending the worker.
@Suite("Kafka: membership lost")
struct KafkaMembershipLostTests {
    static let lost: [(Int32, String)] = [
        (22, "ILLEGAL_GENERATION"), (25, "UNKNOWN_MEMBER_ID"), (82, "FENCED_INSTANCE_ID"),
        (27, "REBALANCE_IN_PROGRESS"), (-142, "_ASSIGNMENT_LOST"), (-147, "_MAX_POLL_EXCEEDED"), (-172, "_STATE"),
    ]

    @Test("group errors are membership lost", arguments: lost)
    func lostMembership(_ code: Int32, _ name: String) {
        let error = KafkaError(kind: .operationFailed, code: code, operation: "commit", message: name)
        #expect(error.codeName == name)
        #expect(error.isMembershipLost)
    }

    @Test("broker, transport and record errors are not")
    func otherErrors() {
        let transport = KafkaError(kind: .operationFailed, code: -195, operation: "commit", message: "transport")
        let timedOut = KafkaError(kind: .operationFailed, code: -185, operation: "commit", message: "timed out")
        let tooLarge = KafkaError(kind: .deliveryFailed, code: 10, operation: "produce", message: "too large")
        let unreachable = KafkaError(kind: .brokersUnreachable, operation: "commit", message: "no broker")
        for error in [transport, timedOut, tooLarge, unreachable] {
            #expect(!error.isMembershipLost, "\(error)")
        }
    }
}
