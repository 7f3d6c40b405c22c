import Foundation
import HubCore
import HubDomain
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// Metrics and health of `hub-workers` over HTTP:
///
/// - `GET /metrics`: every swift-metrics metric of the process, Prometheus text format,
///   `hub_build_info` among them.
/// - `GET /livez`: whether the process works: `200 {"status":"ok","components":{…}}` unless
///   a part reports a fatal state (see `HealthState`), `503` with `"status":"unavailable"`
///   then. A PostgreSQL or broker outage does not fail it: restarting would not help.
/// - `GET /readyz`: whether it can process now: `200` when every part is ready (the consumer
///   polled in the last 30 s, the relay not failing for 30 s), `503` otherwise, with the same
///   JSON detail.
/// - `GET /health`: the same as `/readyz`, kept for the configurations written before
///   `/livez` and `/readyz` (deprecated; to be removed in a later version).
///
/// `HUB_METRICS_PORT` (default 9464) and `HUB_METRICS_HOST` (default `127.0.0.1`, loopback
/// only; set `0.0.0.0` to serve other machines, e.g. a Prometheus in another container).
enum WorkersObservability {
    static let defaultPort = 9464
    static let defaultHost = "127.0.0.1"

    /// The registry behind the metrics system; bootstrapped once per process, with
    /// `hub_build_info{version,swift} 1` (which build runs, as `hub-workers --version` says).
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        Gauge(label: "hub_build_info", dimensions: HubBuild.infoLabels).record(1)
        return registry
    }()

    /// Bootstraps swift-metrics with Prometheus. Call before creating anything that makes
    /// metrics (a metric made earlier stays a no-op).
    @discardableResult
    static func bootstrapMetrics() -> PrometheusCollectorRegistry { registry }

    struct Settings: Sendable {
        var host: String
        var port: Int

        init(environment: HubEnvironment = HubEnvironment()) throws {
            host = environment["HUB_METRICS_HOST"] ?? WorkersObservability.defaultHost
            if let text = environment["HUB_METRICS_PORT"] {
                guard let port = Int(text), (0...65535).contains(port) else {
                    throw InvalidSetting(description: "HUB_METRICS_PORT must be a port number (0-65535), not \"\(text)\"")
                }
                self.port = port
            } else {
                port = WorkersObservability.defaultPort
            }
        }
    }

    struct InvalidSetting: Error, CustomStringConvertible {
        var description: String
    }

    /// The HTTP service serving `/metrics`, `/livez`, `/readyz` and `/health`, to run in the
    /// workers' ServiceGroup.
    static func makeServices(health: HealthState, settings: Settings, logger: Logger) -> [any Service] {
        let registry = bootstrapMetrics()
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("livez") { _, _ in probeResponse(health.report(for: .liveness)) }
        router.get("readyz") { _, _ in probeResponse(health.report(for: .readiness)) }
        router.get("health") { _, _ in probeResponse(health.report(for: .readiness)) }
        var httpLogger = logger
        httpLogger.logLevel = max(logger.logLevel, .notice)  // no line per scrape
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "hub-workers"),
            onServerRunning: { channel in
                logger.info(
                    "metrics and health endpoint listening",
                    metadata: [
                        "address": "\(channel.localAddress.map { "\($0)" } ?? "\(settings.host):\(settings.port)")"
                    ])
            },
            logger: httpLogger)
        return [application]
    }

    /// A probe's answer: 200 when it passes, 503 otherwise, the report as JSON either way
    /// (keys sorted, so that two answers compare as text).
    static func probeResponse(_ report: HealthState.Report) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(report)) ?? Data(#"{"status":"unavailable"}"#.utf8)
        return Response(
            status: report.isOK ? .ok : .serviceUnavailable,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
