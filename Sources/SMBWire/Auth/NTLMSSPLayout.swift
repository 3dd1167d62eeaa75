/// One `(Len, MaxLen, BufferOffset)` triple from an NTLMSSP header (MS-NLMP §2.2.1): where a
/// variable-length field sits in the message's payload. Offsets count from the first byte of
/// the NTLMSSP message (the `N` of `NTLMSSP\0`).
public struct NTLMSSPSecurityBuffer: Equatable, Hashable, Sendable {
    public var length: UInt16
    /// Senders set it equal to `length`; receivers ignore it. Kept for exact re-encoding.
    public var maxLength: UInt16
    public var offset: UInt32

    public init(length: UInt16, maxLength: UInt16, offset: UInt32) {
        self.length = length
        self.maxLength = maxLength
        self.offset = offset
    }

    /// Byte range in the message.
    public var range: Range<Int> { Int(offset)..<(Int(offset) + Int(length)) }

    static func read(_ r: inout WireReader, _ name: String) throws -> NTLMSSPSecurityBuffer {
        let len = try r.u16(name + "Len")
        let max = try r.u16(name + "MaxLen")
        let off = try r.u32(name + "BufferOffset")
        return NTLMSSPSecurityBuffer(length: len, maxLength: max, offset: off)
    }

    func write(_ w: inout WireWriter) {
        w.u16(length)
        w.u16(maxLength)
        w.u32(offset)
    }
}

/// How a decoded NTLMSSP message was laid out on the wire.
///
/// Decision (why this exists): a message's *values* do not determine its bytes — peers order
/// the payload differently (Samba and the kernel write LM, NT, domain, user, workstation, key;
/// the MS-NLMP §4.2 examples write domain, user, workstation, LM, NT, key), some pad, some set
/// `MaxLen` ≠ `Len`, and empty fields carry arbitrary offsets. Decoders therefore keep the
/// original message bytes and each field's triple here. `encode()` reuses this layout whenever
/// it still fits — same header form and every field the same length as decoded — writing the
/// current header and field values over a copy of the original, so an untouched decoded message
/// re-encodes byte for byte and an edited one (same lengths) keeps the peer's layout. Otherwise
/// (or when `layout` is nil, as for messages built in code) the payload is laid out per
/// ``NTLMSSPPayloadStyle``: canonically by default — fields in header order right after the
/// header, no padding, `MaxLen == Len`, empty fields pointing at the current payload position,
/// as Samba does — or as the Linux 3.8 kernel builds them.
///
/// Decoders refuse what would break "decode → encode is exact": non-empty fields that overlap
/// each other or the fixed header.
public struct NTLMSSPWireLayout: Equatable, Sendable {
    /// The message as decoded.
    public let original: [UInt8]
    /// Size of the fixed header the decoder found (e.g. 64, 72 or 88 for AUTHENTICATE).
    public let headerLength: Int
    /// The header's triples, in header order.
    public let buffers: [NTLMSSPSecurityBuffer]

    init(original: [UInt8], headerLength: Int, buffers: [NTLMSSPSecurityBuffer]) {
        self.original = original
        self.headerLength = headerLength
        self.buffers = buffers
    }
}

/// The shared decode/encode steps of the three messages' variable-length payloads.
enum NTLMSSPPayload {
    /// Checks every triple against the message and works out how long the fixed header is.
    ///
    /// The header's optional tail (Version, then MIC) is not flagged anywhere reliable, so —
    /// like Samba and Windows — the decision is made from where the payload starts: the lowest
    /// offset of a non-empty field (or, if all are empty, the lowest nonzero offset they carry,
    /// else the message length); the header is the largest of `forms` that fits before it.
    /// Non-empty fields must lie inside the message, after the shortest header form, and must
    /// not overlap each other (no real peer does that, and rejecting it keeps decode → encode
    /// exact).
    static func headerLength(fields: [(name: String, buffer: NTLMSSPSecurityBuffer)],
                             messageLength: Int, forms: [Int], prefix: String) throws -> Int {
        let minimum = forms.first ?? 0
        for f in fields {
            let r = f.buffer.range
            if r.upperBound > messageLength {
                throw WireError.outOfRange(field: prefix + f.name, offset: r.lowerBound,
                                           length: r.count, limit: messageLength)
            }
            if !r.isEmpty, r.lowerBound < minimum {
                throw WireError.invalidValue(field: prefix + f.name + "BufferOffset",
                                             reason: "offset \(r.lowerBound) points into the \(minimum)-byte fixed header")
            }
        }
        let used = fields.map(\.buffer.range).filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(used, used.dropFirst()) where b.lowerBound < a.upperBound {
            let name = fields.first { $0.buffer.range == b }?.name ?? "payload"
            throw WireError.invalidValue(field: prefix + name + "BufferOffset",
                                         reason: "field \(b) overlaps another field at \(a)")
        }
        let start: Int
        if let first = used.first {
            start = first.lowerBound
        } else if let lowest = fields.map({ Int($0.buffer.offset) }).filter({ $0 >= minimum }).min() {
            start = lowest
        } else {
            start = messageLength
        }
        return forms.last { $0 <= start } ?? minimum
    }

