import Foundation

/// Reads a file given on the command line (`publish`, `reference import`), refusing with 65
/// and a message naming the file whatever the path holds: missing, a directory, a socket,
/// unreadable, or too large to be an input the hub expects.
///
/// The size limit keeps a mistaken path (a disk image, `/dev/zero`, a log file) from
/// exhausting memory: each command holds the whole file and what it parses from it.
enum InputFile {
    /// The largest file accepted, in bytes: a national INSEE commune file is about 3 MB,
    /// an event at most 256 KiB; larger batches of events are split into several files.
    static let maximumBytes = 64 * 1024 * 1024

    /// The file's bytes, or `AdminFailure.refusedInput` saying why there are none.
    static func contents(of path: String, maximumBytes: Int = maximumBytes) throws(AdminFailure) -> [UInt8] {
        var status = stat()
        guard stat(path, &status) == 0 else { throw refusal(path, errno) }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: throw refused(path, "is a directory, not a file")
        case S_IFSOCK: throw refused(path, "is a socket, not a file")
        case S_IFREG where Int(status.st_size) > maximumBytes: throw tooLarge(path, maximumBytes)
        default: break
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw refusal(path, errno) }
        defer { close(descriptor) }
        return try readAll(descriptor, path: path, maximumBytes: maximumBytes)
    }

    /// Reads to the end, stopping one byte past the limit: a pipe or a device has no size
    /// to check first.
    private static func readAll(_ descriptor: Int32, path: String, maximumBytes: Int) throws(AdminFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw refusal(path, errno)
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            if bytes.count > maximumBytes { throw tooLarge(path, maximumBytes) }
        }
    }

    private static func refused(_ path: String, _ reason: String) -> AdminFailure {
        .refusedInput("cannot read \(path): \(reason)")
    }

    private static func refusal(_ path: String, _ code: Int32) -> AdminFailure {
        refused(path, String(cString: strerror(code)).lowercased())
    }

    private static func tooLarge(_ path: String, _ maximumBytes: Int) -> AdminFailure {
        refused(path, "larger than \(maximumBytes / (1024 * 1024)) MiB, the limit for an input file (split it into several)")
    }

    /// Where byte `offset` of `bytes` lies, for people: "line L, column C" (both from 1;
    /// the column counts bytes).
    static func position(ofByte offset: Int, in bytes: [UInt8]) -> String {
        let before = bytes.prefix(max(0, min(offset, bytes.count)))
        let line = before.count { $0 == UInt8(ascii: "\n") } + 1
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        return "line \(line), column \(before.count - lineStart + 1)"
    }

    /// Why `bytes` cannot be the UTF-8 text the commands read, when its first bytes tell: a
    /// UTF-16 or UTF-32 byte order mark (what some editors and spreadsheets save by default);
    /// nil otherwise.
    static func encodingProblem(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xFF, 0xFE, 0, 0]) || bytes.starts(with: [0, 0, 0xFE, 0xFF]) {
            return "the file is UTF-32 (it starts with a UTF-32 byte order mark); save it as UTF-8"
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8"
        }
        return nil
    }
}
