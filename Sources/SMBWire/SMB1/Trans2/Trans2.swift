/// A TRANS2 subcommand code (the first setup word of SMB_COM_TRANSACTION2).
public struct Trans2Subcommand: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let open2 = Trans2Subcommand(0x00)
    public static let findFirst2 = Trans2Subcommand(0x01)
    public static let findNext2 = Trans2Subcommand(0x02)
    public static let queryFSInformation = Trans2Subcommand(0x03)
    public static let setFSInformation = Trans2Subcommand(0x04)
    public static let queryPathInformation = Trans2Subcommand(0x05)
    public static let setPathInformation = Trans2Subcommand(0x06)
    public static let queryFileInformation = Trans2Subcommand(0x07)
    public static let setFileInformation = Trans2Subcommand(0x08)
    public static let fsctl = Trans2Subcommand(0x09)
    public static let ioctl2 = Trans2Subcommand(0x0A)
    public static let findNotifyFirst = Trans2Subcommand(0x0B)
    public static let findNotifyNext = Trans2Subcommand(0x0C)
    public static let createDirectory = Trans2Subcommand(0x0D)
    public static let sessionSetup = Trans2Subcommand(0x0E)
    public static let getDFSReferral = Trans2Subcommand(0x10)
    public static let reportDFSInconsistency = Trans2Subcommand(0x11)

    private static let names: [UInt16: String] = [
        0x00: "OPEN2", 0x01: "FIND_FIRST2", 0x02: "FIND_NEXT2", 0x03: "QUERY_FS_INFORMATION",
        0x04: "SET_FS_INFORMATION", 0x05: "QUERY_PATH_INFORMATION", 0x06: "SET_PATH_INFORMATION",
        0x07: "QUERY_FILE_INFORMATION", 0x08: "SET_FILE_INFORMATION", 0x09: "FSCTL", 0x0A: "IOCTL2",
        0x0B: "FIND_NOTIFY_FIRST", 0x0C: "FIND_NOTIFY_NEXT", 0x0D: "CREATE_DIRECTORY",
        0x0E: "SESSION_SETUP", 0x10: "GET_DFS_REFERRAL", 0x11: "REPORT_DFS_INCONSISTENCY",
    ]

    public var name: String { Self.names[rawValue] ?? "0x" + hex(UInt64(rawValue), width: 4) }
    public var description: String { "TRANS2_" + name }
}

/// What a TRANS2 response cannot say about itself: which request it answers. Passed to the
/// response decoder so it can annotate the data (a FILE_ALL_INFO, say).
public struct Trans2RequestInfo: Equatable, Sendable {
    public var subcommand: Trans2Subcommand
    /// The information level, for the QUERY_*_INFORMATION subcommands.
    public var informationLevel: QueryInformationLevel?

    public init(subcommand: Trans2Subcommand, informationLevel: QueryInformationLevel? = nil) {
        self.subcommand = subcommand
        self.informationLevel = informationLevel
    }
}

/// Where a transaction's parameters and data sat among its bytes, where that differs from
/// what the encoder writes (each block zero-padded to a 4-byte boundary, as Samba does; an
/// empty block's offset is the 4-byte-aligned position where it would have started).
public struct Trans2Layout: Equatable, Sendable {
    /// Bytes before the parameters (the Name byte and padding).
    public var parameterPad: [UInt8]?
    /// Bytes between the parameters and the data.
    public var dataPad: [UInt8]?
    /// ParameterOffset sent with ParameterCount 0.
    public var emptyParameterOffset: UInt16?
    /// DataOffset sent with DataCount 0 (the kernel sends 0).
    public var emptyDataOffset: UInt16?
    /// Bytes after the last block.
    public var trailing: [UInt8]

    public init(parameterPad: [UInt8]? = nil, dataPad: [UInt8]? = nil, emptyParameterOffset: UInt16? = nil,
                emptyDataOffset: UInt16? = nil, trailing: [UInt8] = []) {
        self.parameterPad = parameterPad
        self.dataPad = dataPad
        self.emptyParameterOffset = emptyParameterOffset
        self.emptyDataOffset = emptyDataOffset
        self.trailing = trailing
    }
}

