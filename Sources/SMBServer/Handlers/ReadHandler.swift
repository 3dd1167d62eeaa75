import KernelRuntime
import SMBWire

extension ServerConnection {
    /// Bytes a READ_ANDX reply spends before its data: header, 12 words, ByteCount, pad.
    static let readReplyOverhead = SMBHeader.size + 1 + 24 + 2 + 1

    /// SMB_COM_READ_ANDX. The count is MaxCountOfBytesToReturn, widened by MaxCountHigh when
    /// the client announced CAP_LARGE_READX (and the field is not the −1 Timeout of old
    /// clients), then capped: at ``SMBServerConfiguration/maxReadSize``, at MaxBufferSize
    /// without large reads, and — on a signed connection — at
    /// ``SMBServerConfiguration/signedReadLimit`` like smbd, so clients must loop on short
    /// reads. Mirrors smbd's `reply_read_and_X`.
    func readAndX(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        _ = try requireSession(header)
        _ = try requireTree(header)
        let request = try decode(ReadAndXRequest.self, header, message)
        return try runtime.traced("reply_read_and_X", Self.describe(request)) { call in
            let open = try requireFile(request.fid, header, call)
            let faults = server.countRead()
            let (number, invalidateAfter) = (faults.number, faults.invalidateAfter)
            if let failWith = faults.failWith {
                server.log(.faultInjected(connection: id, fault: "read \(number) fails with \(failWith.name)"))
                throw RequestError(failWith, "fault")
            }
            var count = Int(request.maxCountOfBytesToReturn)
            let high = request.timeoutOrMaxCountHigh
            if configuration.largeReadX && clientCapabilities.contains(.largeReadX) && high != 0xFFFF_FFFF {
                count |= Int(high & 0xFFFF) << 16
            }
            if configuration.largeReadX {
                count = min(count, configuration.maxReadSize)
            } else {
                count = min(count, max(0, Int(configuration.maxBufferSize) - Self.readReplyOverhead))
            }
            if signing.isActive, let limit = configuration.signedReadLimit { count = min(count, limit) }
            if let shortened = faults.shortenTo, shortened < count {
                server.log(.faultInjected(connection: id, fault: "read \(number) answers \(shortened) of \(count) bytes"))
                count = max(0, shortened)
            }
            // The data goes straight into the connection's reply frame, after the room for the
            // NBSS header and the reply's fixed part; the frame grows only to what the file
            // has from the offset on, never to what was asked.
            let dataStart = NBSSFrame.headerSize + Self.readReplyDataOffset
            let read: Int
            do throws(ShareError) {
                read = try open.file.read(offset: request.offset, count: count, into: &replyFrame, at: dataStart)
            } catch let error {
                throw RequestError(error.status, "read")
            }
            try writeReadReplyPrefix(header, dataCount: read)
            var changes = StateChanges(runtime)
            if invalidateAfter {
                changes.set(open, \.invalidated, true, path: "smbd.files[\(open.fid)].invalidated")
                server.log(.faultInjected(connection: id,
                                          fault: "invalidated FID 0x\(String(open.fid, radix: 16)) after read \(number)"))
            }
            call.returning("\(read) of \(count) bytes" + (invalidateAfter ? "; fault: handle invalidated" : ""),
                           diff: changes.diffs)
            return .reply(Reply(frame: [], inReplyFrame: true, command: header.command, status: .success))
        }
    }

    /// Where a READ_ANDX reply's data starts in the SMB message: header, WordCount, 12 words,
    /// ByteCount and one pad byte (the data is put at an even offset).
    static let readReplyDataOffset = ReadAndXResponse.fixedPartSize + ReadAndXResponse.fixedPartSize % 2

    /// Writes the NBSS room and the reply's fixed part (header, words with the data's length
    /// and offset, ByteCount, pad) in front of `dataCount` bytes of data already in
    /// ``replyFrame``.
    private func writeReadReplyPrefix(_ request: SMBHeader, dataCount: Int) throws {
        var encoder = try SMBPacketEncoder(header: replyHeader(request, status: .success))
        try encoder.append(ReadAndXResponse(available: 0xFFFF, data: [][...]))
        var prefix = encoder.bytes
        guard prefix.count == Self.readReplyDataOffset else {
            throw RequestError(.internalError, "READ_ANDX reply prefix of \(prefix.count) bytes")
        }
        // Words of the block (MS-CIFS 2.2.4.42.2): AndX (4), Available, DataCompactionMode,
        // Reserved1, DataLength, DataOffset, DataLengthHigh, Reserved2 (8); then ByteCount.
        let words = SMBHeader.size + 1
        let dataLength = words + 10, dataLengthHigh = words + 14, byteCount = words + 24
        Self.put16(&prefix, dataLength, UInt16(truncatingIfNeeded: dataCount))
        Self.put16(&prefix, dataLengthHigh, UInt16(truncatingIfNeeded: dataCount >> 16))
        // ByteCount counts the pad and the data, truncated to 16 bits for large reads.
        Self.put16(&prefix, byteCount, UInt16(truncatingIfNeeded: dataCount + Self.readReplyDataOffset - ReadAndXResponse.fixedPartSize))
        for (i, byte) in prefix.enumerated() { replyFrame[NBSSFrame.headerSize + i] = byte }
    }

    private static func put16(_ bytes: inout [UInt8], _ at: Int, _ value: UInt16) {
        bytes[at] = UInt8(truncatingIfNeeded: value)
        bytes[at + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    /// What a READ_ANDX asks for, for its enter event.
    private static func describe(_ request: ReadAndXRequest) -> String {
        "FID 0x\(String(request.fid, radix: 16)) offset \(request.offset), up to \(request.maxCountOfBytesToReturn) bytes"
    }
}
