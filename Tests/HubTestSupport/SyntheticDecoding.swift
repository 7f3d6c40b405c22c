import HubDomain
import HubSimulation

extension SyntheticEventStream {
    /// The stream's records that decode, decoded as the workers decode them.
    package static func decodedEvents(
        territory: SyntheticTerritory, seed: UInt64, count: Int, options: SyntheticStreamOptions = SyntheticStreamOptions()
    ) -> [DecodedEvent] {
        SyntheticEventStream(territory: territory, seed: seed, count: count, options: options).compactMap { event in
            try? InboundDecoder().decode(
                topic: event.topic, key: Array(event.key.utf8), headers: event.headers,
                value: event.cloudEvent.data)
        }
    }
}
