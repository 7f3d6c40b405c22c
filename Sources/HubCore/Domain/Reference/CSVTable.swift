/// A small RFC 4180 reader for reference-data files: UTF-8 (a BOM is skipped), `,` or `;`
/// separator (whichever the header line uses more), quoted fields with `""` escapes, CRLF or
/// LF line ends, blank lines ignored. Header names are kept as written.
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

    public init(parsing bytes: [UInt8]) throws(SyntaxError) {
        var text = bytes[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        guard let decoded = String(validating: text, as: UTF8.self) else {
            throw SyntaxError(line: 1, reason: "not valid UTF-8")
        }
        let firstLine = decoded.prefix { $0 != "\n" && $0 != "\r" }
        let separator: Character = firstLine.filter { $0 == ";" }.count > firstLine.filter { $0 == "," }.count ? ";" : ","
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var iterator = Array(decoded).makeIterator()
        var pending: Character? = nil
        func endRecord() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
            fields = []
        }
        while let character = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { inQuotes = false; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: inQuotes = true
            case separator: fields.append(field); field = ""
            case "\n", "\r\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            default: field.append(character)
            }
        }
        if inQuotes { throw SyntaxError(line: recordLine, reason: "unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        guard let first = records.first else { throw SyntaxError(line: 1, reason: "empty file") }
        header = first.fields.map { String($0.trimmingWhitespace()) }
        rows = Array(records.dropFirst())
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
