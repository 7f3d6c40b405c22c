import CKafka
import Foundation
import HubDomain
import Logging

/// An idempotent Kafka producer: records are written once and in order per partition even
/// when librdkafka retries, and each send returns once the broker acknowledged it.
///
/// librdkafka reports deliveries from `rd_kafka_poll`, which a dedicated thread calls, so
/// no Swift concurrency thread ever blocks on it.
public final class KafkaProducer: Sendable {
    private let client: KafkaClient
    private let poller: KafkaPollingThread
    private let closed = Locked(false)
    private let logger: Logger

    /// Properties the hub relies on; the environment may not weaken idempotence.
    static let requiredProperties = ["enable.idempotence": "true", "acks": "all"]
    static let defaultProperties = ["linger.ms": "5", "message.timeout.ms": "60000", "socket.keepalive.enable": "true"]

    public init(configuration: KafkaConfiguration, logger: Logger) throws {
        var effective = configuration.withDefaults(Self.defaultProperties)
        for (property, value) in Self.requiredProperties {
            effective = effective.setting(property, value)
        }
        self.logger = logger
        client = try KafkaClient(role: .producer, configuration: effective, logger: logger) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                guard let message, let opaque = message.pointee._private else { return }
                let pending = Unmanaged<PendingDelivery>.fromOpaque(opaque).takeRetainedValue()
                pending.complete(with: message.pointee)
            }
        }
        poller = KafkaPollingThread(name: "kafka-producer-poll", client: client) { handle in
            rd_kafka_poll(handle, 100)
        }
    }

    deinit {
        poller.stop()
    }

    /// Sends one record and waits for the broker's acknowledgement.
    @discardableResult
    public func send(_ message: OutboundRecord) async throws -> DeliveryReport {
        try await send([message])[0].get()
    }

    /// Sends records in order and waits for all acknowledgements; one result per record,
    /// in the same order. Records to one partition are written in the order given.
    ///
    /// A record the client refuses before sending it (`KafkaError.isRecordRefused`, e.g.
    /// larger than `message.max.bytes`) gets its failure in the results and the others are
    /// still sent: one bad record must not stop the ones around it. Other failures to queue
    /// (closed, fatal, unknown topic...) throw, after the records already queued are
    /// acknowledged or failed.
    public func send(_ messages: [OutboundRecord]) async throws -> [Result<DeliveryReport, KafkaError>] {
        guard !closed.current else { throw KafkaError(kind: .closed, operation: "send", message: "the producer is closed") }
        let batch = DeliveryBatch(count: messages.count)
        var failure: (any Error)?
        for (index, message) in messages.enumerated() {
            if failure != nil {
                batch.record(
                    .failure(
                        KafkaError(
                            kind: .operationFailed, operation: "produce to \(message.topic)",
                            message: "not queued: an earlier record of the batch could not be")), at: index)
                continue
            }
            do {
                try await enqueue(message, as: PendingDelivery(batch: batch, index: index))
            } catch let error as KafkaError where error.isRecordRefused {
                batch.record(.failure(error), at: index)
            } catch {
                let error =
                    error as? KafkaError
                    ?? KafkaError(kind: .operationFailed, operation: "produce to \(message.topic)", message: "\(error)")
                failure = error
                batch.record(.failure(error), at: index)
            }
        }
        let results = await batch.results()
        if let failure { throw failure }
        return results
    }

    /// Waits until every queued record is delivered or failed.
    public func flush(timeout: Duration = .seconds(30)) throws {
        let result = rd_kafka_flush(client.handle, Int32(timeout.milliseconds))
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(result, operation: "flush producer (\(rd_kafka_outq_len(client.handle)) records still queued)")
        }
    }

    /// Flushes, then stops the polling thread. Further sends fail.
    public func close(timeout: Duration = .seconds(30)) throws {
        guard
            closed.withLock({
                let was = $0
                $0 = true
                return !was
            })
        else { return }
        defer { poller.stop() }
        try flush(timeout: timeout)
    }

    private func enqueue(_ message: OutboundRecord, as pending: PendingDelivery) async throws {
        while true {
            let opaque = Unmanaged.passRetained(pending).toOpaque()
            let headers = KafkaNative.headers(message.headers)
            let result = message.value.withUnsafeBytes { value in
                withOptionalBytes(message.key) { key in
                    hub_kafka_produce(
                        client.handle, message.topic, message.partition ?? RD_KAFKA_PARTITION_UA,
                        key.baseAddress, key.count, value.baseAddress, value.count, headers, 0, opaque)
                }
            }
            if result == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            // Not queued: librdkafka kept neither the headers nor the opaque.
            if let headers { rd_kafka_headers_destroy(headers) }
            Unmanaged<PendingDelivery>.fromOpaque(opaque).release()
            if result == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                // Back-pressure: the local queue drains as the broker acknowledges.
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            throw fatalOr(KafkaError(result, operation: "produce to \(message.topic)"))
        }
    }

    private func fatalOr(_ error: KafkaError) -> KafkaError {
        guard error.code == RD_KAFKA_RESP_ERR__FATAL.rawValue else { return error }
        var text = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(client.handle, &text, text.count)
        return KafkaError(kind: .fatal, code: code.rawValue, operation: error.operation, message: String(errorBuffer: text))
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    guard let bytes else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    return bytes.withUnsafeBytes(body)
}

