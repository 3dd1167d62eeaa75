import KernelRuntime
import SMBCrypto

/// One connection's SMB1 signing state (MS-CIFS 3.3.1.1): the MAC key of the first
/// authenticated session, whether signing is active, and the next sequence number.
///
/// Sequence numbers are assigned in arrival order. The SESSION_SETUP_ANDX that starts signing
/// counts as request 0, its reply is signed with 1; every later request *n* must verify with
/// *n* and its reply is signed with *n* + 1, so each request consumes two numbers (an
/// NT_CANCEL, which gets no reply, consumes one).
///
/// A class so that its changes go through ``StateChanges`` (`smbd.macKey`,
/// `smbd.sequenceNumber`), which reads the old value from the object it writes.
final class SigningState {
    private(set) var macKey: [UInt8]?
    /// The sequence number the next request must carry (smbd's `seqnum`).
    private(set) var sequenceNumber: UInt32 = 0

    var isActive: Bool { macKey != nil }

    /// The sequence number the reply that starts signing is signed with.
    static let activatingReplySequence: UInt32 = 1

    /// Starts signing with `macKey`; the next request must carry 2. Mirrors smbd's
    /// `srv_set_signing`.
    func activate(macKey: [UInt8], _ changes: inout StateChanges) {
        changes.set(self, \.macKey, macKey, path: "smbd.macKey")
        changes.set(self, \.sequenceNumber, Self.activatingReplySequence + 1, path: "smbd.sequenceNumber")
    }

    /// Takes the sequence number of an arriving request and advances the counter.
    func takeRequestSequence(expectsReply: Bool, _ changes: inout StateChanges) -> UInt32 {
        let sequence = sequenceNumber
        changes.set(self, \.sequenceNumber, sequence &+ (expectsReply ? 2 : 1), path: "smbd.sequenceNumber")
        return sequence
    }

    /// The signature `packet` should carry for `sequence` (nil when signing is inactive).
    func expectedSignature(_ packet: [UInt8], sequence: UInt32) -> [UInt8]? {
        guard let macKey else { return nil }
        return try? SMB1Signing.signature(packet: packet, macKey: macKey, sequence: sequence)
    }

    /// Whether `packet` carries the signature for `sequence`. Part of smbd's
    /// `srv_check_sign_mac`.
    func verify(_ packet: [UInt8], sequence: UInt32) -> Bool {
        guard let macKey else { return true }
        return SMB1Signing.verify(packet: packet, macKey: macKey, sequence: sequence)
    }

    /// Signs `packet` with `sequence` (no-op when signing is inactive). Part of smbd's
    /// `srv_calculate_sign_mac`.
    func sign(_ packet: inout [UInt8], sequence: UInt32) {
        sign(frame: &packet, packetOffset: 0, sequence: sequence)
    }

    /// Signs the packet that starts at `packetOffset` of `frame` (after its NBSS header)
    /// in place, without copying it.
    func sign(frame: inout [UInt8], packetOffset: Int, sequence: UInt32) {
        guard let macKey else { return }
        let signature = frame.withUnsafeBytes { raw in
            try? SMB1Signing.signature(packet: UnsafeRawBufferPointer(rebasing: raw[packetOffset...]),
                                       macKey: macKey, sequence: sequence)
        }
        // Replies always carry a whole SMB header, so the signature can always be computed.
        guard let signature else {
            assertionFailure("cannot sign a reply of \(frame.count - packetOffset) bytes")
            return
        }
        let at = packetOffset + SMB1Signing.signatureOffset
        for (i, byte) in signature.enumerated() { frame[at + i] = byte }
    }
}
