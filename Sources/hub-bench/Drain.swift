import Foundation
import HubDomain
import HubKafka

extension Bench {
    /// Where the run's records end in each inbound partition (one past the last offset).
    func ledgerEnds() -> [TopicPartition: Int64] {
        var ends: [TopicPartition: Int64] = [:]
        for entry in ledger.entries {
            let key = TopicPartition(topic: entry.position.topic, partition: entry.position.partition)
            ends[key] = max(ends[key] ?? 0, entry.position.offset + 1)
        }
        return ends
    }

    /// Waits until the group has committed past every published record and the outbox has
    /// no unsent row (whatever became of the records: the chaos and soak runs read inbox
    /// and dead letters afterwards, or purge them). Servers may be down for a moment: a
    /// failed read is retried. Fails when nothing moves for `stall` or `timeout` passes;
    /// `logs` gives the workers' logs for the failure.
    func waitUntilDrained(label: String, stall: Duration, timeout: Duration, logs: () -> String) async throws {
        let ends = ledgerEnds()
        let partitions = Array(ends.keys)
        let deadline = clock.now.advanced(by: timeout)
        var lastChange = clock.now
        var lastReport = clock.now
        var last: (lag: Int64, unsent: Int) = (-1, -1)
        while true {
            do {
                let committed = try await admin.committedOffsets(group: group, partitions: partitions)
                let lag = ends.reduce(Int64(0)) { $0 + max(0, $1.value - (committed[$1.key] ?? 0)) }
                let unsent = try await database.query("SELECT count(*) FROM hub_outbox_unsent").scalar(Int.self)
                if lag == 0, unsent == 0 { return }
                if lag != last.lag || unsent != last.unsent { lastChange = clock.now }
                last = (lag, unsent)
                if clock.now - lastReport >= .seconds(10) {
                    say("  [\(label)] \(lag) records not yet committed by the group, \(unsent) notifications to relay")
                    lastReport = clock.now
                }
            } catch {
                if clock.now - lastReport >= .seconds(10) {
                    say("  [\(label)] progress not readable now (\(error)); trying again")
                    lastReport = clock.now
                }
            }
            guard clock.now < deadline else {
                throw RunVerdictFailure(failures: ["\(label): timed out (lag \(last.lag), unsent \(last.unsent))"], logs: logs())
            }
            guard clock.now - lastChange < stall else {
                throw RunVerdictFailure(
                    failures: ["\(label): no progress for \(stall) (lag \(last.lag), unsent \(last.unsent))"], logs: logs())
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