/// One record awaiting its delivery report; retained by librdkafka until then.
final class PendingDelivery: @unchecked Sendable {
    let batch: DeliveryBatch
    let index: Int

    init(batch: DeliveryBatch, index: Int) {
        self.batch = batch
        self.index = index
    }

    func complete(with record: rd_kafka_message_t) {
        let topic = record.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        if record.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            batch.record(.success(DeliveryReport(topic: topic, partition: record.partition, offset: record.offset)), at: index)
        } else {
            batch.record(.failure(KafkaError(record.err, kind: .deliveryFailed, operation: "deliver to \(topic)")), at: index)
        }
    }
}

/// Collects delivery reports for a group of records and wakes the sender once all came.
final class DeliveryBatch: @unchecked Sendable {
    private struct State {
        var results: [Result<DeliveryReport, KafkaError>?]
        var remaining: Int
        var waiter: CheckedContinuation<[Result<DeliveryReport, KafkaError>], Never>?
    }

    private let state: Locked<State>

    init(count: Int) {
        state = Locked(State(results: Array(repeating: nil, count: count), remaining: count, waiter: nil))
    }

    func record(_ result: Result<DeliveryReport, KafkaError>, at index: Int) {
        let finished: (CheckedContinuation<[Result<DeliveryReport, KafkaError>], Never>, [Result<DeliveryReport, KafkaError>])? =
            state.withLock { state in
                state.results[index] = result
                state.remaining -= 1
                guard state.remaining == 0, let waiter = state.waiter else { return nil }
                state.waiter = nil
                return (waiter, state.results.map { $0! })
            }
        if let (waiter, results) = finished { waiter.resume(returning: results) }
    }

    func results() async -> [Result<DeliveryReport, KafkaError>] {
        await withCheckedContinuation { continuation in
            let ready: [Result<DeliveryReport, KafkaError>]? = state.withLock { state in
                if state.remaining == 0 { return state.results.map { $0! } }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// A thread that serves a client's callbacks until stopped.
final class KafkaPollingThread: @unchecked Sendable {
    private let running = Locked(true)
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, client: KafkaClient, poll: @escaping @Sendable (OpaquePointer) -> Void) {
        let thread = Thread { [running, finished] in
            while running.current { poll(client.handle) }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops polling and waits for the thread to finish its current poll.
    func stop() {
        let wasRunning = running.withLock { state in
            let was = state
            state = false
            return was
        }
        if wasRunning { finished.wait() }
    }
}
