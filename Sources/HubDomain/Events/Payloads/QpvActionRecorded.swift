/// `qpv.action.recorded.v1`: a CLSM, ASV or CLS records an action in a priority
/// neighbourhood (QPV). Participants are a count, never a list. A later record with the same
/// `actionId` replaces the earlier one.
public struct QpvActionRecorded: Sendable, Hashable, Codable, StrictlyDecodable {
    public struct Recorder: Sendable, Hashable, Codable, StrictlyDecodable {
        public var kind: RecorderKind
        public var id: String

        public init(kind: RecorderKind, id: String) {
            self.kind = kind
            self.id = id
        }

        public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
            guard let object = StrictObject(value, at: path, allowed: ["kind", "id"], violations: &violations) else { return nil }
            let kind = object.required("kind", Strict.enumeration(RecorderKind.self), &violations)
            let id = object.required("id", Strict.identifier, &violations)
            guard let kind, let id else { return nil }
            return Self(kind: kind, id: id)
        }
    }

    public var actionId: String
    public var qpv: String
    public var recordedBy: Recorder
    public var type: QpvActionType
    public var title: String
    public var date: CalendarDate
    public var participants: Int
    /// Partner organisations (names of structures, not people).
    public var partners: [String]?

    public init(
        actionId: String, qpv: String, recordedBy: Recorder, type: QpvActionType, title: String, date: CalendarDate,
        participants: Int, partners: [String]? = nil
    ) {
        self.actionId = actionId
        self.qpv = qpv
        self.recordedBy = recordedBy
        self.type = type
        self.title = title
        self.date = date
        self.participants = participants
        self.partners = partners
    }

    public static let fields: Set<String> = ["actionId", "qpv", "recordedBy", "type", "title", "date", "participants", "partners"]

    public static func strictDecode(_ value: JSONValue, at path: JSONPath, violations: inout [Violation]) -> Self? {
        guard let object = StrictObject(value, at: path, allowed: fields, violations: &violations) else { return nil }
        let actionId = object.required("actionId", Strict.identifier, &violations)
        let qpv = object.required("qpv", Strict.qpv, &violations)
        let recordedBy = object.required("recordedBy", Strict.object(Recorder.self), &violations)
        let type = object.required("type", Strict.enumeration(QpvActionType.self), &violations)
        let title = object.required("title", Strict.string(maxLength: 300), &violations)
        let date = object.required("date", Strict.date, &violations)
        let participants = object.required("participants", Strict.integer(0...1_000_000), &violations)
        let partners = object.optional("partners", Strict.array(maxCount: 100, Strict.string(maxLength: 200)), &violations)
        guard let actionId, let qpv, let recordedBy, let type, let title, let date, let participants else { return nil }
        return Self(
            actionId: actionId, qpv: qpv, recordedBy: recordedBy, type: type, title: title, date: date,
            participants: participants, partners: partners)
    }
}
