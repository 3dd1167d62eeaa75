import KernelRuntime
import SMBCrypto
import SMBWire

extension ServerInfo {
    /// The 8 bytes a request carries when it asks for signing before any session has seeded
    /// the MAC key. The kernel copies the C string `"BSRSPYL"` with its terminating NUL.
    public static let placeholderSignature: [UInt8] = Array("BSRSPYL".utf8) + [0]

    /// Signs `packet` (from `0xFF 'SMB'`) if it asks for it: with the placeholder before the
    /// first session is established, else with the next sequence number, which it writes into
    /// the signature field, records in `mid` and advances by two (one for the request, one for
    /// its reply). Call with ``srvMutex`` held. Mirrors the kernel's `cifs_sign_smb`.
    /// - Returns: while tracing, how the packet as sent was put together (the packet with its
    ///   sequence number, the signature in that field's place), for `smb_send`'s buffer.
    @discardableResult
    func signSMB(_ packet: inout [UInt8], mid: Mid) throws -> Derivation? {
        assert(runtime.withLock { srvMutex.holder == runtime.currentThreadID }, "cifs_sign_smb without srv_mutex")
        return try runtime.traced("cifs_sign_smb", mid: mid.mid, "mid \(mid.mid) \(mid.command.name), \(packet.count) bytes") {
            call -> Derivation? in
            guard packet.count >= SMBHeader.size else {
                call.returning("not signed: \(packet.count) bytes cannot hold an SMB header")
                return nil
            }
            let flags2 = UInt16(packet[10]) | UInt16(packet[11]) << 8
            let (status, established, key, keyTrace, sequence) = runtime.withLock {
                (tcpStatus, sessionEstablished, sessionKey, self.keyTrace.macKey, sequenceNumber)
            }
            guard flags2 & SMBFlags2.securitySignature.rawValue != 0 else {
                call.returning("not signed: FLAGS2_SMB_SECURITY_SIGNATURE is clear")
                return nil
            }
            guard status != .needNegotiate else {
                call.returning("not signed: the connection has not negotiated yet")
                return nil
            }
            guard established else {
                packet.replaceSubrange(SMBHeader.signatureRange, with: Self.placeholderSignature)
                call.returning(
                    "mid \(mid.mid): no session established yet, placeholder signature \"BSRSPYL\\0\"",
                    buffers: [TraceBuffer(name: "signature", bytes: Self.placeholderSignature)])
                return nil
            }
            // The sequence number goes into the signature field, and the counter moves on by two.
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                changes.set(mid, \.sequenceNumber, sequence, path: "mid[\(mid.mid)].sequenceNumber")
                mid.signingKey = key
                changes.set(self, \.sequenceNumber, sequence &+ 2, path: "server.sequenceNumber")
            }
            var withSequence: TracedBytes?
            if call.isTracing {
                let built = SMBTrace.buffer(
                    "request", packet, traceableOn: runtime, derivation: .given("the request as built, before signing"))
                let traced = Self.writeSequence(
                    sequence, into: TracedBytes(made: built), name: "request with sequence \(sequence)",
                    source: "server->sequence_number", on: runtime)
                withSequence = traced.packet
                try call.note(
                    "sequence \(sequence) written into the signature field; its reply must verify with \(sequence &+ 1)",
                    buffers: [built] + traced.sequence.buffers + traced.packet.buffers, diff: changes.diffs)
            }
            let signature = try calculateSignature(
                of: "mid \(mid.mid) \(mid.command.name) request", sequence: sequence, keyLength: key.count,
                traced: withSequence.map { (KeyTrace.current(key, keyTrace), $0) }
            ) {
                try SMB1Signing.signature(packet: packet, macKey: key, sequence: sequence)
            }
            packet.replaceSubrange(SMBHeader.signatureRange, with: signature.bytes)
            call.returning(
                "mid \(mid.mid) signed: its first 8 digest bytes replace the sequence number",
                buffers: signature.buffers)
            guard let withSequence else { return nil }
            let field = SMBHeader.signatureRange
            return Derivation(.concat, [
                withSequence.input("header before the signature", range: 0..<field.lowerBound),
                signature.input("signature"),
                withSequence.input("the rest", range: field.upperBound..<packet.count),
            ])
        }
    }

    /// `packet` with `sequence` (little-endian) and four zero bytes in its signature field, as a
    /// traced buffer named `name` derived from the packet and the sequence number.
    /// - Returns: the packet with its sequence number, and the sequence number's own buffer.
    static func writeSequence(
        _ sequence: UInt32, into packet: TracedBytes, name: String, source: String, on runtime: any KernelRuntime
    ) -> (packet: TracedBytes, sequence: TracedBytes) {
        let number = runtime.given("sequence number", (0..<4).map { UInt8(truncatingIfNeeded: sequence >> (8 * $0)) },
                                   source: source)
        var bytes = packet.bytes
        bytes.replaceSubrange(SMBHeader.signatureRange, with: number.bytes + [0, 0, 0, 0])
        // Annotated afresh: the packet's own spans would show its old signature field's value.
        let written = runtime.derive(
            name, bytes, spans: SMBMessage.annotate(bytes).spans, .sequenceInSignatureField,
            [packet.input("packet"), number.input("sequence")])
        return (written, number)
    }

    /// The 8-byte signature of a message: the first 8 bytes of MD5(MAC key ‖ message), with the
    /// sequence number and four zero bytes in place of the signature field while hashing.
    /// While tracing, and when `traced` gives the MAC key and the message with its sequence
    /// number as traced buffers, the MD5 input, the digest and the 8 bytes kept are recorded
    /// and computed from those; otherwise `compute` does the hashing (over a contiguous packet,
    /// or the stream a READ_ANDX reply was fed through as it arrived). Mirrors the kernel's
    /// `cifs_calculate_signature` (renamed `cifs_calc_signature` in 3.7; the 2013 posts use the
    /// old name).
    func calculateSignature(
        of what: @autoclosure () -> String, sequence: UInt32, keyLength: Int,
        traced inputs: (macKey: TracedBytes, packet: TracedBytes)? = nil, _ compute: () throws -> [UInt8]
    ) throws -> TracedBytes {
        try runtime.traced("cifs_calculate_signature",
            "MD5(MAC key (\(keyLength) bytes) ‖ \(what()) with sequence \(sequence) in the signature field)"
        ) { call in
            guard call.isTracing, let (macKey, packet) = inputs else {
                let signature = runtime.given("signature", try compute(),
                                              source: "MD5 over the message as it streamed in (the bytes are not kept)")
                call.returning("first 8 bytes of the MD5: \(signature.hex)", buffers: signature.buffers)
                return signature
            }
            let keyLength = macKey.bytes.count
            let packetSpans: [FieldSpan] = packet.made?.spans ?? []
            let shifted = packetSpans.map { span -> FieldSpan in
                let range = (span.range.lowerBound + keyLength)..<(span.range.upperBound + keyLength)
                return FieldSpan(range: range, name: span.name, value: span.value, meaning: span.meaning)
            }
            let spans = [FieldSpan(range: 0..<keyLength, name: "MAC key", value: "\(keyLength) bytes")] + shifted
            let input = runtime.derive("MD5 input", macKey.bytes + packet.bytes, spans: spans, .concat,
                                       [macKey.input("MAC key"), packet.input("packet")])
            try call.note("MD5 input: the MAC key (\(macKey.bytes.count) bytes) ‖ the packet (\(packet.bytes.count) bytes)",
                          buffers: input.buffers)
            let digest = runtime.derive("MD5 digest", NTLM.md5(input.bytes), .md5, [input.input("message")])
            let signature = runtime.derive("signature", Array(digest.bytes.prefix(SMB1Signing.signatureLength)), .truncate,
                                           [digest.input("digest")], length: SMB1Signing.signatureLength)
            call.returning("first 8 bytes of the MD5: \(signature.hex)", buffers: digest.buffers + signature.buffers)
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

    /// Checks a reply's signature: saves the signature the server sent, computes what it
    /// should be for `expectedSequence` (the request's sequence + 1) and compares the two in
    /// constant time, counting the outcome. A mismatch is the kernel's -EACCES, which 3.8
    /// logged and otherwise ignored (the data was used). While tracing, `reply` (the whole
    /// reply as received, as a traced buffer) lets every step be recorded from its bytes;
    /// without it `compute` does the hashing. `how` says what was hashed, for the trace.
    /// Mirrors the kernel's `cifs_verify_signature`.
    /// - Returns: whether the signature verified.
    func verifySignature(
        mid: Mid, received: [UInt8], expectedSequence: UInt32, keyLength: Int, reply: TracedBytes? = nil,
        how: @autoclosure () -> String = "", _ compute: () throws -> [UInt8]
    ) throws -> Bool {
        try runtime.traced("cifs_verify_signature", mid: mid.mid,
            "mid \(mid.mid) \(mid.command.name) reply, expected sequence \(expectedSequence)"
        ) { call in
            let field = SMBHeader.signatureRange
            var saved = TracedBytes(received)
            var traced: (macKey: TracedBytes, packet: TracedBytes)?
            if call.isTracing {
                if let reply, reply.bytes.count >= SMBHeader.size, Array(reply.bytes[field]) == received {
                    saved = runtime.derive("received signature", received, .copy,
                                           [reply.input("reply", range: field)])
                    let written = Self.writeSequence(
                        expectedSequence, into: reply, name: "reply with sequence \(expectedSequence)",
                        source: "mid[\(mid.mid)].sequenceNumber + 1", on: runtime)
                    let (key, keyTrace) = runtime.withLock { (mid.signingKey, self.keyTrace.macKey) }
                    traced = (KeyTrace.current(key, keyTrace), written.packet)
                    try call.note(
                        "saved the server's signature \(saved.hex); sequence \(expectedSequence) written in its place",
                        buffers: saved.buffers + written.sequence.buffers + written.packet.buffers)
                } else {
                    saved = runtime.given("received signature", received, source: "the reply's SecuritySignature field")
                    try call.note("saved the server's signature \(saved.hex)", buffers: saved.buffers)
                }
            }
            let computed = try calculateSignature(
                of: "mid \(mid.mid) \(mid.command.name) reply", sequence: expectedSequence, keyLength: keyLength,
                traced: traced, compute)
            let verified = SMB1Signing.signaturesMatch(computed.bytes, received)
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                if verified {
                    changes.set(self, \.signaturesVerified, signaturesVerified + 1, path: "server.signaturesVerified")
                } else {
                    changes.set(self, \.signatureFailures, signatureFailures + 1, path: "server.signatureFailures")
                }
            }
            guard call.isTracing else { return verified }
            let comparison = runtime.derive(
                "signature comparison", [verified ? 1 : 0], .compare,
                [computed.input("computed"), saved.input("received")])
            let detail = how()
            let suffix = detail.isEmpty ? "" : " (\(detail))"
            if verified {
                call.returning(
                    "mid \(mid.mid) \(mid.command.name) reply verified with sequence \(expectedSequence)\(suffix)",
                    buffers: comparison.buffers, diff: changes.diffs)
            } else {
                call.returning(
                    "SMB signature verification returned error = -13 (EACCES) for mid \(mid.mid) "
                        + "\(mid.command.name), sequence \(expectedSequence)\(suffix): expected "
                        + "\(computed.hex), received \(saved.hex); the data is used anyway",
                    buffers: comparison.buffers, diff: changes.diffs)
            }
            return verified
        }
    }

    /// Verifies `reply` to `mid` when signing is on, counting the outcome. A mismatch is
    /// recorded as -EACCES and otherwise ignored: the 3.8 kernel logged it and used the data.
    /// Mirrors the signing half of the kernel's `cifs_check_receive`.
    func checkReceiveSignature(_ reply: [UInt8], mid: Mid) throws {
        let (enabled, expected, key, replyTrace) = runtime.withLock {
            (signingEnabledUnderRuntimeLock, mid.sequenceNumber &+ 1, mid.signingKey, mid.replyTrace)
        }
        guard enabled else { return }
        guard Self.hasSignatureToCheck(reply, key: key) else { return }
        _ = try verifySignature(
            mid: mid, received: Array(reply[SMBHeader.signatureRange]), expectedSequence: expected,
            keyLength: key.count, reply: TracedBytes(reply, buffer: replyTrace?.id)
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
