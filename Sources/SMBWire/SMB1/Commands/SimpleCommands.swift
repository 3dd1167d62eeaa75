/// SMB_COM_CLOSE request (MS-CIFS 2.2.4.5.1).
public struct CloseRequest: SMBMessageBody {
    public static let command = SMBCommand.close
    public static let isResponse = false
    public static let spanPrefix = "CloseRequest"

    public var fid: UInt16
    /// UTIME to set as the last write time; 0 or 0xFFFFFFFF leaves it alone.
    public var lastTimeModified: UInt32

    public init(fid: UInt16, lastTimeModified: UInt32 = 0xFFFF_FFFF) {
        self.fid = fid
        self.lastTimeModified = lastTimeModified
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        let wc = e.beginParameters()
        e.u16(fid)
        e.u32(lastTimeModified)
        try e.endParameters(wc)
        try e.endData(e.beginData())
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        _ = try readWordCount(&r, allowed: [3])
        let fid = try r.u16("FID")
        let time = try r.u32("LastTimeModified", meaning: { $0 == 0 || $0 == 0xFFFF_FFFF ? "leave unchanged" : "UTIME \($0)" })
        try expectNoData(&r)
        return Annotated(value: CloseRequest(fid: fid, lastTimeModified: time), spans: r.spans)
    }
}

/// SMB_COM_CLOSE response: no words, no bytes.
public struct CloseResponse: SMBMessageBody {
    public static let command = SMBCommand.close
    public static let isResponse = true
    public static let spanPrefix = "CloseResponse"
    public init() {}
    public func encode(into e: inout SMBPacketEncoder) throws { try encodeEmpty(&e) }
    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        Annotated(value: CloseResponse(), spans: try decodeEmpty(block, packet, context))
    }
}

/// SMB_COM_TREE_DISCONNECT request: no words, no bytes; the TID is in the header.
public struct TreeDisconnectRequest: SMBMessageBody {
    public static let command = SMBCommand.treeDisconnect
    public static let isResponse = false
    public static let spanPrefix = "TreeDisconnectRequest"
    public init() {}
    public func encode(into e: inout SMBPacketEncoder) throws { try encodeEmpty(&e) }
    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        Annotated(value: TreeDisconnectRequest(), spans: try decodeEmpty(block, packet, context))
    }
}

/// SMB_COM_TREE_DISCONNECT response: no words, no bytes.
public struct TreeDisconnectResponse: SMBMessageBody {
    public static let command = SMBCommand.treeDisconnect
    public static let isResponse = true
    public static let spanPrefix = "TreeDisconnectResponse"
    public init() {}
    public func encode(into e: inout SMBPacketEncoder) throws { try encodeEmpty(&e) }
    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        Annotated(value: TreeDisconnectResponse(), spans: try decodeEmpty(block, packet, context))
    }
}

/// SMB_COM_LOGOFF_ANDX request: the AndX header only; the UID is in the header.
public struct LogoffAndXRequest: SMBMessageBody {
    public static let command = SMBCommand.logoffAndX
    public static let isResponse = false
    public static let spanPrefix = "LogoffAndXRequest"
    public var andX: AndXTrailer
    public init(andX: AndXTrailer = AndXTrailer()) { self.andX = andX }
    public func encode(into e: inout SMBPacketEncoder) throws { try encodeAndXOnly(&e, andX) }
    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        let (andX, spans) = try decodeAndXOnly(block, packet, context)
        return Annotated(value: LogoffAndXRequest(andX: andX), spans: spans)
    }
}

/// SMB_COM_LOGOFF_ANDX response: the AndX header only.
public struct LogoffAndXResponse: SMBMessageBody {
    public static let command = SMBCommand.logoffAndX
    public static let isResponse = true
    public static let spanPrefix = "LogoffAndXResponse"
    public var andX: AndXTrailer
    public init(andX: AndXTrailer = AndXTrailer()) { self.andX = andX }
    public func encode(into e: inout SMBPacketEncoder) throws { try encodeAndXOnly(&e, andX) }
    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        let (andX, spans) = try decodeAndXOnly(block, packet, context)
        return Annotated(value: LogoffAndXResponse(andX: andX), spans: spans)
    }
}

