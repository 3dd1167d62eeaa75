/// Builds one SMB1 message: the header, then command blocks, patching AndX links as it goes.
///
/// Body encoders write at absolute packet positions (``position`` is the offset from the
/// 0xFF of the header), which is what Unicode alignment and DataOffset fields are relative to.
public struct SMBPacketEncoder {
    public private(set) var writer: WireWriter
    /// Strings are UTF-16LE (the header's FLAGS2_UNICODE).
    public let unicode: Bool
    /// Index of the AndXCommand byte of the last block, if it was an AndX block.
    private var pendingAndX: Int?
    public private(set) var blockCount = 0

    public init(header: SMBHeader, capacity: Int = 256) throws {
        writer = WireWriter(capacity: capacity)
        unicode = header.isUnicode
        try header.encode(into: &writer)
    }

    /// Packet-relative offset of the next byte written.
    public var position: Int { writer.count }
    /// The message so far.
    public var bytes: [UInt8] { writer.bytes }

    /// Appends a command block. The first block's command is written into the header; each
    /// later block is linked from the previous block's AndX header.
    ///
    /// - Parameter gapBefore: bytes between the previous block and this one (peers may pad
    ///   chained commands to 4 bytes); kept so decoded chains re-encode exactly. Ignored for
    ///   the first block, which always starts right after the header.
    public mutating func append(_ body: some SMBEncodableBlock, gapBefore: [UInt8] = []) throws {
        if blockCount == 0 {
            writer.patch8(at: 4, body.blockCommand.rawValue)
        } else {
            guard let link = pendingAndX else {
                throw WireError.invalidValue(field: "AndXCommand",
                                             reason: "\(body.blockCommand.name) cannot follow a non-AndX command")
            }
            writer.append(gapBefore)
            guard position <= Int(UInt16.max) else {
                throw WireError.tooLarge(field: "AndXOffset", length: position, cap: Int(UInt16.max))
            }
            writer.patch8(at: link, body.blockCommand.rawValue)
            writer.patch16(at: link + 2, UInt16(position))
        }
        pendingAndX = nil
        try body.encode(into: &self)
        blockCount += 1
    }

    // MARK: Helpers for body encoders

    /// Writes a WordCount placeholder; pass the returned index to ``endParameters(_:declaredWordCount:)``.
    public mutating func beginParameters() -> Int {
        let index = writer.count
        writer.u8(0)
        return index
    }

    /// Patches WordCount to the number of words written since ``beginParameters()``.
    /// `declaredWordCount` overrides it (the 42-word NT_CREATE_ANDX response carries 50).
    public mutating func endParameters(_ index: Int, declaredWordCount: UInt8? = nil) throws {
        let length = writer.count - index - 1
        guard length % 2 == 0 else {
            throw WireError.invalidValue(field: "WordCount", reason: "parameters are \(length) bytes, not whole words")
        }
        guard length / 2 <= Int(UInt8.max) else {
            throw WireError.tooLarge(field: "WordCount", length: length / 2, cap: Int(UInt8.max))
        }
        writer.patch8(at: index, declaredWordCount ?? UInt8(length / 2))
    }

    /// Writes the AndX header of this block (AndXCommand 0xFF until a later block is appended).
    /// `terminalOffset` is the AndXOffset written if no block follows (peers send 0).
    public mutating func andXHeader(reserved: UInt8 = 0, terminalOffset: UInt16 = 0) {
        pendingAndX = writer.count
        writer.u8(SMBCommand.noAndXCommand.rawValue)
        writer.u8(reserved)
        writer.u16(terminalOffset)
    }

    /// Marks the AndX header of a block written by hand (raw blocks) so a following block
    /// gets linked from it.
    public mutating func markAndX(at index: Int) {
        pendingAndX = index
    }

    /// Writes a ByteCount placeholder; pass the returned index to ``endData(_:byteCount:)``.
    public mutating func beginData() -> Int {
        let index = writer.count
        writer.u16(0)
        return index
    }

