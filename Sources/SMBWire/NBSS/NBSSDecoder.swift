/// Reassembles SMB messages from a TCP byte stream, without doing any I/O itself.
///
/// Feed it whatever the socket returned; call ``next()`` until it returns nil. Keep-alives are
/// dropped; any other session packet type is an error (direct TCP has no session request).
/// Bytes are kept in one buffer with a read index, compacted only when the consumed prefix is
/// large and at least half the buffer, so a long stream costs amortised O(1) per byte.
///
/// Every frame type is capped: a keep-alive announcing more than ``maxMessageLength`` bytes is
/// refused like a message would be, and a keep-alive's body (RFC 1002 gives it none) is
/// discarded as it arrives instead of being buffered.
public struct NBSSDecoder {
    /// Frames (messages and keep-alives) longer than this are refused with
    /// ``WireError/tooLarge(field:length:cap:)``.
    public let maxMessageLength: Int
    /// Keep-alive frames dropped so far.
    public private(set) var keepAlivesSkipped = 0

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: WireError?
    /// Body bytes of the current keep-alive still to be discarded.
    private var skipRemaining = 0

    /// Below this many consumed bytes the decoder never compacts (copying a few bytes is
    /// cheaper than the bookkeeping, and most reads drain the buffer completely anyway).
    private static let compactThreshold = 64 * 1024

    public init(maxMessageLength: Int = 16 * 1024 * 1024) {
        self.maxMessageLength = max(0, maxMessageLength)
    }

    /// Bytes received but not yet returned as (part of) a message.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether a frame has started and is not complete: bytes are buffered, or the body of a
    /// keep-alive is still being discarded.
    public var isInsideFrame: Bool { bufferedByteCount > 0 || skipRemaining > 0 }

    /// How many more bytes must arrive before ``next()`` can make progress: the rest of the
    /// 4-byte header, or the rest of the current frame. 0 when a frame is complete.
    public var bytesNeeded: Int {
        if skipRemaining > 0 { return skipRemaining }
        let available = bufferedByteCount
        guard available >= NBSSFrame.headerSize else { return NBSSFrame.headerSize - available }
        let (_, length) = NBSSFrame.parseHeader(buffer[readIndex], buffer[readIndex + 1],
                                                buffer[readIndex + 2], buffer[readIndex + 3])
        return max(0, NBSSFrame.headerSize + length - available)
    }

    /// Appends bytes from the stream.
    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        prepareForAppend()
        buffer.append(contentsOf: bytes)
    }

    /// Appends bytes from a raw buffer (what a socket read fills).
    public mutating func feed(_ raw: UnsafeRawBufferPointer) {
        prepareForAppend()
        buffer.append(contentsOf: raw)
    }

    /// The next complete SMB message (without its 4-byte header), or nil if more bytes are
    /// needed. After an error every later call throws the same error: the stream is out of sync.
    public mutating func next() throws -> [UInt8]? {
        if let failure { throw failure }
        discardKeepAliveBody()
        while skipRemaining == 0 && bufferedByteCount >= NBSSFrame.headerSize {
            let (type, length) = NBSSFrame.parseHeader(buffer[readIndex], buffer[readIndex + 1],
                                                       buffer[readIndex + 2], buffer[readIndex + 3])
            switch type {
            case NBSSFrame.sessionMessage:
                guard length <= maxMessageLength else {
                    return try fail(.tooLarge(field: "NBSS.Length", length: length, cap: maxMessageLength))
                }
                guard bufferedByteCount >= NBSSFrame.headerSize + length else { return nil }
                let start = readIndex + NBSSFrame.headerSize
                let message = Array(buffer[start..<(start + length)])
                readIndex = start + length
                return message
            case NBSSFrame.keepAlive:
                // RFC 1002 keep-alives have length 0; a body a peer attaches anyway is capped
                // like a message and discarded as it arrives, never held.
                guard length <= maxMessageLength else {
                    return try fail(.tooLarge(field: "NBSS.Length", length: length, cap: maxMessageLength))
                }
                readIndex += NBSSFrame.headerSize
                skipRemaining = length
                keepAlivesSkipped += 1
                discardKeepAliveBody()
            default:
                return try fail(.invalidValue(
                    field: "NBSS.Type",
                    reason: "\(NBSSFrame.typeName(type)) is not valid on direct TCP (port 445)"))
            }
        }
        return nil
    }

    /// Drops what has arrived of the current keep-alive's body.
    private mutating func discardKeepAliveBody() {
        guard skipRemaining > 0 else { return }
        let dropped = min(skipRemaining, bufferedByteCount)
        readIndex += dropped
        skipRemaining -= dropped
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
    }

    private mutating func fail(_ error: WireError) throws -> [UInt8]? {
        failure = error
        throw error
    }

    private mutating func prepareForAppend() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= Self.compactThreshold && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
