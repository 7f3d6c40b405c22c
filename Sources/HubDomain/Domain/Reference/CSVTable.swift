/// A small RFC 4180 reader for reference-data files: UTF-8 (a BOM is skipped), `,` or `;`
/// separator (whichever the header line uses more), quoted fields with `""` escapes, CRLF,
/// LF or CR line ends, blank lines ignored. Header names are kept as written. Strict about
/// what would otherwise be read silently wrong (see `init(parsing:)`).
public struct CSVTable: Sendable, Hashable {
    public var header: [String]
    /// Rows as they appear, each with the file line number where it starts (header = line 1).
    public var rows: [(line: Int, fields: [String])]

    public static func == (lhs: CSVTable, rhs: CSVTable) -> Bool {
        lhs.header == rhs.header && lhs.rows.map(\.fields) == rhs.rows.map(\.fields) && lhs.rows.map(\.line) == rhs.rows.map(\.line)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(header)
        hasher.combine(rows.map(\.fields))
    }

    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "CSV line \(line): \(reason)" }
    }

    /// The most columns a header may have: the official layouts have a dozen; a file with
    /// thousands is not one of them, and would only cost memory to read.
    public static let maximumColumns = 1000

    /// Parses the whole file. Refused (`SyntaxError`, with the line): a UTF-16 file, a NUL
    /// byte, a field that is not UTF-8, an unterminated quoted field, a quote inside an
    /// unquoted field or text after a closing quote, a line of more than `maximumColumns`
    /// fields, a row with more (non-empty) fields than the header.
    public init(parsing bytes: [UInt8]) throws(SyntaxError) {
        var text = bytes[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        if text.starts(with: [0xFF, 0xFE]) || text.starts(with: [0xFE, 0xFF]) {
            throw SyntaxError(line: 1, reason: "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8")
        }
        var reader = Reader(text: text, separator: Self.separator(of: text))
        let records = try reader.read()
        guard let first = records.first else { throw SyntaxError(line: 1, reason: "empty file") }
        header = first.fields.map { String($0.trimmingWhitespace()) }
        rows = Array(records.dropFirst())
    }

    /// `;` when the first line holds more of them than `,`, else `,`.
    private static func separator(of text: ArraySlice<UInt8>) -> UInt8 {
        let firstLine = text.prefix { $0 != Reader.lineFeed && $0 != Reader.carriageReturn }
        let semicolons = firstLine.count { $0 == UInt8(ascii: ";") }
        let commas = firstLine.count { $0 == UInt8(ascii: ",") }
        return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
    }

    /// The byte-level state machine. Separators, quotes and line ends are ASCII, and no
    /// byte of a multi-byte UTF-8 sequence is, so fields are cut on bytes and each is
    /// checked as UTF-8 on its own (which tells the line and field of a bad one).
    private struct Reader {
        static let lineFeed = UInt8(ascii: "\n")
        static let carriageReturn = UInt8(ascii: "\r")
        static let quote = UInt8(ascii: "\"")

        enum State { case fieldStart, unquoted, quoted, afterQuote }

        let text: ArraySlice<UInt8>
        let separator: UInt8
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var state = State.fieldStart
        var line = 1
        var recordLine = 1

        init(text: ArraySlice<UInt8>, separator: UInt8) {
            self.text = text
            self.separator = separator
        }

        mutating func read() throws(SyntaxError) -> [(line: Int, fields: [String])] {
            var index = text.startIndex
            while index < text.endIndex {
                let byte = text[index]
                index += 1
                guard byte != 0 else { throw SyntaxError(line: line, reason: "holds a NUL byte (a binary or UTF-16 file?)") }
                if state == .quoted {
                    if byte != Self.quote {
                        if byte == Self.lineFeed { line += 1 }
                        field.append(byte)
                    } else if index < text.endIndex, text[index] == Self.quote {
                        field.append(byte)
                        index += 1
                    } else {
                        state = .afterQuote
                    }
                    continue
                }
                switch byte {
                case separator:
                    try endField()
                case Self.lineFeed, Self.carriageReturn:
                    // CRLF is one line end; a lone CR (old Mac files) is one too.
                    if byte == Self.carriageReturn, index < text.endIndex, text[index] == Self.lineFeed { index += 1 }
                    try endRecord()
                    line += 1
                    recordLine = line
                case Self.quote:
                    // Spaces before an opening quote are tolerated (`a, "b"`), nothing else.
                    guard state != .afterQuote, field.allSatisfy(Self.isBlank) else {
                        throw failure("a quote inside a field that does not start with one (quote the whole field and double the quote)")
                    }
                    field = []
                    state = .quoted
                case _ where state == .afterQuote:
                    guard Self.isBlank(byte) else { throw failure("text after the closing quote of a field") }
                default:
                    field.append(byte)
                    state = .unquoted
                }
            }
            if state == .quoted { throw SyntaxError(line: recordLine, reason: "unterminated quoted field (field \(fields.count + 1))") }
            if !field.isEmpty || !fields.isEmpty || state == .afterQuote { try endRecord() }
            return records
        }

        private mutating func endField() throws(SyntaxError) {
            guard let decoded = String(validating: field, as: UTF8.self) else { throw failure("not valid UTF-8") }
            // Refused as soon as a line is too wide, before millions of empty fields are held.
            guard fields.count < CSVTable.maximumColumns else {
                let what = records.isEmpty ? "the header has" : "has"
                throw SyntaxError(
                    line: recordLine, reason: "\(what) more than \(CSVTable.maximumColumns) fields, more than a reference file may have")
            }
            fields.append(decoded)
            field = []
            state = .fieldStart
        }

        private mutating func endRecord() throws(SyntaxError) {
            try endField()
            defer { fields = [] }
            if fields.count == 1 && fields[0].isEmpty { return }  // a blank line
            guard let header = records.first?.fields else {
                records.append((recordLine, fields))
                return
            }
            // Trailing empty fields (a separator at the end of the line) are tolerated.
            guard fields.count <= header.count || fields[header.count...].allSatisfy({ $0.trimmingWhitespace().isEmpty }) else {
                throw SyntaxError(
                    line: recordLine, reason: "has \(fields.count) fields, more than the \(header.count) columns of the header")
            }
            records.append((recordLine, fields))
        }

        private func failure(_ reason: String) -> SyntaxError {
            SyntaxError(line: line, reason: "field \(fields.count + 1): \(reason)")
        }

        private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
    }

    /// The index of the first header matching one of `names` (case-insensitive, ignoring
    /// spaces, `_` and `-`).
    public func column(_ names: [String]) -> Int? {
        func normalise(_ name: String) -> String {
            String(name.lowercased().filter { !" _-".contains($0) })
        }
        let wanted = names.map(normalise)
        return header.firstIndex { wanted.contains(normalise($0)) }
    }
}
