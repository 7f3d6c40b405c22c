import Foundation
import HubCore
import HubDomain
import HubPostgres
import Testing

/// A file an administrator could hand hub-admin by mistake or by malice, and the words the
/// refusal must hold (besides the file's path).
struct HostileFile: Sendable, CustomTestStringConvertible {
    enum Content: Sendable {
        case bytes([UInt8])
        case directory
        /// A Unix socket: not readable as a file, even by root (a file without read
        /// permission is readable by root, which the tests may run as).
        case socket
        /// A file without read permission (only meaningful when not run as root).
        case noPermission
        /// A sparse file of this many bytes: large on paper, nothing on disk.
        case sparse(Int)
        case missing
    }

    var name: String
    var content: Content
    var reason: String

    init(_ name: String, _ content: Content, reason: String) {
        self.name = name
        self.content = content
        self.reason = reason
    }

    init(_ name: String, _ text: String, reason: String) {
        self.init(name, .bytes(Array(text.utf8)), reason: reason)
    }

    var testDescription: String { "\(name): \(reason)" }

    /// Writes the file into `folder`; returns its path.
    func materialize(in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        switch content {
        case .bytes(let bytes): try Data(bytes).write(to: url)
        case .directory: try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        case .socket: try Self.bindSocket(at: url.path)
        case .noPermission:
            try Data("{}".utf8).write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: url.path)
        case .sparse(let size):
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw POSIXError(.EIO) }
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: UInt64(size))
            try handle.close()
        case .missing: break
        }
        return url
    }

    private static func bindSocket(at path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    /// Deterministic noise: the same "random" bytes on every run, so a failure can be replayed.
    static func noise(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    static func utf16(_ text: String) -> [UInt8] {
        [0xFF, 0xFE] + text.utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
    }

    /// What every hub-admin input shares: the path itself is not a readable file.
    static func unreadable(_ ext: String) -> [HostileFile] {
        let files = [
            HostileFile("directory.\(ext)", .directory, reason: "is a directory, not a file"),
            HostileFile("socket.\(ext)", .socket, reason: "is a socket, not a file"),
            HostileFile("missing.\(ext)", .missing, reason: "no such file"),
            HostileFile("huge.\(ext)", .sparse(200 * 1024 * 1024), reason: "larger than 64 MiB"),
        ]
        // Root reads a file whatever its permissions: the socket stands for it then.
        guard getuid() != 0 else { return files }
        return files + [HostileFile("no-permission.\(ext)", .noPermission, reason: "permission denied")]
    }

    static let deepJSON = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    static let hugeNumber = "1" + String(repeating: "0", count: 100_000)
    static let fewMegabytes = String(repeating: "a", count: 5_000_000)

    /// Reference data in the project's JSON format.
    static let referenceJSON: [HostileFile] =
        unreadable("json") + [
            HostileFile("empty.json", "", reason: "not valid JSON"),
            HostileFile("noise.json", .bytes(noise(count: 4096)), reason: "not valid JSON"),
            HostileFile("latin1.json", .bytes(Array(#"{"description": "caf"#.utf8) + [0xE9, 0x22, 0x7D]), reason: "invalid UTF-8"),
            HostileFile("utf16.json", .bytes(utf16(#"{"regions": []}"#)), reason: "UTF-16"),
            HostileFile("nul-bytes.json", .bytes([UInt8](repeating: 0, count: 64)), reason: "not valid JSON"),
            HostileFile("deep.json", deepJSON, reason: "nesting deeper than"),
            HostileFile("huge-number.json", #"{"sismEditions": [{"year": \#(hugeNumber)}]}"#, reason: "number out of range"),
            HostileFile("duplicate-keys.json", #"{"regions": [], "regions": []}"#, reason: #"duplicate key "regions""#),
            HostileFile("one-line.json", #"{"description": "\#(fewMegabytes)"}"#, reason: "at most 2000 characters"),
            HostileFile("lone-surrogate.json", #"{"regions": [{"code": "11", "name": "\ud800"}]}"#, reason: "lone high surrogate"),
            HostileFile(
                "lone-surrogate-bytes.json", .bytes(Array(#"{"description": ""#.utf8) + [0xED, 0xA0, 0x80, 0x22, 0x7D]),
                reason: "invalid UTF-8"),
            HostileFile("nul-in-code.json", #"{"regions": [{"code": "1\u0000", "name": "Île-de-France"}]}"#, reason: "regions[0].code"),
            HostileFile(
                "nul-in-name.json", #"{"regions": [{"code": "11", "name": "Île\u0000de-France"}]}"#,
                reason: "regions[0].name: must not contain control characters"),
            HostileFile(
                "nul-in-id.json", #"{"cls": [{"id": "cls\u0000x", "name": "CLS", "region": "11", "communes": ["93066"]}]}"#,
                reason: "cls[0].id: must not contain control characters"),
            HostileFile(
                "long-code.json",
                #"{"cls": [{"id": "\#(String(repeating: "c", count: 100_000))", "name": "CLS", "region": "11", "communes": ["93066"]}]}"#,
                reason: "cls[0].id: must have at most 100 characters"),
        ]

    static let regionHeader = "REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n"

    /// Reference data in the official CSV layouts.
    static let referenceCSV: [HostileFile] =
        unreadable("csv") + [
            HostileFile("empty.csv", "", reason: "empty file"),
            HostileFile("noise.csv", .bytes(noise(count: 4096)), reason: "not valid UTF-8"),
            HostileFile(
                "latin1.csv", .bytes(Array((regionHeader + "11,75056,1,ILE,Ile,").utf8) + [0xCE, 0x6C, 0x65, 0x0A]),
                reason: "line 2: field 6: not valid UTF-8"),
            HostileFile("utf16.csv", .bytes(utf16(regionHeader + "11,75056,1,ILE,Ile,Ile\n")), reason: "UTF-16"),
            HostileFile("nul-in-name.csv", regionHeader + "11,75056,1,ILE,Ile,Île\u{0}de-France\n", reason: "line 2: holds a NUL byte"),
            HostileFile(
                "nul-in-code.csv", "code_qp,lib_qp,insee_com\nQN0\u{0}301M,Franc-Moisin,93066\n", reason: "line 2: holds a NUL byte"),
            HostileFile(
                "control-in-name.csv", regionHeader + "11,75056,1,ILE,Ile,Île\u{1B}[31m\n",
                reason: "line 2 LIBELLE: name holds a control character"),
            HostileFile(
                "unbalanced.csv", regionHeader + "11,75056,1,\"ILE,Ile,Ile\n84,69123,1,ARA,Ara,Ara\n",
                reason: "line 2: unterminated quoted field"),
            HostileFile("quote-inside.csv", regionHeader + "11,75056,1,IL\"E,Ile,Ile\n", reason: "line 2: field 4: a quote inside a field"),
            HostileFile("after-quote.csv", "REG,LIBELLE\n11,\"Île\"-de-France\n", reason: "line 2: field 2: text after the closing quote"),
            HostileFile(
                "wide.csv", (["REG", "LIBELLE"] + (0..<10_000).map { "C\($0)" }).joined(separator: ",") + "\n11,Île\n",
                reason: "line 1: the header has more than 1000 fields"),
            HostileFile(
                "wide-row.csv", "REG,LIBELLE\n11,Île" + String(repeating: ",x", count: 10_000) + "\n",
                reason: "line 2: has more than 1000 fields"),
            HostileFile(
                "wider-than-header.csv", "REG,LIBELLE\n11,Île,x,y\n", reason: "line 2: has 4 fields, more than the 2 columns of the header"),
            HostileFile(
                "one-line.csv", regionHeader + "11,75056,1,ILE,Ile,\(fewMegabytes)\n",
                reason: "line 2 LIBELLE: name longer than 200 characters"),
            HostileFile(
                "long-code.csv", regionHeader + String(repeating: "1", count: 10_000) + ",75056,1,ILE,Ile,Ile\n",
                reason: "line 2 REG: not a region code"),
            HostileFile(
                "lone-surrogate.csv", .bytes(Array((regionHeader + "11,75056,1,ILE,Ile,").utf8) + [0xED, 0xA0, 0x80, 0x0A]),
                reason: "line 2: field 6: not valid UTF-8"),
            HostileFile("unknown-header.csv", "a,b,c\n1,2,3\n", reason: "header not recognised"),
        ]

    /// A valid CloudEvent of clsm.declared (the first example), with `change` applied.
    static func event(_ change: (inout [String: Any], inout [String: Any]) -> Void) -> String {
        var event: [String: Any] = [
            "specversion": "1.0", "id": "hostile-1", "source": "urn:clsm-tool:hostile", "type": "clsm.declared.v1",
            "time": "2026-09-01T09:00:00+02:00", "datacontenttype": "application/json",
        ]
        var data: [String: Any] = [
            "clsmId": "clsm-hostile", "name": "CLSM hostile", "region": "11", "status": "active", "scale": "communal",
            "communes": ["93066"], "governance": ["copil": true, "plenaryAssembly": false, "members": ["elected"]],
            "workingGroups": ["housing"],
        ]
        change(&event, &data)
        event["data"] = data
        let json = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data()
        return String(decoding: json, as: UTF8.self)
    }

    /// Events for `hub-admin publish`.
    static let events: [HostileFile] =
        unreadable("json") + [
            HostileFile("empty.json", "", reason: "the file is empty"),
            HostileFile("noise.json", .bytes(noise(count: 4096)), reason: "not one JSON object, an array of objects or JSON lines"),
            HostileFile("latin1.json", .bytes(Array(#"{"id": "caf"#.utf8) + [0xE9, 0x22, 0x7D]), reason: "invalid UTF-8"),
            HostileFile("utf16.json", .bytes(utf16(event { _, _ in })), reason: "UTF-16"),
            HostileFile("nul-bytes.json", .bytes([UInt8](repeating: 0, count: 64)), reason: "not one JSON object"),
            HostileFile(
                "nul-line.json", .bytes(Array((event { _, _ in } + "\n").utf8) + [0, 0x0A]), reason: "event 2 (line 2): is not JSON"),
            HostileFile("deep.json", deepJSON, reason: "nesting deeper than"),
            HostileFile("huge-number.json", #"{"clsmId": \#(hugeNumber)}"#, reason: "number out of range"),
            HostileFile("duplicate-keys.json", #"{"clsmId": "a", "clsmId": "b"}"#, reason: #"duplicate key "clsmId""#),
            HostileFile("one-line.json", event { _, data in data["name"] = fewMegabytes }, reason: "too_large"),
            HostileFile("lone-surrogate.json", #"{"clsmId": "\udc00"}"#, reason: "lone low surrogate"),
            HostileFile("nul-in-id.json", event { event, _ in event["id"] = "hostile\u{0}1" }, reason: "ce_id: holds a NUL byte"),
            HostileFile("nul-in-source.json", event { event, _ in event["source"] = "urn:\u{0}" }, reason: "ce_source: holds a NUL byte"),
            HostileFile(
                "nul-in-key.json", event { _, data in data["clsmId"] = "clsm\u{0}hostile" },
                reason: "clsmId: must not contain control characters"),
            HostileFile(
                "long-id.json", event { event, _ in event["id"] = String(repeating: "i", count: 100_000) },
                reason: "ce_id: is 100000 bytes, above the limit of 256"),
        ]
}

/// hub-admin on hostile files (issue 15): every one is refused with exit 65 and one line on
/// standard error naming the file and what is wrong; never a trap, a crash, an internal
/// failure (1) or a signal. The real executable, as an administrator runs it.
@Suite("hub-admin on hostile files", .serialized, .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct HostileFileTests {
    /// `body` with a fresh folder for the files.
    private func withFolder<T>(_ body: (URL) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestServers.uniqueName("hostile"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }

    /// Exit 65, one line on standard error, naming `path` and holding `reason`.
    static func expectRefused(_ result: AdminProcess.Result, path: String, reason: String) {
        #expect(result.status == 65, "\(result)")
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1 && result.standardError.hasSuffix("\n"), "one line on standard error:\n\(result)")
        #expect(result.standardError.hasPrefix("hub-admin: error: "), "\(result)")
        #expect(result.standardError.contains(path), "names the file:\n\(result)")
        #expect(result.standardError.contains(reason), "says \"\(reason)\":\n\(result)")
    }

    @Test(
        "reference import refuses hostile JSON and CSV files with 65, writing nothing",
        arguments: HostileFile.referenceJSON + HostileFile.referenceCSV)
    func referenceImport(_ hostile: HostileFile) async throws {
        try await withFolder { folder in
            let file = try hostile.materialize(in: folder)
            try await PostgresTestDatabase.withSchema { connection, schema in
                _ = try await PostgresMigrator(migrations: HubSchema.migrations, schema: schema).migrate(on: connection)
                // Not a dry run: a value PostgreSQL refuses must be caught before it gets there.
                let result = try await AdminProcess.run(["reference", "import", file.path], schema: schema)
                Self.expectRefused(result, path: file.path, reason: hostile.reason)
                #expect(try await StateStore().loadReference(on: connection).reference == ReferenceData(), "nothing written")
            }
        }
    }

    @Test("publish refuses hostile event files with 65, sending nothing", arguments: HostileFile.events)
    func publish(_ hostile: HostileFile) async throws {
        try await withFolder { folder in
            let file = try hostile.materialize(in: folder)
            // A dry run checks exactly what a real run checks before sending, without
            // writing to the contract's topic other tests read.
            let result = try await AdminProcess.run(["publish", "--topic", "clsm.declared", "--dry-run", file.path], schema: nil)
            Self.expectRefused(result, path: file.path, reason: hostile.reason)
        }
    }

    @Test("a file name with a line break is still named on one line of standard error")
    func lineBreakInName() async throws {
        try await withFolder { folder in
            let file = try HostileFile("two\nlines.json", "", reason: "the file is empty").materialize(in: folder)
            let result = try await AdminProcess.run(["publish", "--topic", "clsm.declared", "--dry-run", file.path], schema: nil)
            Self.expectRefused(result, path: file.path.replacingOccurrences(of: "\n", with: "\\n"), reason: "the file is empty")
        }
    }
}

/// `dlq replay` when Kafka refuses a record for good (issue 15, item 3): the record is
/// reported and left unreplayed, the others around it are republished and marked.
@Suite("hub-admin dlq replay with a record refused for good", .enabled(if: TestServers.hasDatabase && TestServers.hasKafka))
struct DeadLetterRefusedReplayTests {
    /// librdkafka's default `message.max.bytes`, which hub-admin's producer keeps.
    static let producerLimit = 1_000_000

    /// A dead-lettered record whose value alone is just under the producer's limit: with
    /// its key and headers it is above it, so the producer refuses it before sending.
    static func oversized(topic: String, offset: Int64) -> InboundRecord {
        var message = DeadLetterCommandTests.message(topic: topic, offset: offset)
        message.value = [UInt8](repeating: UInt8(ascii: "x"), count: producerLimit - 200)
        message.headers.append(RecordHeader(name: "traceparent", string: String(repeating: "t", count: 400)))
        return message
    }

    @Test("a dead letter too large for the producer is listed and left unreplayed; the ones before and after it are republished; exit 3")
    func refusedForGood() async throws {
        try await OutboxTestContext.with { context in
            let db = context.connection
            let topic = try await KafkaTestSupport.freshTopic("dlqrefused")
            let small = [DeadLetterCommandTests.message(topic: topic, offset: 0), DeadLetterCommandTests.message(topic: topic, offset: 2)]
            let big = Self.oversized(topic: topic, offset: 1)
            // As the workers would have recorded it: too large for the hub, with a long reason.
            let reason =
                "record on \(topic) is \(big.value.count) bytes, above the limit of 262144 bytes; "
                + String(repeating: "detail ", count: 300)
            try await DeadLetterStore.record(small[0], code: .unknownReference, reason: "commune 93055 unknown", on: db)
            try await DeadLetterStore.record(big, code: .tooLarge, reason: reason, on: db)
            try await DeadLetterStore.record(small[1], code: .unknownReference, reason: "commune 93055 unknown", on: db)
            let stored = try await DeadLetterStore.list(on: db)
            #expect(stored.map(\.offset) == [0, 1, 2])
            let bigSequence = stored[1].sequence

            let first = try await AdminProcess.run(["dlq", "replay", "--format", "json"], schema: context.schema)
            #expect(first.status == 3, "\(first)")
            let republished = try DeadLetterCommandTests.jsonArray(first.standardOutput)
            #expect(republished.map { $0["from_offset"] as? Int } == [0, 2], "\(first)")
            let errors = first.standardError.split(separator: "\n")
            #expect(errors.count == 2, "the refused record, then the summary:\n\(first)")
            let refusedLine = try #require(errors.first.map(String.init))
            #expect(refusedLine.contains("refused for good, left unreplayed: dead letter #\(bigSequence) to \(topic)"), "\(first)")
            #expect(refusedLine.contains("offset 1") && refusedLine.contains("\(big.value.count) bytes"), "\(first)")
            #expect(refusedLine.lowercased().contains("too large"), "the reason: \(first)")
            #expect(errors.last?.hasPrefix("hub-admin: error: 1 of 3 dead letters were refused for good by Kafka") == true, "\(first)")
            #expect(try await DeadLetterStore.unreplayed(on: db).map(\.sequence) == [bigSequence], "only the refused one stays unreplayed")

            // A later replay tries it again, refuses it again, and republishes nothing else.
            let again = try await AdminProcess.run(["dlq", "replay"], schema: context.schema)
            #expect(again.status == 3, "\(again)")
            #expect(again.standardError.contains("dead letter #\(bigSequence)"), "\(again)")
            #expect(again.standardError.contains("1 of 1 dead letters were refused for good"), "\(again)")
            #expect(try await DeadLetterStore.unreplayed(on: db).map(\.sequence) == [bigSequence])

            // On the topic: the small ones once each, byte for byte; the big one never (a
            // third record is waited for a few seconds, in vain).
            let consumer = try KafkaTestSupport.consumer(group: TestServers.uniqueName("dlqrefused"), topics: [topic])
            let received = try await KafkaTestSupport.consume(consumer, count: 3, within: .seconds(5))
            try await consumer.close()
            #expect(received.map(\.value) == small.map(\.value))
        }
    }
}
