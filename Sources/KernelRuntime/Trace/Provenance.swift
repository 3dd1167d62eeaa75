import SMBWire

/// Names one traced buffer within a run, so that a later buffer can say it was computed from it.
///
/// Ids are handed out by the run's ``TraceRecorder`` in the order threads ask for them: under a
/// ``SteppedRuntime`` that order is the schedule's, so one seed gives the same ids in any
/// process. Id 0 is never handed out; it marks an input whose buffer was not recorded (a test
/// that resolves every input finds it).
public struct TraceBufferID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int

    public init(_ rawValue: Int) { self.rawValue = rawValue }

    /// The id an input gets when its buffer has none (a programming slip, caught by tests).
    public static let unrecorded = TraceBufferID(0)

    public static func < (lhs: TraceBufferID, rhs: TraceBufferID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int.self) }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// `$12`: how the stepper names a buffer.
    public var description: String { "$\(rawValue)" }
}

/// One step of provenance: how a traced buffer's bytes were computed, and from which buffers.
///
/// Kernel-shaped code records the step it really took; a checker (the stepper's `why`, the
/// tests) can walk the inputs back and recompute every step from the recorded bytes.
public struct Derivation: Equatable, Sendable, Codable {
    /// What was done to the inputs. Each case says exactly how to recompute the output, so a
    /// test can redo it with SMBCrypto.
    public enum Operation: String, Equatable, Sendable, Codable, CaseIterable {
        /// A root: bytes that came from outside the computation (a scenario setting, the
        /// runtime's random generator or clock, a field the code built); ``Derivation/source``
        /// says which. No inputs.
        case given
        /// The bytes of the one input (or of its span): a field copied out of a message, a key
        /// kept in another structure.
        case copy
        /// The inputs one after another.
        case concat
        /// The one input followed by zero bytes up to ``Derivation/length`` bytes.
        case zeroPad
        /// The first ``Derivation/length`` bytes of the one input.
        case truncate
        /// The one input (UTF-8 password bytes) converted as the kernel's `E_md4hash` does: at
        /// most 128 bytes through `cifs_strtoUTF16`, as UTF-16LE.
        case passwordUTF16LE
        /// The one input (UTF-8 text) as UTF-16LE.
        case utf16LE
        /// The one input (UTF-8 text) uppercased as NTLMv2 uppercases the user name, as UTF-16LE.
        case uppercasedUTF16LE
        /// MD4 of the inputs joined.
        case md4
        /// MD5 of the inputs joined.
        case md5
        /// HMAC-MD5 keyed with the first input over the rest joined.
        case hmacMD5
        /// A 7-byte key spread over 8 bytes, seven key bits a byte (the DES key `smbhash` uses).
        case desKey
        /// DES encryption: key = the first input (8 bytes), block = the second (8 bytes).
        case desEncrypt
        /// RC4: key = the first input, data = the second.
        case rc4
        /// An SMB packet (the first input, from `0xFF 'SMB'`) with its 8-byte signature field
        /// set to a sequence number (the second input, 4 bytes little-endian) and four zero
        /// bytes: what the signature is computed over.
        case sequenceInSignatureField
        /// The inputs compared byte for byte (constant time); the output is one byte, 1 when
        /// they are equal.
        case compare
    }

    public var operation: Operation
    public var inputs: [DerivationInput]
    /// The byte count of ``Operation/zeroPad`` and ``Operation/truncate``.
    public var length: Int?
    /// Where a ``Operation/given`` root came from, in a few words.
    public var source: String?

    public init(_ operation: Operation, _ inputs: [DerivationInput] = [], length: Int? = nil, source: String? = nil) {
        self.operation = operation
        self.inputs = inputs
        self.length = length
        self.source = source
    }

    /// A root: bytes from outside the computation.
    public static func given(_ source: String) -> Derivation { Derivation(.given, source: source) }
}

/// One input of a ``Derivation``: a recorded buffer, or a span of it (a field of a message).
public struct DerivationInput: Equatable, Sendable, Codable {
    /// What the input is to the operation: `key`, `message`, `challenge`…
    public var role: String
    public var buffer: TraceBufferID
    /// The span of the buffer used, when not all of it.
    public var range: Range<Int>?

    public init(_ role: String, _ buffer: TraceBufferID, range: Range<Int>? = nil) {
        self.role = role
        self.buffer = buffer
        self.range = range
    }

    /// An input naming `buffer` (which must have been given an id).
    public init(_ role: String, _ buffer: TraceBuffer, range: Range<Int>? = nil) {
        self.init(role, buffer.id ?? .unrecorded, range: range)
    }
}

extension KernelRuntime {
    /// A buffer that later buffers can name as an input: it gets the run's next
    /// ``TraceBufferID`` (none when nothing is recorded). Build it only while tracing.
    public func traceable(
        _ name: String, _ bytes: [UInt8], spans: [FieldSpan] = [], _ derivation: Derivation? = nil
    ) -> TraceBuffer {
        TraceBuffer(name: name, bytes: bytes, spans: spans, id: recorder?.newBufferID(), derivation: derivation)
    }
}

extension TracedCall {
    /// ``KernelRuntime/traceable(_:_:spans:_:)`` on the call's runtime.
    public func traceable(
        _ name: String, _ bytes: [UInt8], spans: [FieldSpan] = [], _ derivation: Derivation? = nil
    ) -> TraceBuffer {
        runtime.traceable(name, bytes, spans: spans, derivation)
    }
}
