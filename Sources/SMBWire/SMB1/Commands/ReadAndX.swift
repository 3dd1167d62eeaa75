/// SMB_COM_READ_ANDX request: 10 words (MS-CIFS 2.2.4.42.1) or 12 words with OffsetHigh.
public struct ReadAndXRequest: SMBMessageBody {
    public static let command = SMBCommand.readAndX
    public static let isResponse = false
    public static let spanPrefix = "ReadAndXRequest"

    public var andX: AndXTrailer
    public var fid: UInt16
    /// File offset; the high 32 bits travel in OffsetHigh (12-word form only).
    public var offset: UInt64
    public var maxCountOfBytesToReturn: UInt16
    public var minCountOfBytesToReturn: UInt16
    /// `Timeout` in MS-CIFS; with CAP_LARGE_READX its low 16 bits are `MaxCountHigh`, the
    /// upper half of the byte count (what the kernel puts here).
    public var timeoutOrMaxCountHigh: UInt32
    public var remaining: UInt16
    /// 12-word form (carries OffsetHigh).
    public var hasOffsetHigh: Bool
    /// Data bytes (none in practice).
    public var data: [UInt8]

    public init(andX: AndXTrailer = AndXTrailer(), fid: UInt16, offset: UInt64, maxCountOfBytesToReturn: UInt16,
                minCountOfBytesToReturn: UInt16, timeoutOrMaxCountHigh: UInt32 = 0, remaining: UInt16 = 0,
                hasOffsetHigh: Bool = true, data: [UInt8] = []) {
        self.andX = andX
        self.fid = fid
        self.offset = offset
        self.maxCountOfBytesToReturn = maxCountOfBytesToReturn
        self.minCountOfBytesToReturn = minCountOfBytesToReturn
        self.timeoutOrMaxCountHigh = timeoutOrMaxCountHigh
        self.remaining = remaining
        self.hasOffsetHigh = hasOffsetHigh
        self.data = data
    }

    /// A read of `count` bytes (up to 2^32 - 1) at `offset`, splitting the count into
    /// MaxCount and MaxCountHigh as the kernel's `cifs_async_readv` does.
    public init(fid: UInt16, offset: UInt64, count: UInt32) {
        self.init(fid: fid, offset: offset, maxCountOfBytesToReturn: UInt16(truncatingIfNeeded: count),
                  minCountOfBytesToReturn: UInt16(truncatingIfNeeded: count), timeoutOrMaxCountHigh: count >> 16)
    }

    /// The requested byte count: MaxCountHigh:MaxCountOfBytesToReturn.
    public var maxCount: UInt32 { (timeoutOrMaxCountHigh & 0xFFFF) << 16 | UInt32(maxCountOfBytesToReturn) }

    public func encode(into e: inout SMBPacketEncoder) throws {
        guard hasOffsetHigh || offset <= UInt64(UInt32.max) else {
            throw WireError.invalidValue(field: "ReadAndXRequest.Offset", reason: "offset above 4 GiB needs the 12-word form")
        }
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u16(fid)
        e.u32(UInt32(truncatingIfNeeded: offset))
        e.u16(maxCountOfBytesToReturn)
        e.u16(minCountOfBytesToReturn)
        e.u32(timeoutOrMaxCountHigh)
        e.u16(remaining)
        if hasOffsetHigh { e.u32(UInt32(truncatingIfNeeded: offset >> 32)) }
        try e.endParameters(wc)
        let bc = e.beginData()
        e.append(data)
        try e.endData(bc)
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        let wc = try readWordCount(&r, allowed: [10, 12])
        let andX = try readAndX(&r)
        let fid = try r.u16("FID")
        let offsetLow = try r.u32("Offset")
        let maxCount = try r.u16("MaxCountOfBytesToReturn")
        let minCount = try r.u16("MinCountOfBytesToReturn")
        let timeout = try r.u32("Timeout_or_MaxCountHigh", meaning: {
            "MaxCountHigh \($0 & 0xFFFF): total \(($0 & 0xFFFF) << 16 | UInt32(maxCount)) bytes"
        })
        let remaining = try r.u16("Remaining")
        var offset = UInt64(offsetLow)
        if wc == 12 {
            let high = try r.u32("OffsetHigh")
            offset |= UInt64(high) << 32
        }
        _ = try readByteCount(&r)
        let data = try r.rest("Data")
        let value = ReadAndXRequest(andX: AndXTrailer(andX), fid: fid, offset: offset, maxCountOfBytesToReturn: maxCount,
                                    minCountOfBytesToReturn: minCount, timeoutOrMaxCountHigh: timeout,
                                    remaining: remaining, hasOffsetHigh: wc == 12, data: data)
        return Annotated(value: value, spans: r.spans)
    }
}

