import Foundation
import HubPostgres
import Testing

/// PostgreSQL over TLS with `sslmode=verify-full`, against a server of the test's own: a CA
/// and a server certificate made with the openssl command line, a cluster made with initdb
/// in a temporary folder that accepts only TLS connections, on a free loopback port, stopped
/// at the end whatever happens. Skipped without PostgreSQL's binaries, unless
/// HUB_REQUIRE_SERVERS=1, where their absence is a failure.
@Suite(
    "PostgreSQL over TLS",
    .enabled(if: PostgresTLSServer.binaries != nil || TestServers.required))
struct PostgresTLSTests {
    @Test("verify-full: the test CA's server is accepted over TLS; another CA and another host name are refused, saying why")
    func verifyFull() async throws {
        let binaries = try #require(
            PostgresTLSServer.binaries, "no PostgreSQL binaries in /usr/lib/postgresql/*/bin (scripts/env.sh install puts them there)")
        let server = try await PostgresTLSServer.start(binaries: binaries)
        defer { server.stop() }

        // The hub's own connection type, as HUB_DATABASE_URL would configure it.
        let verified = try PostgresConfiguration(url: server.url(host: "localhost", rootCertificate: server.caCertificate))
        #expect(verified.description.contains("sslmode=verify-full"))
        let connection = try await PostgresConnection.connect(verified)
        let ssl = try await connection.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        #expect(try ssl[0].decode(Bool.self, at: "ssl"))
        #expect(try ssl[0].decode(String?.self, at: "version")?.hasPrefix("TLS") == true)
        await connection.close()
        // The certificate names 127.0.0.1 too.
        let byAddress = try await PostgresConnection.connect(
            try PostgresConfiguration(url: server.url(host: "127.0.0.1", rootCertificate: server.caCertificate)))
        #expect(try await byAddress.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar(Bool.self))
        await byAddress.close()

        // Signed by another CA: refused, not retried, and the error says what to check.
        let otherCA = try PostgresConfiguration(url: server.url(host: "localhost", rootCertificate: server.otherCACertificate))
        let untrusted = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(otherCA) }
        #expect(untrusted?.kind == .tlsRefused, "\(String(describing: untrusted))")
        #expect(untrusted?.isTransient == false)
        #expect(untrusted?.description.contains("certificate verify failed") == true, "\(String(describing: untrusted))")
        #expect(untrusted?.description.contains("not signed by a CA of sslrootcert") == true, "\(String(describing: untrusted))")
        #expect(untrusted?.description.contains(server.password) == false)

        // The right CA, but a host name the certificate does not list.
        let otherHost = try PostgresConfiguration(url: server.url(host: "db.example.org", rootCertificate: server.caCertificate))
        let mismatch = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(otherHost) }
        #expect(mismatch?.kind == .tlsRefused, "\(String(describing: mismatch))")
        #expect(mismatch?.description.contains("does not match host name \"db.example.org\"") == true, "\(String(describing: mismatch))")

        // verify-full without any CA to check against.
        let noCA = try PostgresConfiguration(url: server.url(host: "localhost", rootCertificate: server.directory.path + "/missing.crt"))
        let missing = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(noCA) }
        #expect(missing?.kind == .tlsRefused, "\(String(describing: missing))")
        #expect(missing?.description.contains("root certificate file") == true, "\(String(describing: missing))")

        // The server takes TLS connections only (hostssl): without TLS, no entry lets one in.
        let plain = try PostgresConfiguration(url: server.url(host: "localhost", sslMode: "disable"))
        let refused = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(plain) }
        #expect(refused?.description.contains("no encryption") == true, "\(String(describing: refused))")
    }
}