/// SMB_COM_ECHO request (MS-CIFS 2.2.4.39.1): the server answers EchoCount times with the data.
public struct EchoRequest: SMBMessageBody {
    public static let command = SMBCommand.echo
    public static let isResponse = false
    public static let spanPrefix = "EchoRequest"
    public var echoCount: UInt16
    public var data: [UInt8]
    public init(echoCount: UInt16 = 1, data: [UInt8] = []) {
        self.echoCount = echoCount
        self.data = data
    }
    public func encode(into e: inout SMBPacketEncoder) throws { try encodeOneWord(&e, echoCount, data) }
    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        let (count, data, spans) = try decodeOneWord(block, packet, context, word: "EchoCount")
        return Annotated(value: EchoRequest(echoCount: count, data: data), spans: spans)
    }
}

/// SMB_COM_ECHO response (MS-CIFS 2.2.4.39.2).
public struct EchoResponse: SMBMessageBody {
    public static let command = SMBCommand.echo
    public static let isResponse = true
    public static let spanPrefix = "EchoResponse"
    /// 1-based number of this echo among EchoCount replies.
    public var sequenceNumber: UInt16
    public var data: [UInt8]
    public init(sequenceNumber: UInt16 = 1, data: [UInt8] = []) {
        self.sequenceNumber = sequenceNumber
        self.data = data
    }
    public func encode(into e: inout SMBPacketEncoder) throws { try encodeOneWord(&e, sequenceNumber, data) }
    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        let (number, data, spans) = try decodeOneWord(block, packet, context, word: "SequenceNumber")
        return Annotated(value: EchoResponse(sequenceNumber: number, data: data), spans: spans)
    }
}

// MARK: Shared shapes

extension SMBMessageBody {
    static func expectNoData(_ r: inout WireReader) throws {
        let bc = try readByteCount(&r)
        guard bc == 0 else {
            throw WireError.invalidValue(field: spanPrefix + ".ByteCount", reason: "must be 0, got \(bc)")
        }
    }

    func encodeEmpty(_ e: inout SMBPacketEncoder) throws {
        try e.endParameters(e.beginParameters())
        try e.endData(e.beginData())
    }

    static func decodeEmpty(_ block: SMBBlock, _ packet: [UInt8], _ context: SMBDecodeContext) throws -> [FieldSpan] {
        var r = blockReader(block, in: packet, context: context)
        _ = try readWordCount(&r, allowed: [0])
        try expectNoData(&r)
        return r.spans
    }

    func encodeAndXOnly(_ e: inout SMBPacketEncoder, _ andX: AndXTrailer) throws {
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        try e.endParameters(wc)
        try e.endData(e.beginData())
    }

    static func decodeAndXOnly(_ block: SMBBlock, _ packet: [UInt8], _ context: SMBDecodeContext) throws -> (AndXTrailer, [FieldSpan]) {
        var r = blockReader(block, in: packet, context: context)
        _ = try readWordCount(&r, allowed: [2])
        let andX = try readAndX(&r)
        try expectNoData(&r)
        return (AndXTrailer(andX), r.spans)
    }

    func encodeOneWord(_ e: inout SMBPacketEncoder, _ word: UInt16, _ data: [UInt8]) throws {
        let wc = e.beginParameters()
        e.u16(word)
        try e.endParameters(wc)
        let bc = e.beginData()
        e.append(data)
        try e.endData(bc)
    }

    static func decodeOneWord(_ block: SMBBlock, _ packet: [UInt8], _ context: SMBDecodeContext,
                              word: String) throws -> (UInt16, [UInt8], [FieldSpan]) {
        var r = blockReader(block, in: packet, context: context)
        _ = try readWordCount(&r, allowed: [1])
        let value = try r.u16(word)
        _ = try readByteCount(&r)
        let data = try r.rest("Data")
        return (value, data, r.spans)
    }
}

