// Synthetic territories and event streams: see SyntheticTerritory and SyntheticEventStream.
