import Dispatch

/// Runs blocking C calls one at a time on a dedicated dispatch queue, so that they never
/// hold one of Swift concurrency's few cooperative threads (2 on a 2-core machine).
public struct SerialBlockingQueue: Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
