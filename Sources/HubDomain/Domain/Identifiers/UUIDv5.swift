import Crypto
import Foundation

/// Name-based UUIDs, version 5 (RFC 9562 §5.5: SHA-1 of namespace bytes + name bytes).
public enum UUIDv5 {
    /// RFC 9562 namespace for URLs.
    public static let urlNamespace = UUID(uuidString: "6ba7b811-9dad-11d1-80b4-00c04fd430c8")!
    /// RFC 9562 namespace for DNS names.
    public static let dnsNamespace = UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")!

    /// The namespace of notification ids: `UUIDv5(urlNamespace, "urn:clsm-hub:notification")`,
    /// written out so that other implementations can copy it. Never change it: replays must
    /// re-emit the same ids.
    public static let notificationNamespace = UUID(uuidString: "37507923-d7a0-5ffa-803b-748610b498b0")!

    public static func make(namespace: UUID, name: String) -> UUID {
        var bytes = [UInt8]()
        withUnsafeBytes(of: namespace.uuid) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(name.utf8))
        var hash = Array(Insecure.SHA1.hash(data: bytes)).prefix(16).map { $0 }
        hash[6] = (hash[6] & 0x0F) | 0x50
        hash[8] = (hash[8] & 0x3F) | 0x80
        let uuid: uuid_t = (
            hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7],
            hash[8], hash[9], hash[10], hash[11], hash[12], hash[13], hash[14], hash[15]
        )
        return UUID(uuid: uuid)
    }

    /// Lower-case text form (RFC 9562 recommends lower case for output).
    public static func string(namespace: UUID, name: String) -> String {
        make(namespace: namespace, name: name).lowercasedText
    }
}
