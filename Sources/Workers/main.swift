import Foundation
import HubCore
import Logging
import ServiceLifecycle

// hub-workers: consumes the hub's five inbound topics in one consumer group.
// Configuration comes from the environment (HUB_KAFKA_BROKERS, HUB_DATABASE_URL,
// HUB_GROUP_ID, HUB_KAFKA_*, HUB_LOG_LEVEL); SIGTERM or SIGINT stops it gracefully.
// Its only argument is `--version`: prints the version (as `hub-admin --version` does) and exits.

if CommandLine.arguments.dropFirst().contains("--version") {
    print(HubBuild.version)
    exit(0)
}

let configuration: HubConfiguration
do {
    configuration = try HubConfiguration()
} catch {
    print("hub-workers: \(error)")
    exit(2)
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = configuration.logLevel
    return handler
}
let logger = Logger(label: "hub.workers")

do {
    let workers = try await WorkersApplication.start(configuration: configuration, logger: logger)
    let group = ServiceGroup(
        configuration: .init(
            services: workers.services.map {
                .init(
                    service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
    try await group.run()
    logger.info("hub-workers stopped")
} catch {
    logger.critical("hub-workers failed", metadata: ["error": "\(error)"])
    exit(1)
}