/// A PostgreSQL cluster of one test, serving TLS with a certificate the test made.
final class PostgresTLSServer: Sendable {
    /// The directory of initdb and pg_ctl (Debian's, as scripts/env.sh uses), or nil.
    static let binaries: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted().reversed().map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }()

    let directory: URL
    let port: Int
    let password: String
    let binaries: String

    var caCertificate: String { directory.appendingPathComponent("ca.crt").path }
    var otherCACertificate: String { directory.appendingPathComponent("other-ca.crt").path }

    private init(directory: URL, port: Int, password: String, binaries: String) {
        self.directory = directory
        self.port = port
        self.password = password
        self.binaries = binaries
    }

    /// Makes the certificates and the cluster, and starts it.
    static func start(binaries: String) async throws -> PostgresTLSServer {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent(TestServers.uniqueName("hub-tls"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try script.write(to: directory.appendingPathComponent("server.sh"), atomically: true, encoding: .utf8)
        let server = PostgresTLSServer(
            directory: directory, port: try freeLoopbackPort(), password: "tls-" + UUID().uuidString.lowercased(),
            binaries: binaries)
        do {
            try await server.run("start")
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// Stops the server (immediately: nothing of it is kept) and removes its folder.
    func stop() {
        try? runBlocking("stop")
        try? FileManager.default.removeItem(at: directory)
    }

    /// A libpq URI for this server as `host` (the address is always 127.0.0.1, so a host
    /// name the certificate does not list reaches the same server).
    func url(host: String, rootCertificate: String? = nil, sslMode: String = "verify-full") -> String {
        var url = "postgresql://hub:\(password)@\(host):\(port)/postgres?hostaddr=127.0.0.1&sslmode=\(sslMode)&connect_timeout=10"
        if let rootCertificate {
            url += "&sslrootcert=" + (rootCertificate.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? rootCertificate)
        }
        return url
    }

    private func run(_ action: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread { continuation.resume(with: Result { try self.runBlocking(action) }) }.start()
        }
    }

    /// The script through posix_spawn and waitpid, not Foundation.Process: pg_ctl hands its
    /// inherited descriptors to the postmaster (see TestServers.environmentScript).
    private func runBlocking(_ action: String) throws {
        let arguments = ["/bin/bash", directory.appendingPathComponent("server.sh").path, action, directory.path, binaries, String(port)]
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HUB_TLS_TEST_PASSWORD=\(password)"]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], nil, nil, argv, envp)
        guard spawned == 0 else { throw TestServers.ScriptFailed(action: "TLS server \(action)", status: spawned) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw TestServers.ScriptFailed(action: "TLS server \(action)", status: -errno) }
        }
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exitStatus == 0 else {
            let log = (try? String(contentsOf: directory.appendingPathComponent("script.log"), encoding: .utf8)) ?? ""
            throw ServerFailed(action: action, status: exitStatus, log: String(log.suffix(3000)))
        }
    }

    struct ServerFailed: Error, CustomStringConvertible {
        let action: String
        let status: Int32
        let log: String
        var description: String { "the TLS test server's \(action) exited with \(status):\n\(log)" }
    }

    /// A port nobody listens on now: bound to 127.0.0.1:0, read back, released.
    static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestServers.ScriptFailed(action: "socket", status: errno) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw TestServers.ScriptFailed(action: "bind", status: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `server.sh start|stop DIR BINDIR PORT`: certificates, cluster, TLS-only access, start;
    /// or an immediate stop. Run as root, the cluster belongs to the postgres user, as in
    /// scripts/env.sh (PostgreSQL refuses to run as root).
    static let script = #"""
        set -euo pipefail
        action=$1 dir=$2 bin=$3 port=$4
        exec >>"$dir/script.log" 2>&1
        as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
        cd "$dir"
        case $action in
        start)
            ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=$1" \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout "$2.key" -out "$2.crt"; }
            ca "hub TLS test CA" ca
            ca "another CA" other-ca
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
                -keyout server.key -out server.csr
            printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
                "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >server.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt
            printf '%s\n' "$HUB_TLS_TEST_PASSWORD" >pwfile
            mkdir -p data run
            [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
            chmod 600 server.key
            as_pg "$bin/initdb" -D data -U hub --pwfile=pwfile --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8
            rm -f pwfile
            printf '%s\n' "local all all trust" "hostssl all all 127.0.0.1/32 scram-sha-256" >data/pg_hba.conf
            as_pg "$bin/pg_ctl" -D data -l server.log -w -t 60 -o "-p $port -k $dir/run -c listen_addresses=127.0.0.1 \
                -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key \
                -c fsync=off -c max_connections=20 -c shared_buffers=16MB" start || { cat server.log; exit 1; }
            ;;
        stop)
            if [ -f data/postmaster.pid ]; then as_pg "$bin/pg_ctl" -D data -m immediate -w stop; fi
            ;;
        esac
        """#
}
