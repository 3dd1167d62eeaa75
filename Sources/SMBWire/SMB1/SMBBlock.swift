/// The AndX header that starts the parameter words of an AndX command.
public struct AndXHeader: Equatable, Sendable {
    /// The next command in this packet, or ``SMBCommand/noAndXCommand``.
    public var command: SMBCommand
    public var reserved: UInt8
    /// Packet-relative offset of the next command's WordCount.
    public var offset: UInt16

    public init(command: SMBCommand = .noAndXCommand, reserved: UInt8 = 0, offset: UInt16 = 0) {
        self.command = command
        self.reserved = reserved
        self.offset = offset
    }
}

/// Where one command block (WordCount, words, ByteCount, bytes) sits in a packet.
///
/// Pure bookkeeping: no bytes are copied, so locating the blocks of a 64 KiB READ_ANDX
/// response costs the same as locating those of an ECHO.
public struct SMBBlock: Equatable, Sendable {
    public var command: SMBCommand
    /// Packet-relative index of the WordCount byte.
    public var offset: Int
    public var wordCount: UInt8
    /// The parameter words (2 × WordCount bytes, except the 42-word NT_CREATE_ANDX quirk).
    public var parametersRange: Range<Int>
    public var byteCount: UInt16
    /// The ByteCount bytes that follow the ByteCount field.
    public var dataRange: Range<Int>
    /// Present when the command is an AndX command with at least two words.
    public var andX: AndXHeader?

    /// One past the block's last byte, as ByteCount describes it.
    public var endOffset: Int { dataRange.upperBound }

    /// Locates the block whose WordCount is at `offset`.
    ///
    /// - Parameter isResponse: selects the NT_CREATE_ANDX extended-response quirk: servers
    ///   (Windows, Samba) send WordCount 42 followed by 50 words of parameters.
    public static func locate(in packet: [UInt8], at offset: Int, command: SMBCommand,
                              isResponse: Bool) throws -> SMBBlock {
        guard offset >= 0, offset < packet.count else {
            throw WireError.truncated(field: "\(command.name).WordCount", needed: 1,
                                      available: max(0, packet.count - max(offset, 0)))
        }
        let wordCount = packet[offset]
        let parameterBytes = parameterByteCount(command: command, isResponse: isResponse, wordCount: wordCount)
        let parametersStart = offset + 1
        let byteCountAt = parametersStart + parameterBytes
        guard byteCountAt + 2 <= packet.count else {
            throw WireError.truncated(field: "\(command.name).Words+ByteCount", needed: parameterBytes + 2,
                                      available: packet.count - parametersStart)
        }
        let byteCount = UInt16(packet[byteCountAt]) | UInt16(packet[byteCountAt + 1]) << 8
        let dataStart = byteCountAt + 2
        guard Int(byteCount) <= packet.count - dataStart else {
            throw WireError.outOfRange(field: "\(command.name).ByteCount", offset: dataStart,
                                       length: Int(byteCount), limit: packet.count)
        }
        var andX: AndXHeader?
        if command.isAndX && wordCount >= 2 {
            andX = AndXHeader(command: SMBCommand(packet[parametersStart]), reserved: packet[parametersStart + 1],
                              offset: UInt16(packet[parametersStart + 2]) | UInt16(packet[parametersStart + 3]) << 8)
        }
        return SMBBlock(command: command, offset: offset, wordCount: wordCount,
                        parametersRange: parametersStart..<byteCountAt, byteCount: byteCount,
                        dataRange: dataStart..<(dataStart + Int(byteCount)), andX: andX)
    }

    /// Bytes of parameter words that follow a WordCount.
    public static func parameterByteCount(command: SMBCommand, isResponse: Bool, wordCount: UInt8) -> Int {
        if command == .ntCreateAndX && isResponse && wordCount == NTCreateAndXResponse.extendedWordCount {
            return NTCreateAndXResponse.extendedParameterBytes
        }
        return 2 * Int(wordCount)
    }
}

/// The header and every command block of one SMB1 message, following AndX chains.
public struct SMBMessageLayout: Equatable, Sendable {
    public var header: SMBHeader
    public var blocks: [SMBBlock]

    /// One past the last block.
    public var endOffset: Int { blocks.last?.endOffset ?? SMBHeader.size }

    /// Parses the header and walks the AndX chain.
    ///
    /// A chained block must start at or after the end of the block that points to it:
    /// anything else is ``WireError/andXLoop(offset:)`` (which is also what stops a
    /// self-pointing chain from looping forever). An offset past the packet is
    /// ``WireError/outOfRange(field:offset:length:limit:)``.
    public static func parse(_ packet: [UInt8]) throws -> SMBMessageLayout {
        let header = try SMBHeader.peek(packet)
        var blocks: [SMBBlock] = []
        var block = try SMBBlock.locate(in: packet, at: SMBHeader.size, command: header.command,
                                        isResponse: header.isResponse)
        blocks.append(block)
        while let andX = block.andX, andX.command != .noAndXCommand {
            let next = Int(andX.offset)
            guard next >= block.endOffset else { throw WireError.andXLoop(offset: next) }
            guard next + 3 <= packet.count else {
                throw WireError.outOfRange(field: "\(block.command.name).AndXOffset", offset: next,
                                           length: 3, limit: packet.count)
            }
            block = try SMBBlock.locate(in: packet, at: next, command: andX.command, isResponse: header.isResponse)
            blocks.append(block)
        }
        return SMBMessageLayout(header: header, blocks: blocks)
    }
}