/// The bytes part of a transaction: pad, parameters, pad, data, with offsets patched in.
struct TransactionBytes {
    static let alignment = 4

    /// Writes the bytes and returns (ParameterOffset, DataOffset) to patch into the words.
    static func encode(_ e: inout SMBPacketEncoder, parameters: [UInt8], data: [UInt8],
                       layout: Trans2Layout) throws -> (UInt16, UInt16) {
        let parameterOffset: Int
        if parameters.isEmpty {
            parameterOffset = layout.emptyParameterOffset.map(Int.init) ?? e.position + e.padding(toAlign: alignment)
        } else {
            if let pad = layout.parameterPad { e.append(pad) } else { e.zeros(e.padding(toAlign: alignment)) }
            parameterOffset = e.position
            e.append(parameters)
        }
        let dataOffset: Int
        if data.isEmpty {
            dataOffset = layout.emptyDataOffset.map(Int.init) ?? e.position + e.padding(toAlign: alignment)
        } else {
            if let pad = layout.dataPad { e.append(pad) } else { e.zeros(e.padding(toAlign: alignment)) }
            dataOffset = e.position
            e.append(data)
        }
        e.append(layout.trailing)
        guard parameterOffset <= Int(UInt16.max), dataOffset <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "Trans2.DataOffset", length: max(parameterOffset, dataOffset), cap: Int(UInt16.max))
        }
        return (UInt16(parameterOffset), UInt16(dataOffset))
    }

    /// Reads the bytes of a transaction whose words gave these offsets and counts.
    /// `r` is positioned after ByteCount with its limit at the block end.
    static func decode(_ r: inout WireReader, parameterOffset: Int, parameterCount: Int, dataOffset: Int,
                       dataCount: Int) throws -> (parameters: Range<Int>, data: Range<Int>, layout: Trans2Layout) {
        var layout = Trans2Layout()
        let start = r.offset
        func check(_ field: String, _ offset: Int, _ count: Int, from lowest: Int) throws {
            guard offset >= lowest, count <= r.limit - offset else {
                throw WireError.outOfRange(field: r.prefix + field, offset: offset, length: count, limit: r.limit)
            }
        }
        var cursor = start
        var parameters = cursor..<cursor
        if parameterCount > 0 {
            try check("ParameterOffset", parameterOffset, parameterCount, from: cursor)
            let pad = try r.bytes("Pad1", count: parameterOffset - cursor)
            if pad != [UInt8](repeating: 0, count: padding(cursor)) { layout.parameterPad = pad }
            parameters = parameterOffset..<(parameterOffset + parameterCount)
            try r.skipSilently(parameterCount)
            cursor = parameters.upperBound
        } else if parameterOffset != cursor + padding(cursor) {
            layout.emptyParameterOffset = UInt16(truncatingIfNeeded: parameterOffset)
        }
        var data = cursor..<cursor
        if dataCount > 0 {
            try check("DataOffset", dataOffset, dataCount, from: cursor)
            let pad = try r.bytes("Pad2", count: dataOffset - cursor)
            if pad != [UInt8](repeating: 0, count: padding(cursor)) { layout.dataPad = pad }
            data = dataOffset..<(dataOffset + dataCount)
            try r.skipSilently(dataCount)
            cursor = data.upperBound
        } else if dataOffset != cursor + padding(cursor) {
            layout.emptyDataOffset = UInt16(truncatingIfNeeded: dataOffset)
        }
        if r.remaining > 0 {
            layout.trailing = try r.bytes("Trailing", count: r.remaining)
        }
        return (parameters, data, layout)
    }

    static func padding(_ position: Int) -> Int {
        let rem = position % alignment
        return rem == 0 ? 0 : alignment - rem
    }
}

/// SMB_COM_TRANSACTION2 request (MS-CIFS 2.2.4.46.1): 14 + SetupCount words.
///
/// Parameters and data are kept as bytes so every subcommand round-trips; typed views for
/// the QUERY_*_INFORMATION subcommands are in ``Trans2QueryPathInformationRequest`` and
/// ``Trans2QueryFileInformationRequest``.
public struct Trans2Request: SMBMessageBody {
    public static let command = SMBCommand.transaction2
    public static let isResponse = false
    public static let spanPrefix = "Trans2Request"