/// A response with WordCount 0 and ByteCount 0 whose header Status says what went wrong;
/// servers answer any failed command this way.
public struct SMBErrorResponse: SMBEncodableBlock, Equatable {
    public var command: SMBCommand
    public var blockCommand: SMBCommand { command }

    public init(command: SMBCommand) { self.command = command }

    public func encode(into e: inout SMBPacketEncoder) throws {
        try e.endParameters(e.beginParameters())
        try e.endData(e.beginData())
    }

    /// True when `block` has the error shape (no words, no bytes).
    public static func matches(_ block: SMBBlock) -> Bool { block.wordCount == 0 && block.byteCount == 0 }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = WireReader(packet, offset: block.offset, limit: block.endOffset, prefix: "ErrorResponse.",
                           recordsSpans: context.recordsSpans)
        let wc = try r.u8("WordCount", meaning: { _ in "no parameters: the status says it all" })
        guard wc == 0 else { throw WireError.wrongWordCount(command: "ErrorResponse", got: Int(wc), expected: [0]) }
        let bc = try r.u16("ByteCount")
        guard bc == 0 else { throw WireError.invalidValue(field: "ErrorResponse.ByteCount", reason: "must be 0, got \(bc)") }
        return Annotated(value: SMBErrorResponse(command: block.command), spans: r.spans)
    }

    /// A complete error message answering `request`: the request's header with REPLY set and
    /// `status` filled in.
    public static func encodePacket(replyingTo request: SMBHeader, status: NTStatus) throws -> [UInt8] {
        var header = request
        header.flags.insert(.reply)
        header.status = status
        var e = try SMBPacketEncoder(header: header)
        try e.append(SMBErrorResponse(command: request.command))
        return e.bytes
    }
}

/// A command block this codec has no typed form for, kept as raw words and bytes.
public struct SMBRawBlock: SMBEncodableBlock, Equatable {
    public var command: SMBCommand
    /// WordCount as sent (may disagree with `parameters.count / 2` for quirky commands).
    public var wordCount: UInt8
    public var parameters: [UInt8]
    public var byteCount: UInt16
    public var data: [UInt8]
    public var blockCommand: SMBCommand { command }

    public init(command: SMBCommand, wordCount: UInt8, parameters: [UInt8], byteCount: UInt16, data: [UInt8]) {
        self.command = command
        self.wordCount = wordCount
        self.parameters = parameters
        self.byteCount = byteCount
        self.data = data
    }

    /// Copies the block's bytes out of the packet.
    public init(_ block: SMBBlock, in packet: [UInt8]) {
        self.init(command: block.command, wordCount: block.wordCount, parameters: Array(packet[block.parametersRange]),
                  byteCount: block.byteCount, data: Array(packet[block.dataRange]))
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        e.u8(wordCount)
        if command.isAndX && parameters.count >= 4 {
            e.markAndX(at: e.position)
        }
        e.append(parameters)
        e.u16(byteCount)
        e.append(data)
    }

    /// Spans for the block's framing (the contents are opaque).
    public static func spans(_ block: SMBBlock, in packet: [UInt8]) -> [FieldSpan] {
        let p = "\(block.command.name)."
        var spans = [FieldSpan(range: block.offset..<(block.offset + 1), name: p + "WordCount", value: "\(block.wordCount)")]
        if !block.parametersRange.isEmpty {
            spans.append(FieldSpan(range: block.parametersRange, name: p + "Words",
                                   value: summarize(Array(packet[block.parametersRange])), meaning: "not decoded"))
        }
        spans.append(FieldSpan(range: (block.parametersRange.upperBound)..<(block.dataRange.lowerBound),
                               name: p + "ByteCount", value: "\(block.byteCount)"))
        if !block.dataRange.isEmpty {
            spans.append(FieldSpan(range: block.dataRange, name: p + "Bytes",
                                   value: summarize(Array(packet[block.dataRange])), meaning: "not decoded"))
        }
        return spans
    }
}
