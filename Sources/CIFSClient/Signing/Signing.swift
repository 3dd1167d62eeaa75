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
        assert(runtime.withLock { srvMutex.holder == runtime.currentThreadID }, "cifs_sign_smb without srv_mutex")
        try runtime.traced("cifs_sign_smb", "mid \(mid.mid) \(mid.command.name), \(packet.count) bytes") { call in
            guard packet.count >= SMBHeader.size else {
                call.returning("not signed: \(packet.count) bytes cannot hold an SMB header")
                return
            }
            let flags2 = UInt16(packet[10]) | UInt16(packet[11]) << 8
            let (status, established, key, sequence) = runtime.withLock {
                (tcpStatus, sessionEstablished, sessionKey, sequenceNumber)
            }
            guard flags2 & SMBFlags2.securitySignature.rawValue != 0 else {
                call.returning("not signed: FLAGS2_SMB_SECURITY_SIGNATURE is clear")
                return
            }
            guard status != .needNegotiate else {
                call.returning("not signed: the connection has not negotiated yet")
                return
            }
            guard established else {
                packet.replaceSubrange(SMBHeader.signatureRange, with: Self.placeholderSignature)
                call.returning(
                    "mid \(mid.mid): no session established yet, placeholder signature \"BSRSPYL\\0\"",
                    buffers: [TraceBuffer(name: "signature", bytes: Self.placeholderSignature)])
                return
            }
            let signature = try calculateSignature(
                of: "mid \(mid.mid) \(mid.command.name) request", sequence: sequence, keyLength: key.count
            ) {
                try SMB1Signing.signature(packet: packet, macKey: key, sequence: sequence)
            }
            packet.replaceSubrange(SMBHeader.signatureRange, with: signature)
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                changes.set(mid, \.sequenceNumber, sequence, path: "mid[\(mid.mid)].sequenceNumber")
                mid.signingKey = key
                changes.set(self, \.sequenceNumber, sequence &+ 2, path: "server.sequenceNumber")
            }
            call.returning(
                "mid \(mid.mid) signed with sequence \(sequence); its reply must verify with \(sequence &+ 1)",
                buffers: [TraceBuffer(name: "signature", bytes: signature)], diff: changes.diffs)
        }
    }

    /// The 8-byte signature of a message: the first 8 bytes of MD5(MAC key ‖ message), with the
    /// sequence number and four zero bytes in place of the signature field while hashing.
    /// `compute` does the hashing (over a contiguous packet, or the stream a READ_ANDX reply was
    /// fed through as it arrived). Mirrors the kernel's `cifs_calculate_signature` (renamed
    /// `cifs_calc_signature` in 3.7; the 2013 posts use the old name).
    func calculateSignature(
        of what: @autoclosure () -> String, sequence: UInt32, keyLength: Int, _ compute: () throws -> [UInt8]
    ) throws -> [UInt8] {
        try runtime.traced("cifs_calculate_signature",
            "MD5(MAC key (\(keyLength) bytes) ‖ \(what()) with sequence \(sequence) in the signature field)"
        ) { call in
            let signature = try compute()
            call.returning(
                "first 8 bytes of the MD5: \(Hex.encode(signature))",
                buffers: [TraceBuffer(name: "signature", bytes: signature)])
            return signature
        }
    }

    /// Whether a reply has a signature to check with `key`: not when its request went out
    /// before a session established signing (no key), nor for a NEGOTIATE reply or an oplock
    /// break (a LOCKING_ANDX request from the server) — the tests at the top of the kernel's
    /// `cifs_verify_signature`.
    static func hasSignatureToCheck(_ packet: [UInt8], key: [UInt8]) -> Bool {
        guard !key.isEmpty, packet.count >= SMBHeader.size else { return false }
        let command = SMBCommand(packet[4])
        if command == .negotiate { return false }
        if command == .lockingAndX, !SMBHeaderBits.isReply(packet) { return false }
        return true
    }

    /// Checks a reply's signature: computes what it should be for `expectedSequence` (the
    /// request's sequence + 1) with `compute`, compares it with `received` (the reply's
    /// SecuritySignature field) in constant time, and counts the outcome. A mismatch is the
    /// kernel's -EACCES, which 3.8 logged and otherwise ignored (the data was used).
    /// `how` says what was hashed, for the trace. Mirrors the kernel's `cifs_verify_signature`.
    /// - Returns: whether the signature verified.
    func verifySignature(
        mid: Mid, received: [UInt8], expectedSequence: UInt32, keyLength: Int,
        how: @autoclosure () -> String = "", _ compute: () throws -> [UInt8]
    ) throws -> Bool {
        try runtime.traced("cifs_verify_signature",
            "mid \(mid.mid) \(mid.command.name) reply, expected sequence \(expectedSequence)",
            buffers: [TraceBuffer(name: "received signature", bytes: received)]
        ) { call in
            let computed = try calculateSignature(
                of: "mid \(mid.mid) \(mid.command.name) reply", sequence: expectedSequence, keyLength: keyLength,
                compute)
            let verified = SMB1Signing.signaturesMatch(computed, received)
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                if verified {
                    changes.set(self, \.signaturesVerified, signaturesVerified + 1, path: "server.signaturesVerified")
                } else {
                    changes.set(self, \.signatureFailures, signatureFailures + 1, path: "server.signatureFailures")
                }
            }
            guard call.isTracing else { return verified }
            let detail = how()
            let suffix = detail.isEmpty ? "" : " (\(detail))"
            if verified {
                call.returning(
                    "mid \(mid.mid) \(mid.command.name) reply verified with sequence \(expectedSequence)\(suffix)",
                    diff: changes.diffs)
            } else {
                call.returning(
                    "SMB signature verification returned error = -13 (EACCES) for mid \(mid.mid) "
                        + "\(mid.command.name), sequence \(expectedSequence)\(suffix): expected "
                        + "\(Hex.encode(computed)); the data is used anyway",
                    buffers: [TraceBuffer(name: "expected signature", bytes: computed)], diff: changes.diffs)
            }
            return verified
        }
    }

    /// Verifies `reply` to `mid` when signing is on, counting the outcome. A mismatch is
    /// recorded as -EACCES and otherwise ignored: the 3.8 kernel logged it and used the data.
    /// Mirrors the signing half of the kernel's `cifs_check_receive`.
    func checkReceiveSignature(_ reply: [UInt8], mid: Mid) throws {
        let (enabled, expected, key) = runtime.withLock {
            (signingEnabledUnderRuntimeLock, mid.sequenceNumber &+ 1, mid.signingKey)
        }
        guard enabled else { return }
        guard Self.hasSignatureToCheck(reply, key: key) else { return }
        _ = try verifySignature(
            mid: mid, received: Array(reply[SMBHeader.signatureRange]), expectedSequence: expected,
            keyLength: key.count
        ) {
            try SMB1Signing.signature(packet: reply, macKey: key, sequence: expected)
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
