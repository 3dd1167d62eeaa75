/// Where one decoded field sat in a buffer, and what it meant.
///
/// Decoders produce spans as a side effect of reading, so an annotated hex dump can never
/// drift from the bytes it annotates.
public struct FieldSpan: Equatable, Sendable, CustomStringConvertible {
    /// Byte range within the buffer the decoder was given (packet-relative for SMB messages,
    /// i.e. offset 0 is the 0xFF of `\xFFSMB`).
    public var range: Range<Int>
    /// Dotted field name, e.g. `header.flags2` or `ReadAndX.response.DataLength`.
    public var name: String
    /// The decoded value, rendered for people (`0xc807`, `"NT LM 0.12"`, `STATUS_SUCCESS`).
    public var value: String
    /// What the value means, when that is not obvious from the name.
    public var meaning: String?

    public init(range: Range<Int>, name: String, value: String, meaning: String? = nil) {
        self.range = range
        self.name = name
        self.value = value
        self.meaning = meaning
    }

    public var description: String {
        let m = meaning.map { " (\($0))" } ?? ""
        return "[\(range.lowerBound)..<\(range.upperBound)] \(name) = \(value)\(m)"
    }
}

/// A decoded value together with the spans of the fields it was read from.
public struct Annotated<Value> {
    public var value: Value
    public var spans: [FieldSpan]

    public init(value: Value, spans: [FieldSpan]) {
        self.value = value
        self.spans = spans
    }
}

extension Annotated: Sendable where Value: Sendable {}
extension Annotated: Equatable where Value: Equatable {}