/// SMB_COM_READ_ANDX response (MS-CIFS 2.2.4.42.2, MS-SMB 2.2.4.2.2): 12 words, then pad and
/// data at DataOffset. With CAP_LARGE_READX the length is DataLengthHigh:DataLength and the
/// 16-bit ByteCount cannot describe it, so the data may run past what ByteCount says.
///
/// Decoding does not copy the data: ``data`` is a slice of the packet (its indices are
/// packet offsets, see ``dataRange``), so a client can copy it straight into page-cache pages.
public struct ReadAndXResponse: SMBMessageBody {
    public static let command = SMBCommand.readAndX
    public static let isResponse = true
    public static let spanPrefix = "ReadAndXResponse"

    /// How the data was placed, kept so a decoded response re-encodes exactly.
    public struct DataLayout: Equatable, Sendable {
        /// Bytes between ByteCount and the data, where they differ from the encoder's
        /// choice (one zero byte when the data would start at an odd offset).
        public var pad: [UInt8]?
        /// Bytes after the data inside ByteCount.
        public var trailing: [UInt8]
        /// ByteCount as sent, where it differs from pad + data + trailing (mod 65536).
        public var byteCount: UInt16?

        public init(pad: [UInt8]? = nil, trailing: [UInt8] = [], byteCount: UInt16? = nil) {
            self.pad = pad
            self.trailing = trailing
            self.byteCount = byteCount
        }
    }

    public var andX: AndXTrailer
    /// Bytes left to read on a pipe; 0xFFFF (-1) for files from Samba.
    public var available: UInt16
    public var dataCompactionMode: UInt16
    public var reserved1: UInt16
    /// The four reserved words after DataLengthHigh.
    public var reserved2: UInt64
    /// The file data. For a decoded response, a slice of the packet (no copy).
    public var data: ArraySlice<UInt8>
    public var layout: DataLayout

    public init(andX: AndXTrailer = AndXTrailer(), available: UInt16 = 0, dataCompactionMode: UInt16 = 0,
                reserved1: UInt16 = 0, reserved2: UInt64 = 0, data: ArraySlice<UInt8>, layout: DataLayout = DataLayout()) {
        self.andX = andX
        self.available = available
        self.dataCompactionMode = dataCompactionMode
        self.reserved1 = reserved1
        self.reserved2 = reserved2
        self.data = data
        self.layout = layout
    }

    /// Where the data sits in the packet it was decoded from.
    public var dataRange: Range<Int> { data.startIndex..<data.endIndex }
    /// A copy of the data.
    public var dataBytes: [UInt8] { Array(data) }

    public func endOffset(of block: SMBBlock) -> Int { max(block.endOffset, data.endIndex) }