    public var totalParameterCount: UInt16
    public var totalDataCount: UInt16
    public var maxParameterCount: UInt16
    public var maxDataCount: UInt16
    public var maxSetupCount: UInt8
    public var reserved1: UInt8
    public var flags: UInt16
    public var timeout: UInt32
    public var reserved2: UInt16
    public var reserved3: UInt8
    /// Setup words; the first is the subcommand.
    public var setup: [UInt16]
    public var parameters: [UInt8]
    public var data: [UInt8]
    public var layout: Trans2Layout

    public init(totalParameterCount: UInt16, totalDataCount: UInt16, maxParameterCount: UInt16, maxDataCount: UInt16,
                maxSetupCount: UInt8 = 0, reserved1: UInt8 = 0, flags: UInt16 = 0, timeout: UInt32 = 0,
                reserved2: UInt16 = 0, reserved3: UInt8 = 0, setup: [UInt16], parameters: [UInt8], data: [UInt8],
                layout: Trans2Layout = Trans2Layout()) {
        self.totalParameterCount = totalParameterCount
        self.totalDataCount = totalDataCount
        self.maxParameterCount = maxParameterCount
        self.maxDataCount = maxDataCount
        self.maxSetupCount = maxSetupCount
        self.reserved1 = reserved1
        self.flags = flags
        self.timeout = timeout
        self.reserved2 = reserved2
        self.reserved3 = reserved3
        self.setup = setup
        self.parameters = parameters
        self.data = data
        self.layout = layout
    }

    /// A single-part request: totals equal the counts.
    public init(subcommand: Trans2Subcommand, parameters: [UInt8], data: [UInt8] = [],
                maxParameterCount: UInt16, maxDataCount: UInt16, layout: Trans2Layout = Trans2Layout()) {
        self.init(totalParameterCount: UInt16(truncatingIfNeeded: parameters.count),
                  totalDataCount: UInt16(truncatingIfNeeded: data.count), maxParameterCount: maxParameterCount,
                  maxDataCount: maxDataCount, setup: [subcommand.rawValue], parameters: parameters, data: data,
                  layout: layout)
    }

    public var subcommand: Trans2Subcommand? { setup.first.map(Trans2Subcommand.init(rawValue:)) }

    /// What a response decoder needs to know about this request.
    public func info(unicode: Bool) -> Trans2RequestInfo? {
        guard let subcommand else { return nil }
        var level: QueryInformationLevel?
        switch subcommand {
        case .queryFileInformation: level = try? Trans2QueryFileInformationRequest(parameters: parameters).informationLevel
        case .queryPathInformation:
            level = try? Trans2QueryPathInformationRequest(parameters: parameters, unicode: unicode).informationLevel
        default: break
        }
        return Trans2RequestInfo(subcommand: subcommand, informationLevel: level)
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        try checkSizes()
        let wc = e.beginParameters()
        e.u16(totalParameterCount)
        e.u16(totalDataCount)
        e.u16(maxParameterCount)
        e.u16(maxDataCount)
        e.u8(maxSetupCount)
        e.u8(reserved1)
        e.u16(flags)
        e.u32(timeout)
        e.u16(reserved2)
        e.u16(UInt16(parameters.count))
        let parameterOffsetAt = e.position
        e.u16(0)
        e.u16(UInt16(data.count))
        let dataOffsetAt = e.position
        e.u16(0)
        e.u8(UInt8(setup.count))
        e.u8(reserved3)
        for word in setup { e.u16(word) }
        try e.endParameters(wc)
        let bc = e.beginData()
        let (po, d) = try TransactionBytes.encode(&e, parameters: parameters, data: data, layout: layout)
        e.patch16(at: parameterOffsetAt, po)
        e.patch16(at: dataOffsetAt, d)
        try e.endData(bc)
    }

