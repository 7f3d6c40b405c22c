import Foundation
import HubCore
import HubDomain
import HubSimulation
import Testing

/// The hostile records hub-bench mixes into a stream (issue 15): deterministic, every class
/// made, and each record visibly broken in the way its class says.
@Suite("Simulation: hostile records")
struct HostileRecordsTests {
    static let territory = SyntheticTerritory.make(seed: 1)
    static let events = Array(SyntheticEventStream(territory: territory, seed: 1, count: 3000))
    static let activity = events.filter { $0.phase == .activity && $0.expectation.isProcessed }
    static let sism = activity.filter { $0.topic == InboundTopic.sismEventProposed.rawValue }

    /// Everything a consumer would see of a record, as bytes.
    static func wire(_ message: OutboundRecord) -> [UInt8] {
        Array(message.topic.utf8) + [0xFF] + (message.key ?? []) + [0xFF]
            + message.headers.flatMap { Array($0.name.utf8) + [0xFE] + ($0.value ?? [0xFD]) + [0xFF] } + message.value
    }

    /// `count` records of `hostileClass`, each from another base record and random state.
    static func records(_ hostileClass: HostileClass, count: Int = 40) -> [HostileRecord] {
        let bases = hostileClass.applies(to: "clsm.declared") ? activity : sism
        return (0..<count).map { index in
            var random = SeededRandom(seed: UInt64(index), stream: "hostile-tests")
            return HostileRecords.record(bases[index * 7 % bases.count], as: hostileClass, random: &random)
        }
    }

    @Test("the same seed gives the same hostile records, byte for byte; another seed other ones")
    func determinism() {
        let mix = HostileMix(seed: 1, fraction: 0.3)
        let first = Self.events.compactMap { mix.hostile(replacing: $0) }
        let second = Self.events.compactMap { HostileMix(seed: 1, fraction: 0.3).hostile(replacing: $0) }
        #expect(first.map { Self.wire($0.message) } == second.map { Self.wire($0.message) })
        #expect(first.map(\.detail) == second.map(\.detail))
        let other = Self.events.compactMap { HostileMix(seed: 2, fraction: 0.3).hostile(replacing: $0) }
        #expect(other.map { Self.wire($0.message) } != first.map { Self.wire($0.message) })
    }

    @Test("the fraction is a share of the activity records processed when valid; set-up and duplicates stay as they are")
    func fraction() {
        let options = SyntheticStreamOptions(duplicateFraction: 0.05)
        let events = Array(SyntheticEventStream(territory: Self.territory, seed: 1, count: 3000, options: options))
        let mix = HostileMix(seed: 1, fraction: 0.3)
        let replaced = events.filter { mix.hostile(replacing: $0) != nil }
        #expect(replaced.allSatisfy { $0.phase == .activity && $0.expectation.isProcessed })
        let eligible = events.filter { $0.phase == .activity && $0.expectation.isProcessed }.count
        let share = Double(replaced.count) / Double(eligible)
        #expect((0.25...0.35).contains(share), "share \(share)")
        #expect(events.allSatisfy { HostileMix(seed: 1, fraction: 0).hostile(replacing: $0) == nil })
        #expect(Self.activity.allSatisfy { HostileMix(seed: 1, fraction: 1).hostile(replacing: $0) != nil })
    }

