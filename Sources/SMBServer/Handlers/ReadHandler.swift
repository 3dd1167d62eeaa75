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
            let data: [UInt8]
            do throws(ShareError) {
                data = try open.file.read(offset: request.offset, count: count)
            } catch let error {
                throw RequestError(error.status, "read")
            }
            var changes = StateChanges(runtime)
            if invalidateAfter {
                changes.set(open, \.invalidated, true, path: "smbd.files[\(open.fid)].invalidated")
                server.log(.faultInjected(connection: id,
                                          fault: "invalidated FID 0x\(String(open.fid, radix: 16)) after read \(number)"))
            }
            call.returning("\(data.count) of \(count) bytes" + (invalidateAfter ? "; fault: handle invalidated" : ""),
                           diff: changes.diffs)
            return try reply(header, ReadAndXResponse(available: 0xFFFF, data: data[...]))
        }
    }

    /// What a READ_ANDX asks for, for its enter event.
    private static func describe(_ request: ReadAndXRequest) -> String {
        "FID 0x\(String(request.fid, radix: 16)) offset \(request.offset), up to \(request.maxCountOfBytesToReturn) bytes"
    }
}
