import KernelRuntime
import SMBWire

extension Session {
    /// One READ_ANDX of up to `count` bytes at `offset` (12 words when the server has
    /// CAP_LARGE_FILES; MaxCountHigh carries count >> 16), returning the data, which may be
    /// short and is empty at end of file. Mirrors the kernel's `CIFSSMBRead`.
    ///
    /// Divergence: the 3.8 sync path capped reads at CIFSMaxBufSize (16 KiB) because its reply
    /// buffer was that big; here the reply buffer grows, so reads go up to the negotiated rsize.
    func smbRead(_ file: OpenFile, offset: UInt64, count: Int) throws -> ArraySlice<UInt8> {
        let runtime = server.runtime
        let tree = file.tree
        try reconnectTcon(tree, command: .readAndX)
        let (fid, caps) = runtime.withLock { (file.fid, capabilities) }
        let largeFiles = caps.contains(.largeFiles)
        guard largeFiles || offset >> 32 == 0 else {
            throw CIFSError.invalidArgument("offset \(offset) needs CAP_LARGE_FILES")
        }
        let header = headerAssemble(.readAndX, tree: tree)
        let requested = UInt32(clamping: count)
        let body = ReadAndXRequest(
            fid: fid, offset: offset, maxCountOfBytesToReturn: UInt16(truncatingIfNeeded: requested),
            minCountOfBytesToReturn: 0, timeoutOrMaxCountHigh: requested >> 16, remaining: 0,
            hasOffsetHigh: largeFiles)
        return try runtime.traced("CIFSSMBRead", "fid \(fid): \(count) bytes at offset \(offset)") { call in
            let reply = try sendReceive(try encodeRequest(header, body), function: "CIFSSMBRead")
            runtime.withLock { tree.numReads += 1 }
            let packet = try decodeReply(ReadAndXResponse.self, reply)
            let data = packet.body.data
            guard data.count <= count else {
                throw CIFSError.malformedReply(command: .readAndX, reason: "bad length \(data.count) for count \(count)")
            }
            call.returning("\(data.count) bytes at offset \(offset)")
            return data
        }
    }

    /// Reads up to `count` bytes at `offset` with READ_ANDX requests of at most `rsize` bytes,
    /// handing each piece to `deliver`. Stops early at end of file (an empty reply) and on a
    /// short read only when nothing more comes. A lost connection (-EAGAIN) reopens the handle
    /// and retries; an error after some data returns what was read, as the kernel did.
    /// Mirrors the kernel's synchronous `cifs_read`.
    func cifsRead(_ file: OpenFile, offset: UInt64, count: Int, rsize: Int,
                  deliver: (ArraySlice<UInt8>) throws -> Void) throws -> Int {
        let runtime = server.runtime
        return try runtime.traced("cifs_read", "\(file.path): \(count) bytes at offset \(offset), rsize \(rsize)") {
            call in
            let total = try readPieces(file, offset: offset, count: count, rsize: rsize, call: call, deliver: deliver)
            call.returning("\(total) bytes read")
            return total
        }
    }

    /// The loop of ``cifsRead(_:offset:count:rsize:deliver:)``; its notes go to `call`, `cifs_read`'s frame.
    private func readPieces(_ file: OpenFile, offset: UInt64, count: Int, rsize: Int, call: TracedCall,
                            deliver: (ArraySlice<UInt8>) throws -> Void) throws -> Int {
        let runtime = server.runtime
        var total = 0
        var position = offset
        while total < count {
            let current = min(count - total, rsize)
            var attempts = 0
            var piece: ArraySlice<UInt8> = []
            while true {
                do {
                    if runtime.withLock({ file.invalidHandle }) { try reopenFile(file) }
                    piece = try smbRead(file, offset: position, count: current)
                    break
                } catch CIFSError.again(let reason) {
                    attempts += 1
                    try call.note("-EAGAIN: \(reason)")
                    if attempts >= CIFSMount.maxRetries {
                        if total > 0 { return total }
                        throw CIFSError.again(reason)
                    }
                } catch let error as RuntimeAbort {
                    throw error
                } catch {
                    if total > 0 { return total }
                    throw error
                }
            }
            if piece.isEmpty { break }
            try deliver(piece)
            total += piece.count
            position += UInt64(piece.count)
            runtime.withLock { file.tree.bytesRead += UInt64(piece.count) }
        }
        return total
    }
}
