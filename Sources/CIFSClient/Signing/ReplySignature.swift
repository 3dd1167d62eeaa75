import SMBCrypto

/// A reply's signature computed as the reply streams in from the socket (header, pad, then the
/// data straight into the pages), and — only while tracing — the reply's bytes kept as they
/// pass, so that `cifs_verify_signature` can show the MD5 input it checked.
struct ReplySignature {
    private var stream: SMB1SignatureStream
    /// The reply as received so far, while tracing (`nil` otherwise: `cifstep get` keeps nothing).
    private(set) var kept: [UInt8]?

    init(macKey: [UInt8], sequence: UInt32, keepingBytes: Bool) {
        stream = SMB1SignatureStream(macKey: macKey, sequence: sequence)
        kept = keepingBytes ? [] : nil
    }

    mutating func update(_ bytes: [UInt8]) {
        stream.update(bytes)
        kept?.append(contentsOf: bytes)
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        stream.update(bytes)
        kept?.append(contentsOf: bytes)
    }

    /// Bytes fed so far.
    var length: Int { stream.length }

    /// The first 8 bytes of the MD5 (the signature the reply should carry).
    func finalize() -> [UInt8] { stream.finalize() }
}