    /// Patches ByteCount to the bytes written since ``beginData()``.
    ///
    /// - Parameter truncating: allow more than 65535 bytes, writing the low 16 bits
    ///   (large READ_ANDX responses, whose true length is in DataLength/DataLengthHigh).
    /// - Parameter byteCount: write this instead (a peer's quirk kept for re-encoding).
    public mutating func endData(_ index: Int, truncating: Bool = false, byteCount: UInt16? = nil) throws {
        let length = writer.count - index - 2
        guard truncating || length <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "ByteCount", length: length, cap: Int(UInt16.max))
        }
        writer.patch16(at: index, byteCount ?? UInt16(truncatingIfNeeded: length))
    }

    // Little-endian field writers at the current position, for body encoders.
    public mutating func u8(_ v: UInt8) { writer.u8(v) }
    public mutating func u16(_ v: UInt16) { writer.u16(v) }
    public mutating func u32(_ v: UInt32) { writer.u32(v) }
    public mutating func u64(_ v: UInt64) { writer.u64(v) }
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 { writer.append(bytes) }
    public mutating func zeros(_ n: Int) { writer.zeros(n) }
    public mutating func patch16(at index: Int, _ v: UInt16) { writer.patch16(at: index, v) }
    public mutating func patch32(at index: Int, _ v: UInt32) { writer.patch32(at: index, v) }

    /// Zero bytes needed to bring ``position`` to a multiple of `alignment`.
    public func padding(toAlign alignment: Int) -> Int {
        guard alignment > 1 else { return 0 }
        let r = position % alignment
        return r == 0 ? 0 : alignment - r
    }

    /// Writes a string, UTF-16LE or OEM, with a terminator unless `terminated` is false.
    public mutating func string(_ s: String, unicode: Bool, terminated: Bool = true) {
        writer.append(SMBString.encode(s, unicode: unicode, terminated: terminated))
    }
}

/// Something that can be written as one command block.
public protocol SMBEncodableBlock: Sendable {
    /// The command code of the block this value encodes.
    var blockCommand: SMBCommand { get }
    /// Writes WordCount, words, ByteCount and bytes at the encoder's position.
    func encode(into encoder: inout SMBPacketEncoder) throws
}

/// What a typed decoder needs beyond the block itself.
public struct SMBDecodeContext: Sendable {
    /// The header of the message being decoded (Unicode flag, status, reply bit).
    public var header: SMBHeader
    /// When false no spans are recorded (the hot read path).
    public var recordsSpans: Bool
    /// For a TRANS2 response: the request it answers, which says how to read its data.
    public var trans2Request: Trans2RequestInfo?

    public init(header: SMBHeader, recordsSpans: Bool = true, trans2Request: Trans2RequestInfo? = nil) {
        self.header = header
        self.recordsSpans = recordsSpans
        self.trans2Request = trans2Request
    }

    public var unicode: Bool { header.isUnicode }
}

/// A typed command body (one request or response form) that decodes from and encodes to
/// one command block.
public protocol SMBMessageBody: SMBEncodableBlock, Equatable {
    static var command: SMBCommand { get }
    /// True for the server-to-client form.
    static var isResponse: Bool { get }
    /// Prefix of every span name, e.g. `NegotiateResponse`.
    static var spanPrefix: String { get }
    /// Decodes the block; spans are packet-relative.
    static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self>
    /// One past the last byte this body occupies (beyond the block only for large reads).
    func endOffset(of block: SMBBlock) -> Int
}

extension SMBMessageBody {
    public var blockCommand: SMBCommand { Self.command }
    public func endOffset(of block: SMBBlock) -> Int { block.endOffset }

    /// Decodes a whole message whose first block is this body type.
    /// Chained blocks after the first are ignored (see ``SMBMessage/decode(_:context:)``).
    public static func decodePacket(_ packet: [UInt8], recordsSpans: Bool = true,
                                    trans2Request: Trans2RequestInfo? = nil) throws -> Annotated<SMBPacket<Self>> {
        var r = WireReader(packet, recordsSpans: recordsSpans)
        let header = try SMBHeader.decode(&r)
        guard header.command == command else {
            throw WireError.invalidValue(field: "header.Command",
                                         reason: "expected \(command.name), got \(header.command.name)")
        }
        guard header.isResponse == isResponse else {
            throw WireError.invalidValue(field: "header.Flags",
                                         reason: isResponse ? "expected a response (REPLY set)" : "expected a request (REPLY clear)")
        }
        let block = try SMBBlock.locate(in: packet, at: SMBHeader.size, command: command, isResponse: isResponse)
        let context = SMBDecodeContext(header: header, recordsSpans: recordsSpans, trans2Request: trans2Request)
        let body = try decode(block, in: packet, context: context)
        return Annotated(value: SMBPacket(header: header, body: body.value), spans: r.spans + body.spans)
    }

