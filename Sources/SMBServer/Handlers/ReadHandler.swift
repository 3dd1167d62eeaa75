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
        let open = try requireFile(request.fid, header)
        let (number, failWith, invalidateAfter) = server.countRead()
        if let failWith {
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
        let data: [UInt8]
        do {
            data = try open.file.read(offset: request.offset, count: count)
        } catch let error {
            throw RequestError(error.status, "read")
        }
        try runtime.tracepoint("reply_read_and_X", .enter,
                               "FID 0x\(String(open.fid, radix: 16)) offset \(request.offset): \(data.count) of \(count) bytes")
        if invalidateAfter {
            files[open.fid]?.invalidated = true
            server.log(.faultInjected(connection: id,
                                      fault: "invalidated FID 0x\(String(open.fid, radix: 16)) after read \(number)"))
        }
        return try reply(header, ReadAndXResponse(available: 0xFFFF, data: data[...]))
    }
}
