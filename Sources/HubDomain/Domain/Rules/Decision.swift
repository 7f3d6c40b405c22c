/// What the engine decided for one event: the state changes to store and the
/// notifications to publish, both in a deterministic order.
public struct Decision: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        /// The event was applied (changes and notifications may still be empty).
        case applied
        /// Same (`ce_source`, `ce_id`) as an event already processed: nothing happens.
        case duplicate
        /// A PTSM diagnostic whose version is not newer than the stored one: only marked processed.
        case stale
    }

    public var outcome: Outcome
    public var changes: [StateChange]
    /// Sorted by rule (table order), then recipient kind and id.
    public var notifications: [HubNotification]

    public init(outcome: Outcome, changes: [StateChange], notifications: [HubNotification]) {
        self.outcome = outcome
        self.changes = changes
        self.notifications = notifications
    }
}

/// A notification before it gets its identity: rules produce drafts, the engine stamps them
/// with cause, id and time.
struct NotificationDraft {
    var rule: NotificationRule
    var recipient: Recipient
    var region: String
    var subject: NotificationSubject
    var message: String
    var data: JSONValue
}

/// The rule functions' shared output.
struct RuleOutput {
    var changes: [StateChange] = []
    var drafts: [NotificationDraft] = []

    mutating func notify(
        _ rule: NotificationRule, to recipient: Recipient, region: String, subject: NotificationSubject, message: String, data: JSONValue
    ) {
        drafts.append(NotificationDraft(rule: rule, recipient: recipient, region: region, subject: subject, message: message, data: data))
    }
}