    @Test("a mixed stream makes every class, the SISM ones only from SISM proposals")
    func everyClass() {
        let mix = HostileMix(seed: 1, fraction: 1)
        let records = Self.events.compactMap { mix.hostile(replacing: $0) }
        #expect(Set(records.map(\.hostileClass)) == Set(HostileClass.allCases))
        #expect(
            records.filter { [.sismStartsYear0001, .sismEndsYear9999].contains($0.hostileClass) }
                .allSatisfy { $0.base.topic == InboundTopic.sismEventProposed.rawValue })
    }

    @Test("each record differs from the valid record it replaces, in the way its class says", arguments: HostileClass.allCases)
    func differs(_ hostileClass: HostileClass) {
        for record in Self.records(hostileClass) {
            #expect(Self.wire(record.message) != Self.wire(record.base.outboundRecord()), "\(record.detail)")
            let exhibits = Self.exhibits(record)
            #expect(exhibits, "\(hostileClass): \(record.detail)")
            #expect(record.message.topic == record.base.topic)
        }
    }

    @Test("records of one class vary: several variants are drawn", arguments: HostileClass.allCases)
    func variants(_ hostileClass: HostileClass) {
        let details = Set(Self.records(hostileClass).map(\.detail))
        #expect(details.count >= 2, "\(hostileClass): \(details)")
    }

    // MARK: - What each class must show

    static func exhibits(_ record: HostileRecord) -> Bool {
        let message = record.message
        let base = record.base.outboundRecord()
        let value = message.value
        func header(_ name: String) -> [UInt8]? { message.headers.first { $0.name == name }?.value }
        func contains(_ bytes: [UInt8], _ text: String) -> Bool { bytes.firstRange(of: Array(text.utf8)) != nil }
        switch record.hostileClass {
        case .randomBytes:
            // Random bytes are not JSON (a byte or two might be, by chance: a digit).
            return value != base.value && ((try? JSONParser.parse(value)) == nil || value.count <= 2)
        case .byteFlips:
            return value.count == base.value.count && zip(value, base.value).contains { $0 != $1 }
        case .wrongTypes:
            guard case .object(let hostile)? = try? JSONParser.parse(value), case .object(let valid)? = try? JSONParser.parse(base.value)
            else { return false }
            return hostile.keys == valid.keys && hostile.contains { valid[$0.key]!.typeName != $0.value.typeName }
        case .deepNesting:
            return contains(value, String(repeating: "[", count: 65)) || contains(value, String(repeating: #"{"a":"#, count: 65))
        case .hugeNumbers:
            return HostileRecords.hugeNumbers.contains { contains(value, ":" + $0 + ",") || contains(value, ":" + $0 + "}") }
        case .invalidUTF8Value:
            return String(validating: value, as: UTF8.self) == nil
        case .invalidUTF8Header:
            return message.headers.contains { String(validating: $0.value ?? [], as: UTF8.self) == nil }
        case .loneSurrogate:
            return ["\\ud800", "\\udc00", "\\udbff", "\\udfff"].contains { contains(value, $0) }
        case .nulInJSON:
            return value.contains(0) || contains(value, "\\u0000")
        case .nulInHeaderValue:
            return message.headers.contains { ($0.value ?? []).contains(0) }
                && header("ce_id") == base.headers.first { $0.name == "ce_id" }?.value
        case .nulInKafkaKey:
            return message.key?.contains(0) == true
        case .nulInCeId:
            return header("ce_id")?.contains(0) == true
        case .duplicateKeys:
            // The value is JSON but for the duplicate, which strict parsing refuses.
            return (try? JSONParser.parse(value)) == nil && value.count > base.value.count
        case .missingCeHeader:
            return ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"].contains { header($0) == nil }
        case .duplicatedCeHeader:
            return Set(message.headers.map(\.name)).count < message.headers.count
        case .hostileCeTime:
            return header("ce_time") != base.headers.first { $0.name == "ce_time" }?.value
                && header("ce_time").map { !$0.isEmpty } == true
        case .overlongIdentity:
            return (header("ce_id")?.count ?? 0) >= 10_240 || (header("ce_source")?.count ?? 0) >= 10_240
        case .binaryHeaders:
            return message.headers != base.headers
        case .contentTypeGarbage:
            return header("content-type") != Array("application/json".utf8)
        case .structuredBadBase64:
            guard header("content-type") == Array("application/cloudevents+json".utf8),
                case .object(let object)? = try? JSONParser.parse(value), let data = object["data_base64"]
            else { return false }
            guard let text = data.stringValue, let decoded = Data(base64Encoded: text) else { return true }
            // Base64 that decodes must not give the valid payload alone.
            return (try? JSONParser.parse(Array(decoded))) == nil || object["data"] != nil
        case .structuredHostileAttributes:
            guard header("content-type") == Array("application/cloudevents+json".utf8) else { return false }
            // Not JSON at all (a lone surrogate, a member twice), or attributes other than the valid record's.
            guard case .object(var object)? = try? JSONParser.parse(value) else { return true }
            let data = object.removeValue(forKey: "data")
            let valid: [String: JSONValue] = [
                "specversion": "1.0", "id": .string(record.base.cloudEvent.id), "source": .string(record.base.cloudEvent.source),
                "type": .string(record.base.cloudEvent.type), "time": .string(record.base.cloudEvent.time.text),
                "datacontenttype": "application/json",
            ]
            return data == (try? JSONParser.parse(base.value)) && object != valid
        case .sismStartsYear0001, .sismEndsYear9999:
            let field = record.hostileClass == .sismStartsYear0001 ? "startsAt" : "endsAt"
            let times = record.hostileClass == .sismStartsYear0001 ? HostileRecords.sismStartTimes : HostileRecords.sismEndTimes
            guard case .object(var hostile)? = try? JSONParser.parse(value), case .object(var valid)? = try? JSONParser.parse(base.value)
            else { return false }
            let changed = hostile[field]?.stringValue.map(times.contains) == true
            hostile[field] = nil
            valid[field] = nil
            return changed && hostile == valid && message.headers == base.headers
        case .oversize:
            let size =
                (message.key?.count ?? 0) + message.value.count
                + message.headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
            return size > 256 * 1024
        }
    }
}
