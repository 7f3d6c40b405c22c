import HubCore
import HubDomain
import Testing

@Suite("Configuration from the environment")
struct HubConfigurationTests {
    let database = ["HUB_DATABASE_URL": "postgresql://hub:secret@127.0.0.1:5432/hub"]

    @Test("defaults: group clsm-hub, batches of 2,000")
    func defaults() throws {
        let configuration = try HubConfiguration(environment: HubEnvironment(database))
        #expect(configuration.groupID == "clsm-hub")
        #expect(configuration.batchSize == 2000)
        #expect(!configuration.description.contains("secret"), "secrets are never printed")
    }

    @Test("HUB_BATCH_SIZE sets the batch size")
    func batchSize() throws {
        let configuration = try HubConfiguration(environment: HubEnvironment(database.merging(["HUB_BATCH_SIZE": "2000"]) { $1 }))
        #expect(configuration.batchSize == 2000)
    }

    @Test("an unusable HUB_BATCH_SIZE is refused with the variable's name", arguments: ["0", "-3", "many", "20001"])
    func invalidBatchSize(_ value: String) {
        #expect {
            try HubConfiguration(environment: HubEnvironment(database.merging(["HUB_BATCH_SIZE": value]) { $1 }))
        } throws: { error in
            "\(error)".contains("HUB_BATCH_SIZE=\(value)")
        }
    }

    @Test("HUB_BATCH_MAX_BYTES: 32 MiB unless set; out of range or not a number refused with its name")
    func batchMaxBytes() throws {
        func configuration(_ settings: [String: String]) throws -> HubConfiguration {
            try HubConfiguration(environment: HubEnvironment(database.merging(settings) { $1 }))
        }
        #expect(try configuration([:]).batchMaxBytes == 32 << 20)
        #expect(try configuration(["HUB_BATCH_MAX_BYTES": "4096"]).batchMaxBytes == 4096)
        for value in ["0", "1023", "2GiB", "\(1 << 31)"] {
            #expect {
                try configuration(["HUB_BATCH_MAX_BYTES": value])
            } throws: { error in
                "\(error)".contains("HUB_BATCH_MAX_BYTES=\(value)")
            }
        }
    }

    @Test("HUB_DATABASE_OUTAGE_GRACE: 10 s unless set, and never more than half of max.poll.interval.ms")
    func databaseOutageGrace() throws {
        func configuration(_ settings: [String: String]) throws -> HubConfiguration {
            try HubConfiguration(environment: HubEnvironment(database.merging(settings) { $1 }))
        }
        #expect(try configuration([:]).databaseOutageGraceInEffect == .seconds(10))
        #expect(try configuration(["HUB_DATABASE_OUTAGE_GRACE": "45"]).databaseOutageGraceInEffect == .seconds(45))
        let shortPolls = try configuration(["HUB_DATABASE_OUTAGE_GRACE": "45", "HUB_KAFKA_MAX_POLL_INTERVAL_MS": "8000"])
        #expect(shortPolls.databaseOutageGrace == .seconds(45))
        #expect(shortPolls.databaseOutageGraceInEffect == .seconds(4))
        #expect(shortPolls.description.contains("database outage grace: 4.0 seconds"))
        for value in ["0", "-1", "ten", "3601"] {
            #expect {
                try configuration(["HUB_DATABASE_OUTAGE_GRACE": value])
            } throws: { error in
                "\(error)".contains("HUB_DATABASE_OUTAGE_GRACE=\(value)")
            }
        }
    }

    @Test("HUB_REGIONAL_TOPICS: off unless set; true/false and their usual spellings; the relay of hub-workers reads the same")
    func regionalTopics() throws {
        let unset = try HubConfiguration(environment: HubEnvironment(database))
        #expect(!unset.regionalTopics)
        #expect(unset.description.contains("regional topics: off"))
        #expect(!OutboxRelayConfiguration.fromEnvironment(HubEnvironment(database)).regionalTopics)
        let spellings = [("true", true), ("TRUE", true), ("1", true), ("on", true), ("false", false), ("0", false), ("no", false)]
        for (value, expected) in spellings {
            let environment = HubEnvironment(database.merging(["HUB_REGIONAL_TOPICS": value]) { $1 })
            #expect(try HubConfiguration(environment: environment).regionalTopics == expected, "\(value)")
            #expect(OutboxRelayConfiguration.fromEnvironment(environment).regionalTopics == expected, "\(value)")
        }
        #expect(!OutboxRelayConfiguration().regionalTopics, "a relay made in code is off unless told")
    }

    @Test("an unusable HUB_REGIONAL_TOPICS is refused, not read as off", arguments: ["ture", "yes please", "2"])
    func invalidRegionalTopics(_ value: String) {
        #expect {
            try HubConfiguration(environment: HubEnvironment(database.merging(["HUB_REGIONAL_TOPICS": value]) { $1 }))
        } throws: { error in
            "\(error)".contains("HUB_REGIONAL_TOPICS=\(value)")
        }
    }
}
