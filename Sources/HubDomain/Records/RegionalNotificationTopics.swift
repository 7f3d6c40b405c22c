/// The optional per-region notification topics (contract v1.1): `hub.notifications.<region>`
/// beside `hub.notifications`, so that a prefixed or literal Kafka ACL can give each ARS
/// the notifications of its own region and nothing else.
extension HubTopics {
    /// What every regional notification topic starts with (the prefix of an ACL).
    public static let regionalNotificationsPrefix = HubTopic.notifications + "."

    /// The longest region accepted in a topic name: INSEE region codes have two digits;
    /// the bound keeps a topic name far below Kafka's 249 characters whatever the data says.
    public static let regionTopicSuffixLimit = 32

    /// `hub.notifications.<region>` (or `<base>.<region>`: tests relay to topics of their
    /// own), nil when `region` cannot be part of a topic name.
    ///
    /// Only ASCII letters and digits are taken, although Kafka also allows `.`, `_` and
    /// `-`: a `.` would nest a region inside another's prefix (an ACL on
    /// `hub.notifications.1` would match `hub.notifications.1.1`), and Kafka reports
    /// topics that differ only by `.` and `_` as colliding in its metrics.
    public static func regionalNotifications(region: String, base: String = notifications) -> String? {
        guard isTopicSafeRegion(region) else { return nil }
        return base + "." + region
    }

    /// Whether `region` can name a regional topic (see `regionalNotifications(region:)`).
    public static func isTopicSafeRegion(_ region: String) -> Bool {
        let bytes = region.utf8
        guard !bytes.isEmpty, bytes.count <= regionTopicSuffixLimit else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
    }
}