    public func encode(into e: inout SMBPacketEncoder) throws {
        guard data.count <= Int(UInt32.max) else {
            throw WireError.tooLarge(field: "ReadAndXResponse.DataLength", length: data.count, cap: Int(UInt32.max))
        }
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u16(available)
        e.u16(dataCompactionMode)
        e.u16(reserved1)
        e.u16(UInt16(truncatingIfNeeded: data.count))
        let dataOffsetAt = e.position
        e.u16(0)
        e.u16(UInt16(truncatingIfNeeded: data.count >> 16))
        e.u64(reserved2)
        try e.endParameters(wc)
        let bc = e.beginData()
        if let pad = layout.pad {
            e.append(pad)
        } else if e.position % 2 == 1 {
            e.u8(0)
        }
        guard e.position <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "ReadAndXResponse.DataOffset", length: e.position, cap: Int(UInt16.max))
        }
        e.patch16(at: dataOffsetAt, UInt16(e.position))
        e.append(data)
        e.append(layout.trailing)
        try e.endData(bc, truncating: true, byteCount: layout.byteCount)
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context, limit: packet.count)
        _ = try readWordCount(&r, allowed: [12])
        let andX = try readAndX(&r)
        let available = try r.u16("Available")
        let compaction = try r.u16("DataCompactionMode")
        let reserved1 = try r.u16("Reserved1")
        let lengthLow = try r.u16("DataLength")
        let dataOffset = Int(try r.u16("DataOffset", meaning: { "data starts at packet offset \($0)" }))
        let lengthHigh = try r.u16("DataLengthHigh", meaning: { $0 == 0 ? nil : "large read: \($0) × 65536 more bytes" })
        let reserved2 = try r.u64("Reserved2")
        let byteCount = try readByteCount(&r)
        let length = Int(lengthHigh) << 16 | Int(lengthLow)
        let dataStart = r.offset
        guard dataOffset >= dataStart else {
            throw WireError.outOfRange(field: spanPrefix + ".DataOffset", offset: dataOffset, length: length, limit: packet.count)
        }
        guard length <= packet.count - dataOffset else {
            throw WireError.outOfRange(field: spanPrefix + ".DataOffset", offset: dataOffset, length: length, limit: packet.count)
        }
        var layout = DataLayout()
        let pad = try r.bytes("Pad", count: dataOffset - dataStart)
        if pad != (dataStart % 2 == 1 ? [0] : []) { layout.pad = pad }
        let data = packet[dataOffset..<(dataOffset + length)]
        try r.skipSilently(length)
        r.record("Data", from: dataOffset, value: "\(length) bytes",
                 meaning: length == 0 ? "end of file" : "file data, DataLengthHigh:DataLength = \(length)")
        if r.offset < block.endOffset {
            layout.trailing = try r.bytes("Trailing", count: block.endOffset - r.offset)
        }
        let canonicalByteCount = UInt16(truncatingIfNeeded: pad.count + length + layout.trailing.count)
        if byteCount != canonicalByteCount { layout.byteCount = byteCount }
        let value = ReadAndXResponse(andX: AndXTrailer(andX), available: available, dataCompactionMode: compaction,
                                     reserved1: reserved1, reserved2: reserved2, data: data, layout: layout)
        return Annotated(value: value, spans: r.spans)
    }

    /// Size of everything before the pad: header, WordCount, 12 words, ByteCount.
    public static let fixedPartSize = SMBHeader.size + 1 + 24 + 2

    /// Where the data of a READ_ANDX response will be, from the first ``fixedPartSize``
    /// bytes of the message and its total length (from the NBSS header).
    ///
    /// This is the receive path that copies the data once: read the fixed part, skip to
    /// DataOffset, then receive `dataRange.count` bytes straight into the pages.
    /// Mirrors the first half of the kernel's `cifs_readv_receive`.
    public static func locateData(fixedPart: [UInt8], messageLength: Int) throws -> (header: SMBHeader, dataRange: Range<Int>) {
        guard fixedPart.count >= fixedPartSize else {
            throw WireError.truncated(field: spanPrefix + ".FixedPart", needed: fixedPartSize, available: fixedPart.count)
        }
        var r = WireReader(fixedPart, recordsSpans: false)
        let header = try SMBHeader.decode(&r)
        guard header.command == command, header.isResponse else {
            throw WireError.invalidValue(field: "header.Command", reason: "not a READ_ANDX response")
        }
        r.prefix = spanPrefix + "."
        let wc = try r.u8("WordCount")
        guard wc == 12 else { throw WireError.wrongWordCount(command: spanPrefix, got: Int(wc), expected: [12]) }
        try r.skip("AndX+Available+DataCompactionMode+Reserved1", count: 10)
        let lengthLow = try r.u16("DataLength")
        let dataOffset = Int(try r.u16("DataOffset"))
        let lengthHigh = try r.u16("DataLengthHigh")
        let length = Int(lengthHigh) << 16 | Int(lengthLow)
        guard dataOffset >= fixedPartSize, length <= messageLength - dataOffset else {
            throw WireError.outOfRange(field: spanPrefix + ".DataOffset", offset: dataOffset, length: length, limit: messageLength)
        }
        return (header, dataOffset..<(dataOffset + length))
    }
}
