import SMBCrypto

/// One connection's SMB1 signing state (MS-CIFS 3.3.1.1): the MAC key of the first
/// authenticated session, whether signing is active, and the next sequence number.
///
/// Sequence numbers are assigned in arrival order. The SESSION_SETUP_ANDX that starts signing
/// counts as request 0, its reply is signed with 1; every later request *n* must verify with
/// *n* and its reply is signed with *n* + 1, so each request consumes two numbers (an
/// NT_CANCEL, which gets no reply, consumes one).
struct SigningState: Sendable {
    private(set) var macKey: [UInt8]?
    private(set) var nextSequence: UInt32 = 0

    var isActive: Bool { macKey != nil }

    /// Starts signing with `macKey`: returns the sequence number the activating reply is
    /// signed with (1); the next request must carry 2.
    mutating func activate(macKey: [UInt8]) -> UInt32 {
        self.macKey = macKey
        nextSequence = 2
        return 1
    }

    /// Takes the sequence number of an arriving request and advances the counter.
    mutating func takeRequestSequence(expectsReply: Bool) -> UInt32 {
        let sequence = nextSequence
        nextSequence &+= expectsReply ? 2 : 1
        return sequence
    }

    /// Whether `packet` carries the signature for `sequence`. Mirrors smbd's
    /// `srv_check_sign_mac`.
    func verify(_ packet: [UInt8], sequence: UInt32) -> Bool {
        guard let macKey else { return true }
        return SMB1Signing.verify(packet: packet, macKey: macKey, sequence: sequence)
    }

    /// Signs `packet` with `sequence` (no-op when signing is inactive). Mirrors smbd's
    /// `srv_calculate_sign_mac`.
    func sign(_ packet: inout [UInt8], sequence: UInt32) {
        guard let macKey else { return }
        try? SMB1Signing.sign(&packet, macKey: macKey, sequence: sequence)
    }
}