    func checkSizes() throws {
        guard setup.count <= 255 - 14 else { throw WireError.tooLarge(field: "Trans2Request.SetupCount", length: setup.count, cap: 241) }
        guard parameters.count <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "Trans2Request.ParameterCount", length: parameters.count, cap: Int(UInt16.max))
        }
        guard data.count <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "Trans2Request.DataCount", length: data.count, cap: Int(UInt16.max))
        }
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        let wc = try r.u8("WordCount", meaning: { "14 + SetupCount = \($0) words" })
        guard wc >= 14 else { throw WireError.wrongWordCount(command: spanPrefix, got: Int(wc), expected: [15]) }
        let totalParameters = try r.u16("TotalParameterCount")
        let totalData = try r.u16("TotalDataCount")
        let maxParameters = try r.u16("MaxParameterCount")
        let maxData = try r.u16("MaxDataCount")
        let maxSetup = try r.u8("MaxSetupCount")
        let reserved1 = try r.u8("Reserved1")
        let flags = try r.u16("Flags", meaning: { bitList(UInt32($0), [(1, "DISCONNECT_TID"), (2, "NO_RESPONSE")]) })
        let timeout = try r.u32("Timeout")
        let reserved2 = try r.u16("Reserved2")
        let parameterCount = try r.u16("ParameterCount")
        let parameterOffset = try r.u16("ParameterOffset")
        let dataCount = try r.u16("DataCount")
        let dataOffset = try r.u16("DataOffset")
        let setupCount = try r.u8("SetupCount")
        let reserved3 = try r.u8("Reserved3")
        guard Int(wc) == 14 + Int(setupCount) else {
            throw WireError.wrongWordCount(command: spanPrefix, got: Int(wc), expected: [14 + Int(setupCount)])
        }
        var setup: [UInt16] = []
        for i in 0..<Int(setupCount) {
            setup.append(try r.u16("Setup[\(i)]", meaning: { i == 0 ? Trans2Subcommand($0).description : nil }))
        }
        _ = try readByteCount(&r)
        let (pr, dr, layout) = try TransactionBytes.decode(&r, parameterOffset: Int(parameterOffset),
                                                           parameterCount: Int(parameterCount),
                                                           dataOffset: Int(dataOffset), dataCount: Int(dataCount))
        let value = Trans2Request(totalParameterCount: totalParameters, totalDataCount: totalData,
                                  maxParameterCount: maxParameters, maxDataCount: maxData, maxSetupCount: maxSetup,
                                  reserved1: reserved1, flags: flags, timeout: timeout, reserved2: reserved2,
                                  reserved3: reserved3, setup: setup, parameters: Array(packet[pr]),
                                  data: Array(packet[dr]), layout: layout)
        var spans = r.spans
        if context.recordsSpans {
            spans += Trans2Annotation.requestSpans(value, parameters: pr, data: dr, packet: packet, unicode: context.unicode)
            spans.sort { $0.range.lowerBound < $1.range.lowerBound }
        }
        return Annotated(value: value, spans: spans)
    }
}

/// SMB_COM_TRANSACTION2 response (MS-CIFS 2.2.4.46.2): 10 + SetupCount words.
public struct Trans2Response: SMBMessageBody {
    public static let command = SMBCommand.transaction2
    public static let isResponse = true
    public static let spanPrefix = "Trans2Response"

    public var totalParameterCount: UInt16
    public var totalDataCount: UInt16
    public var reserved1: UInt16
    public var parameterDisplacement: UInt16
    public var dataDisplacement: UInt16
    public var reserved2: UInt8
    public var setup: [UInt16]
    public var parameters: [UInt8]
    public var data: [UInt8]
    public var layout: Trans2Layout

    public init(totalParameterCount: UInt16, totalDataCount: UInt16, reserved1: UInt16 = 0,
                parameterDisplacement: UInt16 = 0, dataDisplacement: UInt16 = 0, reserved2: UInt8 = 0,
                setup: [UInt16] = [], parameters: [UInt8], data: [UInt8], layout: Trans2Layout = Trans2Layout()) {
        self.totalParameterCount = totalParameterCount
        self.totalDataCount = totalDataCount
        self.reserved1 = reserved1
        self.parameterDisplacement = parameterDisplacement
        self.dataDisplacement = dataDisplacement
        self.reserved2 = reserved2
        self.setup = setup
        self.parameters = parameters
        self.data = data
        self.layout = layout
    }

