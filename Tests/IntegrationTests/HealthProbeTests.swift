import Foundation
import HubDomain
import Testing

/// What an orchestrator sees of hub-workers during a PostgreSQL outage: `/readyz` says it
/// cannot process (503, naming the parts), `/livez` stays 200 all along (a liveness probe
/// failing on an outage would restart every worker at once, for nothing), and both are 200
/// again once PostgreSQL is back. One of the `SharedTopicsTests`: it stops the server.
extension SharedTopicsTests {
    @Suite("Health probes during an outage")
    struct HealthProbeTests {
        /// The JSON of a probe, decoded: "status", and each component's "status".
        struct Answer: Decodable {
            struct Component: Decodable {
                var status: String
                var detail: String?
            }

            var status: String
            var components: [String: Component]
        }

        static func probe(_ path: String, port: Int) async throws -> (status: Int, answer: Answer) {
            let response = try await HTTPProbe.get(port: port, path: path)
            let answer = try JSONDecoder().decode(Answer.self, from: Data(response.body.utf8))
            return (response.status, answer)
        }

        @Test("PostgreSQL stopped: /readyz turns 503 (consumer and relay not ready), /livez stays 200; both 200 after")
        func postgresStopped() async throws {
            let (run, worker) = try await SharedTopicsTests.FaultTests.startRun()
            let port = try await worker.metricsPort()
            #expect(try await Self.probe("/readyz", port: port).status == 200)

            try TestServers.environmentScript("stop-postgres")
            var started = false
            defer { if !started { try? TestServers.environmentScript("start-postgres") } }
            // Records in hand while the database is away: the consumer's loop stops polling.
            try await SharedTopicsTests.FaultTests.publish(SharedTopicsTests.FaultTests.scenario.activity, with: run)

            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(90))
            var livenessFailures: [String] = []
            var notReady: Set<String> = []
            var samples = 0
            while clock.now < deadline, !notReady.isSuperset(of: ["consumer", "outbox-relay"]) {
                let live = try await Self.probe("/livez", port: port)
                if live.status != 200 { livenessFailures.append("\(live.answer.components)") }
                let ready = try await Self.probe("/readyz", port: port)
                let parts = ready.answer.components.filter { $0.value.status != "ready" }.keys
                if !parts.isEmpty { #expect(ready.status == 503 && ready.answer.status == "unavailable") }
                notReady.formUnion(parts)
                samples += 1
                try await Task.sleep(for: .seconds(1))
            }
            #expect(notReady.isSuperset(of: ["consumer", "outbox-relay"]), "not ready: \(notReady), log:\n\(worker.log.suffix(3000))")
            #expect(livenessFailures.isEmpty, "/livez failed during the outage: \(livenessFailures.prefix(3))")
            #expect(samples > 20)

            try TestServers.environmentScript("start-postgres")
            started = true
            #expect(
                try await Eventually.wait(timeout: .seconds(90)) { try await Self.probe("/readyz", port: port).status == 200 },
                "not ready again after the outage; log:\n\(worker.log.suffix(3000))")
            #expect(try await Self.probe("/livez", port: port).status == 200)
            // The worker goes on: everything published is processed, nothing twice.
            try await SharedTopicsTests.FaultTests.expectConsistentOutcome(run, workers: [worker])
            #expect(await worker.stop() == 0)
            await run.finish()
        }
    }
}
