import CPostgres
import Foundation

/// libpq's cancel object: PQcancel is documented as safe to call from another thread.
/// The lock also keeps it from being freed while a cancel is in flight.
final class LibpqCancelHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var cancel: OpaquePointer?

    init(_ cancel: OpaquePointer?) { self.cancel = cancel }

    func fire() {
        lock.lock()
        defer { lock.unlock() }
        guard let cancel else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &buffer, Int32(buffer.count))
    }

    func invalidate() {
        lock.lock()
        defer { lock.unlock() }
        if let cancel { PQfreeCancel(cancel) }
        cancel = nil
    }
}
