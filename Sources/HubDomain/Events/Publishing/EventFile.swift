/// Where an event sits in a file given to `hub-admin publish`: its rank among the events
/// (from 1) and, for JSON lines, its line (from 1), so a refusal can be found in an editor.
public struct EventFilePosition: Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var line: Int?

    public init(index: Int, line: Int? = nil) {
        self.index = index
        self.line = line
    }

    public var description: String { line.map { "event \(index) (line \($0))" } ?? "event \(index)" }
}

/// Why a file given to `hub-admin publish` is refused: where (nil for the file as a whole)
/// and why; `code` is the decoder's dead-letter code when the decoder refused the event,
/// i.e. what the workers would have dead-lettered it for.
public struct EventFileRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var position: EventFilePosition?
    public var reason: String
    public var code: DeadLetterCode?

    public init(position: EventFilePosition?, reason: String, code: DeadLetterCode? = nil) {
        self.position = position
        self.reason = reason
        self.code = code
    }

    public var description: String { position.map { "\($0): \(reason)" } ?? reason }
}

/// The JSON objects of a file, in one of three forms: one JSON object (possibly over many
/// lines), a JSON array of objects, or JSON lines (one object per line, blank lines
/// skipped).
public enum EventFile {
    public struct Entry: Sendable, Hashable {
        public var position: EventFilePosition
        public var object: [String: JSONValue]

        public init(position: EventFilePosition, object: [String: JSONValue]) {
            self.position = position
            self.object = object
        }
    }

    public static func entries(_ bytes: [UInt8]) throws(EventFileRefusal) -> [Entry] {
        var content = bytes[...]
        // Editors on Windows often start UTF-8 files with a byte order mark.
        if content.starts(with: [0xEF, 0xBB, 0xBF]) { content = content.dropFirst(3) }
        let whole: Result<JSONValue, JSONSyntaxError>
        do {
            whole = .success(try JSONParser.parse(Array(content)))
        } catch {
            whole = .failure(error)
        }
        switch whole {
        case .success(.array(let elements)):
            guard !elements.isEmpty else {
                throw EventFileRefusal(position: nil, reason: "the file holds an empty array: no event to publish")
            }
            var entries: [Entry] = []
            for (offset, element) in elements.enumerated() {
                let position = EventFilePosition(index: offset + 1)
                guard case .object(let object) = element else {
                    throw EventFileRefusal(position: position, reason: "is a JSON \(element.typeName), not an object")
                }
                entries.append(Entry(position: position, object: object))
            }
            return entries
        case .success(.object(let object)):
            return [Entry(position: EventFilePosition(index: 1), object: object)]
        case .success(let other):
            throw EventFileRefusal(
                position: nil, reason: "the file holds a JSON \(other.typeName), not an object, an array of objects or JSON lines")
        case .failure(let wholeError):
            return try lines(content, wholeError: wholeError)
        }
    }

    /// JSON lines. When the first line is not JSON either, the file was most likely meant as
    /// one document: the error of the whole file is the useful one.
    private static func lines(_ content: ArraySlice<UInt8>, wholeError: JSONSyntaxError) throws(EventFileRefusal) -> [Entry] {
        var entries: [Entry] = []
        for (offset, line) in content.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { !isWhitespace($0) }) else { continue }
            let position = EventFilePosition(index: entries.count + 1, line: offset + 1)
            let value: JSONValue
            do {
                value = try JSONParser.parse(Array(line))
            } catch {
                if entries.isEmpty {
                    throw EventFileRefusal(position: nil, reason: "not one JSON object, an array of objects or JSON lines: \(wholeError)")
                }
                throw EventFileRefusal(position: position, reason: "is not JSON: \(error)")
            }
            guard case .object(let object) = value else {
                throw EventFileRefusal(position: position, reason: "is a JSON \(value.typeName), not an object")
            }
            entries.append(Entry(position: position, object: object))
        }
        guard !entries.isEmpty else { throw EventFileRefusal(position: nil, reason: "the file is empty: no event to publish") }
        return entries
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}
