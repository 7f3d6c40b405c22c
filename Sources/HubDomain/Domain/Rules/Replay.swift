/// The outcome of folding a sequence of events (see `RulesEngine.fold`).
public struct ReplayResult: Sendable, Hashable {
    public var state: HubState
    /// Every notification, in event order then decision order.
    public var notifications: [HubNotification]
    /// Events refused on the way (they would be dead letters), in order.
    public var rejections: [Rejected]

    public struct Rejected: Sendable, Hashable {
        public var identity: EventIdentity
        public var rejection: EventRejection

        public init(identity: EventIdentity, rejection: EventRejection) {
            self.identity = identity
            self.rejection = rejection
        }
    }
}

extension RulesEngine {
    /// Replaying is folding: decide and apply each event in order, starting from `state`.
    /// Refused events leave the state untouched and are reported, like dead letters. The same
    /// events in the same order always give the same result, byte for byte.
    public func fold<S: Sequence>(_ events: S, from state: HubState) -> ReplayResult where S.Element == DecodedEvent {
        var result = ReplayResult(state: state, notifications: [], rejections: [])
        for event in events {
            do {
                let decision = try decide(event, in: result.state)
                result.state.apply(decision.changes)
                result.notifications += decision.notifications
            } catch {
                result.rejections.append(.init(identity: event.identity, rejection: error))
            }
        }
        return result
    }
}
