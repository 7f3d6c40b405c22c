import Foundation

#if canImport(Glibc)
    import Glibc

    private func closeDescriptor(_ descriptor: Int32) { _ = Glibc.close(descriptor) }
    private let listenOn = Glibc.listen
#elseif canImport(Darwin)
    import Darwin

    private func closeDescriptor(_ descriptor: Int32) { _ = Darwin.close(descriptor) }
    private let listenOn = Darwin.listen
#endif

/// A TCP proxy on loopback that a test controls, to put a network partition between a
/// client and a server: it listens on an ephemeral 127.0.0.1 port and forwards each
/// connection to `target`. `cut()` stops forwarding in both directions while every socket
/// stays open: the kernel still acknowledges what each side sends, so neither side sees an
/// error, a reset or a close, only silence (what a partition behind a proxy or a NAT looks
/// like, and what TCP keepalives cannot detect). `heal()` resumes forwarding, including
/// what was sent meanwhile, as TCP would retransmit it. Connections opened during a cut are
/// accepted and stay silent too.
///
/// Threads and plain sockets, no external tool: one thread accepts, one per connection
/// forwards. Every open socket is listed under `lock`, and closed only under it, so that
/// `close()` never touches a descriptor number that was reused.
final class TCPProxy: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The port clients connect to (on 127.0.0.1).
    let port: Int
    let targetHost: String
    let targetPort: Int

    private let lock = NSLock()
    private let listener: Int32
    private var isCut = false
    private var isClosed = false
    /// Both sockets of each forwarded connection, client first.
    private var pairs: [Int: (client: Int32, server: Int32)] = [:]
    private var accepted = 0

    /// Listens at once; `targetHost` is an IPv4 address (the test servers run on loopback).
    init(targetHost: String, targetPort: Int) throws {
        self.targetHost = targetHost
        self.targetPort = targetPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        _ = setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = try Self.address("127.0.0.1", port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listenOn(listener, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            closeDescriptor(listener)
            throw Failure(description: "cannot listen on 127.0.0.1: \(reason)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops forwarding, in both directions, on every connection (open or to come).
    func cut() { lock.withLock { isCut = true } }

    /// Forwards again, starting with what each side sent during the cut.
    func heal() { lock.withLock { isCut = false } }

    /// Closes every connection (each side sees the other close) and stops listening.
    func close() {
        lock.withLock {
            isClosed = true
            for pair in pairs.values {
                _ = shutdown(pair.client, Int32(SHUT_RDWR))
                _ = shutdown(pair.server, Int32(SHUT_RDWR))
            }
        }
    }

    /// Connections accepted so far.
    var connectionCount: Int { lock.withLock { accepted } }

    /// `url` (a libpq URI) with its host and port replaced by the proxy's.
    func proxying(databaseURL url: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw Failure(description: "not a URI: the database URL") }
        components.host = "127.0.0.1"
        components.port = port
        guard let proxied = components.string else { throw Failure(description: "cannot rebuild the database URL") }
        return proxied
    }

    // MARK: Threads

    private func acceptLoop() {
        defer { closeDescriptor(listener) }
        while !lock.withLock({ isClosed }) {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            guard let server = try? connectToTarget() else {
                closeDescriptor(client)
                continue
            }
            let key: Int? = lock.withLock {
                guard !isClosed else { return nil }
                accepted += 1
                pairs[accepted] = (client, server)
                return accepted
            }
            guard let key else {
                closeDescriptor(client)
                closeDescriptor(server)
                return
            }
            Thread { [self] in forward(client: client, server: server, key: key) }.start()
        }
    }

    private func connectToTarget() throws -> Int32 {
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard server >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = try Self.address(targetHost, port: targetPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            closeDescriptor(server)
            throw Failure(description: "cannot connect to \(targetHost):\(targetPort)")
        }
        return server
    }

    /// Copies bytes both ways until one side closes or the proxy does; while cut, reads
    /// nothing (what was sent waits in the kernel's buffers) and writes nothing.
    private func forward(client: Int32, server: Int32, key: Int) {
        defer {
            lock.withLock {
                pairs[key] = nil
                closeDescriptor(client)
                closeDescriptor(server)
            }
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let (cut, closed) = lock.withLock { (isCut, isClosed) }
            if closed { return }
            if cut {
                usleep(10_000)
                continue
            }
            var descriptors = [
                pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: server, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&descriptors, 2, 50) > 0 else { continue }
            for (index, (from, to)) in [(client, server), (server, client)].enumerated() where descriptors[index].revents != 0 {
                // A cut that came while polling holds back what is now readable.
                guard !lock.withLock({ isCut }) else { break }
                let count = read(from, &buffer, buffer.count)
                guard count > 0, writeAll(buffer, count: count, to: to) else { return }
            }
        }
    }

    private func writeAll(_ buffer: [UInt8], count: Int, to socket: Int32) -> Bool {
        var sent = 0
        while sent < count {
            let written = buffer.withUnsafeBytes { bytes in
                bytes.baseAddress.map { send(socket, $0 + sent, count - sent, Int32(MSG_NOSIGNAL)) } ?? -1
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            sent += written
        }
        return true
    }

    private static func address(_ host: String, port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw Failure(description: "\(host) is not an IPv4 address")
        }
        return address
    }
}
