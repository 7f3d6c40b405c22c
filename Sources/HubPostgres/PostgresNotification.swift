/// A notification from `NOTIFY channel, 'payload'` on a channel this connection listens to.
public struct PostgresNotification: Sendable, Hashable {
    public let channel: String
    public let payload: String
    /// The server process that sent it.
    public let processID: Int32
}
