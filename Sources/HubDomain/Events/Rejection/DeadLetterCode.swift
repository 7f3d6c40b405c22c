/// Why a record went to `hub.deadletter` (header `hub_error_code`). Raw values are the
/// contract's codes and must never change.
public enum DeadLetterCode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not a CloudEvents 1.0 record in binary or structured Kafka mode.
    case malformedEnvelope = "malformed_envelope"
    /// `ce_type` unknown, not the type of the topic it came on, or data not JSON.
    case unsupportedType = "unsupported_type"
    /// The payload does not match the JSON Schema of its type (every violation listed).
    case schemaViolation = "schema_violation"
    /// The payload carries personal data (e-mail, phone, NIR, fields about individuals).
    case personalData = "personal_data"
    /// The payload names a region, commune, QPV, CLSM, CLS, ASV or SISM edition the hub
    /// does not know. Replaying from the dead-letter topic after a reference import fixes it.
    case unknownReference = "unknown_reference"
    /// The record's `ce_source` may not speak for the entity it names (registered sources,
    /// `RegisteredSource`), or the record changes a SISM proposal or a QPV action that
    /// belongs to another CLSM or recorder.
    case unauthorized = "unauthorized"
    /// The record is larger than the configured limit.
    case tooLarge = "too_large"
    /// A bug or an unavailable dependency; the record is kept for replay.
    case `internal` = "internal"
}