    /// A single-part response: totals equal the counts.
    public init(parameters: [UInt8], data: [UInt8]) {
        self.init(totalParameterCount: UInt16(truncatingIfNeeded: parameters.count),
                  totalDataCount: UInt16(truncatingIfNeeded: data.count), parameters: parameters, data: data)
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        guard setup.count <= 255 - 10, parameters.count <= Int(UInt16.max), data.count <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "Trans2Response", length: max(setup.count, parameters.count, data.count),
                                     cap: Int(UInt16.max))
        }
        let wc = e.beginParameters()
        e.u16(totalParameterCount)
        e.u16(totalDataCount)
        e.u16(reserved1)
        e.u16(UInt16(parameters.count))
        let parameterOffsetAt = e.position
        e.u16(0)
        e.u16(parameterDisplacement)
        e.u16(UInt16(data.count))
        let dataOffsetAt = e.position
        e.u16(0)
        e.u16(dataDisplacement)
        e.u8(UInt8(setup.count))
        e.u8(reserved2)
        for word in setup { e.u16(word) }
        try e.endParameters(wc)
        let bc = e.beginData()
        let (po, d) = try TransactionBytes.encode(&e, parameters: parameters, data: data, layout: layout)
        e.patch16(at: parameterOffsetAt, po)
        e.patch16(at: dataOffsetAt, d)
        try e.endData(bc)
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        let wc = try r.u8("WordCount", meaning: { "10 + SetupCount = \($0) words" })
        guard wc >= 10 else { throw WireError.wrongWordCount(command: spanPrefix, got: Int(wc), expected: [10]) }
        let totalParameters = try r.u16("TotalParameterCount")
        let totalData = try r.u16("TotalDataCount")
        let reserved1 = try r.u16("Reserved1")
        let parameterCount = try r.u16("ParameterCount")
        let parameterOffset = try r.u16("ParameterOffset")
        let parameterDisplacement = try r.u16("ParameterDisplacement")
        let dataCount = try r.u16("DataCount")
        let dataOffset = try r.u16("DataOffset")
        let dataDisplacement = try r.u16("DataDisplacement")
        let setupCount = try r.u8("SetupCount")
        let reserved2 = try r.u8("Reserved2")
        guard Int(wc) == 10 + Int(setupCount) else {
            throw WireError.wrongWordCount(command: spanPrefix, got: Int(wc), expected: [10 + Int(setupCount)])
        }
        var setup: [UInt16] = []
        for i in 0..<Int(setupCount) { setup.append(try r.u16("Setup[\(i)]")) }
        _ = try readByteCount(&r)
        let (pr, dr, layout) = try TransactionBytes.decode(&r, parameterOffset: Int(parameterOffset),
                                                           parameterCount: Int(parameterCount),
                                                           dataOffset: Int(dataOffset), dataCount: Int(dataCount))
        let value = Trans2Response(totalParameterCount: totalParameters, totalDataCount: totalData, reserved1: reserved1,
                                   parameterDisplacement: parameterDisplacement, dataDisplacement: dataDisplacement,
                                   reserved2: reserved2, setup: setup, parameters: Array(packet[pr]),
                                   data: Array(packet[dr]), layout: layout)
        var spans = r.spans
        if context.recordsSpans {
            spans += Trans2Annotation.responseSpans(parameters: pr, data: dr, packet: packet, unicode: context.unicode,
                                                    request: context.trans2Request)
            spans.sort { $0.range.lowerBound < $1.range.lowerBound }
        }
        return Annotated(value: value, spans: spans)
    }

    /// The data decoded as the information level the request asked for.
    public func queryInformation(level: QueryInformationLevel, unicode: Bool) throws -> FileInformation {
        var r = WireReader(data, prefix: "Trans2Response.Data.", recordsSpans: false)
        return try FileInformation.decode(level: level, &r, unicode: unicode)
    }
}
