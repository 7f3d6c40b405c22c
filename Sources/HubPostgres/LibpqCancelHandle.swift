import CPostgres
import Foundation

/// libpq's cancel object: PQcancel is documented as safe to call from another thread.
///
/// PQcancel opens a connection of its own and waits for the server to close it, with no
/// time limit: through a partition it may never return. So it runs on a thread of its own
/// (whoever cancels never waits for it), and `invalidate()` never waits for it either: the
/// object is freed by whichever of the two comes last.
final class LibpqCancelHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var cancel: OpaquePointer?
    /// Cancel requests under way, each holding `cancel` alive.
    private var inFlight = 0
    private var invalidated = false

    init(_ cancel: OpaquePointer?) { self.cancel = cancel }

    /// Asks the server to cancel the running statement, without waiting for the answer.
    func fire() {
        lock.lock()
        guard cancel != nil, !invalidated else {
            lock.unlock()
            return
        }
        inFlight += 1
        lock.unlock()
        Thread {
            // Not freed while a request is under way (`inFlight`).
            self.lock.lock()
            let cancel = self.cancel
            self.lock.unlock()
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &buffer, Int32(buffer.count))
            self.lock.lock()
            self.inFlight -= 1
            self.freeIfUnused()
            self.lock.unlock()
        }.start()
    }

    /// The session is ending: no more cancel requests; the object is freed now or when the
    /// last request under way returns.
    func invalidate() {
        lock.lock()
        invalidated = true
        freeIfUnused()
        lock.unlock()
    }

    /// Lock held.
    private func freeIfUnused() {
        guard invalidated, inFlight == 0, let cancel else { return }
        PQfreeCancel(cancel)
        self.cancel = nil
    }
}
