import KernelRuntime
import SMBCrypto
import SMBWire

extension ServerInfo {
    /// The 8 bytes a request carries when it asks for signing before any session has seeded
    /// the MAC key. The kernel copies the C string `"BSRSPYL"` with its terminating NUL.
    public static let placeholderSignature: [UInt8] = Array("BSRSPYL".utf8) + [0]

    /// Signs `packet` (from `0xFF 'SMB'`) if it asks for it: with the placeholder before the
    /// first session is established, else with the next sequence number, which it records in
    /// `mid` and advances by two (one for the request, one for its reply). Call with
    /// ``srvMutex`` held. Mirrors the kernel's `cifs_sign_smb`.
    func signSMB(_ packet: inout [UInt8], mid: Mid) throws {
        guard packet.count >= SMBHeader.size else { return }
        let flags2 = UInt16(packet[10]) | UInt16(packet[11]) << 8
        let (status, established, key, sequence) = runtime.withLock {
            (tcpStatus, sessionEstablished, sessionKey, sequenceNumber)
        }
        guard flags2 & SMBFlags2.securitySignature.rawValue != 0, status != .needNegotiate else { return }
        guard established else {
            packet.replaceSubrange(SMBHeader.signatureRange, with: Self.placeholderSignature)
            try runtime.tracepoint(
                "cifs_sign_smb", .note,
                "mid \(mid.mid): no session established yet, placeholder signature \"BSRSPYL\\0\"")
            return
        }
        try SMB1Signing.sign(&packet, macKey: key, sequence: sequence)
        runtime.withLock {
            mid.sequenceNumber = sequence
            mid.signingKey = key
            sequenceNumber = sequence &+ 2
        }
        try runtime.tracepoint(
            "cifs_sign_smb", .note,
            "mid \(mid.mid) signed with sequence \(sequence); its reply must verify with \(sequence &+ 1)",
            buffers: [TraceBuffer(name: "signature", bytes: Array(packet[SMBHeader.signatureRange]))],
            diff: [StateDiff("server.sequenceNumber", sequence, sequence &+ 2),
                   StateDiff("mid[\(mid.mid)].sequenceNumber", 0, sequence)])
    }

    /// Checks a reply's signature against `expectedSequence` (the request's sequence + 1) with
    /// the key its request was signed with. Returns nil when there is nothing to check (the
    /// request went out before a session established signing, a NEGOTIATE reply, an oplock
    /// break), else whether it verified. Mirrors the kernel's `cifs_verify_signature`.
    func verifySignature(_ packet: [UInt8], key: [UInt8], expectedSequence: UInt32) -> Bool? {
        guard !key.isEmpty, packet.count >= SMBHeader.size else { return nil }
        let command = SMBCommand(packet[4])
        if command == .negotiate { return nil }
        if command == .lockingAndX, !SMBHeaderBits.isReply(packet) { return nil }
        return SMB1Signing.verify(packet: packet, macKey: key, sequence: expectedSequence)
    }

    /// Verifies `reply` to `mid` when signing is on, counting the outcome. A mismatch is
    /// recorded as -EACCES and otherwise ignored: the 3.8 kernel logged it and used the data.
    /// Mirrors the signing half of the kernel's `cifs_check_receive`.
    func checkReceiveSignature(_ reply: [UInt8], mid: Mid) throws {
        guard signingEnabled else { return }
        let (expected, key) = runtime.withLock { (mid.sequenceNumber &+ 1, mid.signingKey) }
        guard let verified = verifySignature(reply, key: key, expectedSequence: expected) else { return }
        let received = Array(reply[SMBHeader.signatureRange])
        if verified {
            let count = runtime.withLock { () -> Int in
                signaturesVerified += 1
                return signaturesVerified
            }
            try runtime.tracepoint(
                "cifs_verify_signature", .note,
                "mid \(mid.mid) \(mid.command.name) reply verified with sequence \(expected)",
                buffers: [TraceBuffer(name: "signature", bytes: received)],
                diff: [StateDiff("server.signaturesVerified", count - 1, count)])
        } else {
            let count = runtime.withLock { () -> Int in
                signatureFailures += 1
                return signatureFailures
            }
            try runtime.tracepoint(
                "cifs_verify_signature", .note,
                "SMB signature verification returned error = -13 (EACCES) for mid \(mid.mid) "
                    + "\(mid.command.name), sequence \(expected); the data is used anyway",
                buffers: [TraceBuffer(name: "signature", bytes: received)],
                diff: [StateDiff("server.signatureFailures", count - 1, count)])
        }
    }
}

/// Raw header bits read straight from a packet, for code that runs before a full decode.
enum SMBHeaderBits {
    static func isReply(_ packet: [UInt8]) -> Bool {
        packet.count > 9 && packet[9] & SMBFlags.reply.rawValue != 0
    }

    static func mid(_ packet: [UInt8]) -> UInt16 {
        guard packet.count >= SMBHeader.size else { return 0 }
        return UInt16(packet[30]) | UInt16(packet[31]) << 8
    }

    static func status(_ packet: [UInt8]) -> UInt32 {
        guard packet.count >= 9 else { return 0 }
        return UInt32(packet[5]) | UInt32(packet[6]) << 8 | UInt32(packet[7]) << 16 | UInt32(packet[8]) << 24
    }
}