    /// Records spans for bytes after the header that no field covers.
    static func recordPadding(_ r: inout WireReader, fields: [NTLMSSPSecurityBuffer],
                              headerLength: Int, messageLength: Int) throws {
        var cursor = headerLength
        for range in fields.map(\.range).filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > cursor {
                try r.seek(to: cursor, field: "Padding")
                try r.skip("Padding", count: range.lowerBound - cursor)
            }
            cursor = max(cursor, range.upperBound)
        }
        if messageLength > cursor {
            try r.seek(to: cursor, field: "Padding")
            try r.skip("Padding", count: messageLength - cursor)
        }
        try r.seek(to: messageLength, field: "end")
    }

    /// Reads a field's bytes and records one span whose value is `render(bytes)`.
    static func read(_ r: inout WireReader, _ name: String, _ buffer: NTLMSSPSecurityBuffer,
                     render: ([UInt8]) -> String = { summarize($0) },
                     meaning: ([UInt8]) -> String? = { _ in nil }) throws -> [UInt8] {
        let range = buffer.range
        let bytes = Array(try r.slice(name, at: range.lowerBound, count: range.count))
        if !bytes.isEmpty {
            try r.seek(to: range.upperBound, field: name)
            r.record(name, from: range.lowerBound, value: render(bytes), meaning: meaning(bytes))
        }
        return bytes
    }
}

/// How `encode()` lays out the payload when it does not reuse a decoded ``NTLMSSPWireLayout``.
public enum NTLMSSPPayloadStyle: Sendable, Equatable {
    /// Fields in header order right after the header, no padding, `MaxLen == Len`, empty
    /// fields pointing at the current payload position (Samba, Windows, the MS-NLMP examples).
    case canonical
    /// The Linux 3.8 cifs client's layout: NEGOTIATE's empty name fields carry offset 0
    /// (`build_ntlmssp_negotiate_blob`), and AUTHENTICATE leaves two zero bytes after each
    /// empty domain, user and workstation name (`build_ntlmssp_auth_blob`). Otherwise canonical.
    case linuxCIFS
}

/// One payload field to place: its bytes, and what the style asks for when it is empty.
struct NTLMSSPPayloadField {
    var name: String
    var bytes: [UInt8]
    /// Offset to record when empty: nil = the payload position, else this value (0 for the kernel).
    var emptyOffset: UInt32? = nil
    /// Zero bytes left after the field when it is empty.
    var paddingWhenEmpty = 0
}

/// Where each payload field goes when encoding, and the finished message.
struct NTLMSSPPayloadPlan {
    let headerLength: Int
    let buffers: [NTLMSSPSecurityBuffer]
    private let payloads: [[UInt8]]
    private let template: [UInt8]?
    /// The canonical payload area (fields and any padding), when no template is reused.
    private let body: [UInt8]

    init(headerLength: Int, payloads fields: [(name: String, bytes: [UInt8])], layout: NTLMSSPWireLayout?) throws {
        try self.init(headerLength: headerLength,
                      fields: fields.map { NTLMSSPPayloadField(name: $0.name, bytes: $0.bytes) }, layout: layout)
    }

    init(headerLength: Int, fields: [NTLMSSPPayloadField], layout: NTLMSSPWireLayout?) throws {
        for f in fields where f.bytes.count > Int(UInt16.max) {
            throw WireError.tooLarge(field: f.name, length: f.bytes.count, cap: Int(UInt16.max))
        }
        self.headerLength = headerLength
        self.payloads = fields.map(\.bytes)
        if let layout, Self.fits(layout, headerLength: headerLength, payloads: payloads) {
            buffers = layout.buffers
            template = layout.original
            body = []
        } else {
            var cursor = headerLength
            var out = [NTLMSSPSecurityBuffer]()
            var area = [UInt8]()
            for f in fields {
                let len = UInt16(truncatingIfNeeded: f.bytes.count)
                let offset = f.bytes.isEmpty ? f.emptyOffset ?? UInt32(truncatingIfNeeded: cursor)
                                             : UInt32(truncatingIfNeeded: cursor)
                out.append(NTLMSSPSecurityBuffer(length: len, maxLength: len, offset: offset))
                area += f.bytes
                if f.bytes.isEmpty { area += repeatElement(0, count: f.paddingWhenEmpty) }
                cursor = headerLength + area.count
            }
            buffers = out
            template = nil
            body = area
        }
    }

    private static func fits(_ layout: NTLMSSPWireLayout, headerLength: Int, payloads: [[UInt8]]) -> Bool {
        guard layout.headerLength == headerLength, layout.original.count >= headerLength,
              layout.buffers.count == payloads.count else { return false }
        for (b, p) in zip(layout.buffers, payloads) {
            guard Int(b.length) == p.count, b.range.upperBound <= layout.original.count,
                  p.isEmpty || b.range.lowerBound >= headerLength else { return false }
        }
        return true
    }

    /// `header` (exactly `headerLength` bytes, triples taken from `buffers`) plus the payload.
    func assemble(header: [UInt8]) -> [UInt8] {
        guard var out = template, header.count == headerLength else {
            return header + body
        }
        out.replaceSubrange(0..<headerLength, with: header)
        for (b, p) in zip(buffers, payloads) where !p.isEmpty {
            out.replaceSubrange(b.range, with: p)
        }
        return out
    }
}