    /// Encodes this body as the only command of a message with `header`
    /// (whose Command is set to this body's).
    public func encodePacket(header: SMBHeader) throws -> [UInt8] {
        var e = try SMBPacketEncoder(header: header)
        try e.append(self)
        return e.bytes
    }

    /// A reader over the block for a typed decoder, positioned at WordCount.
    static func blockReader(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext,
                            limit: Int? = nil) -> WireReader {
        WireReader(packet, offset: block.offset, limit: limit ?? block.endOffset,
                   prefix: spanPrefix + ".", recordsSpans: context.recordsSpans)
    }

    /// Reads WordCount and checks it against the allowed values.
    static func readWordCount(_ r: inout WireReader, allowed: [UInt8]) throws -> UInt8 {
        let wc = try r.u8("WordCount", meaning: { "\($0) parameter words" })
        guard allowed.contains(wc) else {
            throw WireError.wrongWordCount(command: spanPrefix, got: Int(wc), expected: allowed.map(Int.init))
        }
        return wc
    }

    /// Reads ByteCount (its value was validated when the block was located).
    static func readByteCount(_ r: inout WireReader) throws -> UInt16 {
        try r.u16("ByteCount", meaning: { "\($0) data bytes" })
    }

    /// Reads the AndX header, recording its three fields.
    static func readAndX(_ r: inout WireReader) throws -> AndXHeader {
        let command = SMBCommand(try r.u8("AndXCommand", meaning: { SMBCommand($0).description }))
        let reserved = try r.u8("AndXReserved")
        let offset = try r.u16("AndXOffset", meaning: { command == .noAndXCommand ? ($0 == 0 ? "no next command" : "unused") : "next command at \($0)" })
        return AndXHeader(command: command, reserved: reserved, offset: offset)
    }
}

/// A decoded message with a typed first command.
public struct SMBPacket<Body: SMBMessageBody>: Equatable, Sendable {
    public var header: SMBHeader
    public var body: Body

    public init(header: SMBHeader, body: Body) {
        self.header = header
        self.body = body
    }

    public func encode() throws -> [UInt8] { try body.encodePacket(header: header) }
}

/// How the AndX header of a decoded block looked when it ended the chain, so that
/// re-encoding reproduces it (peers write 0 for AndXOffset; some write the block end).
public struct AndXTrailer: Equatable, Sendable {
    public var reserved: UInt8
    /// AndXOffset written when no command follows.
    public var terminalOffset: UInt16

    public init(reserved: UInt8 = 0, terminalOffset: UInt16 = 0) {
        self.reserved = reserved
        self.terminalOffset = terminalOffset
    }

    /// What to keep from a decoded header: the offset only matters if nothing followed.
    init(_ h: AndXHeader) {
        reserved = h.reserved
        terminalOffset = h.command == .noAndXCommand ? h.offset : 0
    }
}

/// A response as a client receives it: the expected body, or the bare error form
/// (WordCount 0, ByteCount 0, Status set) any command may get instead.
public enum SMBReply<Body: SMBMessageBody>: Equatable, Sendable {
    case body(SMBPacket<Body>)
    case error(SMBHeader)

    public var header: SMBHeader {
        switch self {
        case let .body(p): return p.header
        case let .error(h): return h
        }
    }
}

extension SMBMessageBody {
    /// Decodes a response to a request of this type, accepting the error form too. Errors
    /// with a body (MORE_PROCESSING_REQUIRED, BUFFER_OVERFLOW) decode as ``SMBReply/body(_:)``.
    public static func decodeReply(_ packet: [UInt8], recordsSpans: Bool = true,
                                   trans2Request: Trans2RequestInfo? = nil) throws -> Annotated<SMBReply<Self>> {
        let header = try SMBHeader.peek(packet)
        if header.command == command && header.isResponse && header.status.rawValue != 0 {
            let block = try SMBBlock.locate(in: packet, at: SMBHeader.size, command: command, isResponse: true)
            if SMBErrorResponse.matches(block) {
                var r = WireReader(packet, recordsSpans: recordsSpans)
                _ = try SMBHeader.decode(&r)
                let context = SMBDecodeContext(header: header, recordsSpans: recordsSpans)
                let body = try SMBErrorResponse.decode(block, in: packet, context: context)
                return Annotated(value: .error(header), spans: r.spans + body.spans)
            }
        }
        let decoded = try decodePacket(packet, recordsSpans: recordsSpans, trans2Request: trans2Request)
        return Annotated(value: .body(decoded.value), spans: decoded.spans)
    }
}
