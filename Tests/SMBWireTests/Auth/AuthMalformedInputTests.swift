import Testing
@testable import SMBWire

/// Hand-made malformed inputs, each refused with a specific WireError.
@Suite struct NTLMSSPMalformedTests {
    typealias F = AuthFixtures

    @Test func emptyBadSignatureAndWrongType() throws {
        #expect(wireError { _ = try NTLMSSPNegotiateMessage.decode([]) }
            == .truncated(field: "ntlmssp.Signature", needed: 8, available: 0))
        var bad = F.specV2Challenge
        bad[7] = 0x01
        let e = wireError { _ = try NTLMSSPChallengeMessage.decode(bad) }
        guard case let .invalidValue(field, reason)? = e else {
            Issue.record("expected invalidValue, got \(String(describing: e))")
            return
        }
        #expect(field == "ntlmssp.Signature")
        #expect(reason.hasSuffix("got 4e544c4d53535001"))
        #expect(wireError { _ = try NTLMSSPNegotiateMessage.decode(F.specV2Challenge) }
            == .invalidValue(field: "ntlmssp.MessageType", reason: "expected 1 (NtLmNegotiate), got 2 (NtLmChallenge)"))
        #expect(wireError { _ = try NTLMSSPAuthenticateMessage.decode(F.specV2Challenge, prefix: "x.") }
            == .invalidValue(field: "x.MessageType", reason: "expected 3 (NtLmAuthenticate), got 2 (NtLmChallenge)"))
        #expect(wireError { _ = try NTLMSSPMessage.decode(NTLMSSP.signature + [9, 0, 0, 0]) }
            == .invalidValue(field: "MessageType", reason: "unknown NTLMSSP message type 9"))
        #expect(wireError { _ = try NTLMSSPMessage.decode(Array("NTLMSSP".utf8)) }
            == .truncated(field: "Signature", needed: 8, available: 7))
    }

    @Test func everyTruncationIsRefused() throws {
        for message in [F.specV2Authenticate, F.specV1Authenticate, F.specV2Challenge,
                        try inner(F.clientNegTokenRespAuthenticateNTLMv2), try inner(F.serverNegTokenRespChallenge)] {
            for n in 0..<message.count {
                #expect(wireError { _ = try NTLMSSPMessage.decode(Array(message.prefix(n))) } != nil, "prefix \(n)")
            }
        }
        // NEGOTIATE: below 16 bytes fails; 16–31 is the legal 16-byte form plus padding;
        // 32–39 leaves the fields' offset (40) past the end.
        let negotiate = try inner(F.clientNegTokenInitNegotiate)
        for n in 0..<negotiate.count {
            let prefix = Array(negotiate.prefix(n))
            if (16..<32).contains(n) {
                let m = try NTLMSSPNegotiateMessage.decode(prefix).value
                #expect(m.flags.rawValue == 0x6208_8215)
                #expect(try m.encode() == prefix)
            } else {
                #expect(wireError { _ = try NTLMSSPNegotiateMessage.decode(prefix) } != nil, "prefix \(n)")
            }
        }
    }

    @Test func payloadFieldsOutsideTheMessage() {
        // NtChallengeResponseBufferOffset (bytes 24..<28) pointing far past the end.
        #expect(wireError { _ = try NTLMSSPAuthenticateMessage.decode(patched(F.specV2Authenticate, at: 24, u32: 0xfff0)) }
            == .outOfRange(field: "ntlmssp.NtChallengeResponse", offset: 0xfff0, length: 84, limit: 232))
        // EncryptedRandomSessionKeyLen (52) one byte too long.
        #expect(wireError { _ = try NTLMSSPAuthenticateMessage.decode(patched(F.specV2Authenticate, at: 52, u16: 17)) }
            == .outOfRange(field: "ntlmssp.EncryptedRandomSessionKey", offset: 216, length: 17, limit: 232))
        // An offset near UInt32.max must not overflow.
        #expect(wireError { _ = try NTLMSSPAuthenticateMessage.decode(patched(F.specV2Authenticate, at: 24, u32: 0xffff_ffff)) }
            == .outOfRange(field: "ntlmssp.NtChallengeResponse", offset: 0xffff_ffff, length: 84, limit: 232))
    }

    @Test func payloadFieldsInsideTheHeaderOrOverlapping() {
        #expect(wireError { _ = try NTLMSSPAuthenticateMessage.decode(patched(F.specV2Authenticate, at: 40, u32: 8)) }
            == .invalidValue(field: "ntlmssp.UserNameBufferOffset", reason: "offset 8 points into the 64-byte fixed header"))
        let overlapping = patched(F.specV2Authenticate, at: 40, u32: 0x4a) // UserName inside DomainName
        guard case let .invalidValue(_, reason)? = wireError({ _ = try NTLMSSPAuthenticateMessage.decode(overlapping) }) else {
            Issue.record("expected invalidValue")
            return
        }
        #expect(reason.contains("overlaps"))
        #expect(wireError { _ = try NTLMSSPChallengeMessage.decode(patched(F.specV2Challenge, at: 16, u32: 20)) }
            == .invalidValue(field: "ntlmssp.TargetNameBufferOffset", reason: "offset 20 points into the 48-byte fixed header"))
    }

    @Test func badTargetInfo() {
        // TargetInfoLen (40) cut to the two pairs without the terminator.
        #expect(wireError { _ = try NTLMSSPChallengeMessage.decode(patched(F.specV2Challenge, at: 40, u16: 32)) }
            == .invalidValue(field: "ntlmssp.TargetInfo", reason: "AV pair list has no MsvAvEOL terminator"))
        #expect(wireError { _ = try NTLMSSPChallengeMessage.decode(patched(F.specV2Challenge, at: 40, u16: 34)) }
            == .truncated(field: "ntlmssp.TargetInfo[2].AvLen", needed: 2, available: 0))
    }
}

@Suite struct SPNEGOMalformedTests {
    typealias F = AuthFixtures

    @Test func derLengths() {
        #expect(wireError { _ = try SPNEGO.decode([]) } == .truncated(field: "spnego.tag", needed: 2, available: 0))
        #expect(wireError { _ = try SPNEGO.decode([0xa1]) } == .truncated(field: "DER@0.length", needed: 1, available: 0))
        #expect(wireError { _ = try SPNEGO.decode([0x60, 0x80, 0x06, 0x00, 0x00, 0x00]) }
            == .invalidValue(field: "DER@0.length", reason: "indefinite length (0x80) is not DER"))
        #expect(wireError { _ = try SPNEGO.decode([0xa1, 0x10, 0x30, 0x00]) }
            == .outOfRange(field: "DER@0.value", offset: 2, length: 16, limit: 4))
        #expect(wireError { _ = try SPNEGO.decode([0xa1, 0x81, 0x02, 0x30, 0x00]) }
            == .invalidValue(field: "DER@0.length", reason: "non-minimal length encoding (1 octets for 2)"))
        #expect(wireError { _ = try SPNEGO.decode([0xa1, 0x82, 0x00, 0x02, 0x30, 0x00]) }
            == .invalidValue(field: "DER@0.length", reason: "non-minimal length encoding (2 octets for 2)"))
        #expect(wireError { _ = try SPNEGO.decode([0xa1, 0x85, 1, 1, 1, 1, 1]) }
            == .tooLarge(field: "DER@0.length octets", length: 5, cap: 4))
        #expect(wireError { _ = try SPNEGO.decode([0xa1, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30]) }
            == .outOfRange(field: "DER@0.value", offset: 6, length: 0x7fff_ffff, limit: 7))
        // The real 412-byte blob with its 2-octet length claiming one byte more than there is.
        var long = F.clientNegTokenRespAuthenticateNTLMv2
        long[3] += 1
        #expect(wireError { _ = try SPNEGO.decode(long) } == .outOfRange(field: "DER@0.value", offset: 4, length: 409, limit: 412))
        #expect(wireError { _ = try SPNEGO.decode([0x1f, 0x01, 0x00]) }
            == .unsupported("DER@0: high-tag-number form (tag 0x1f)"))
        #expect(wireError { _ = try SPNEGO.decode([0xa1, 0x04, 0x00, 0x00, 0x00, 0x00]) }
            == .invalidValue(field: "DER@2.tag", reason: "end-of-contents marker (BER indefinite form)"))
    }

    @Test func deepNestingStopsAtTheLimit() {
        var token: [UInt8] = [0x05, 0x00]
        for _ in 0..<200 { token = DER.encode(tag: 0x30, token) }
        let e = wireError { _ = try SPNEGO.decode(DER.encode(tag: 0xa1, token)) }
        guard case let .tooLarge(field, length, cap)? = e else {
            Issue.record("expected tooLarge, got \(String(describing: e))")
            return
        }
        #expect(field.hasSuffix("nesting depth"))
        #expect(length == DER.maxDepth + 1 && cap == DER.maxDepth)
        // Exactly at the limit the DER layer accepts; the schema then refuses the shape.
        var ok: [UInt8] = [0x05, 0x00]
        for _ in 0..<(DER.maxDepth - 1) { ok = DER.encode(tag: 0x30, ok) }
        #expect((try? DER.parse(ok, in: 0..<ok.count)) != nil)
    }

    @Test func schemaViolations() {
        #expect(wireError { _ = try SPNEGO.decode(F.serverNegTokenRespAcceptAnonymous + [0x04, 0x00]) }
            == .invalidValue(field: "spnego.InitialContextToken", reason: "2 trailing byte(s) after the token"))
        #expect(wireError { _ = try SPNEGO.decode([0x30, 0x00]) }
            == .invalidValue(field: "spnego.tag", reason: "not a SPNEGO token: tag 0x30 (UNIVERSAL 16 SEQUENCE, constructed)"))
        let kerberosFramed = DER.encode(tag: 0x60, ASN1ObjectIdentifier.kerberos5.encoded + [0xa0, 0x00])
        #expect(wireError { _ = try SPNEGO.decode(kerberosFramed) }
            == .unsupported("GSS-API token for mechanism 1.2.840.113554.1.2.2 (Kerberos 5), not SPNEGO"))
        #expect(wireError { _ = try SPNEGO.decode(Hex.decode("a1063004a5020500") ?? []) }
            == .unsupported("spnego.negTokenResp: unknown element [5]"))
        #expect(wireError { _ = try SPNEGO.decode(Hex.decode("a10c300aa203040100a0030a0100") ?? []) }
            == .invalidValue(field: "spnego.negTokenResp", reason: "element [0] out of order or repeated"))
        #expect(wireError { _ = try SPNEGO.decode(Hex.decode("a1083006a0040a020001") ?? []) }
            == .invalidValue(field: "spnego.negTokenResp.negState.enumerated", reason: "negState must be one octet 0…127, got 0001"))
        #expect(wireError { _ = try SPNEGO.decode(Hex.decode("a1073005a003040100") ?? []) }
            == .invalidValue(field: "spnego.negTokenResp.negState.enumerated",
                             reason: "expected tag 0x0a (UNIVERSAL 10 ENUMERATED, primitive), got 0x04"))
        #expect(wireError { _ = try SPNEGO.decode(Hex.decode("a1093007a0050a01000a00") ?? []) }
            == .invalidValue(field: "spnego.negTokenResp[0]", reason: "must hold exactly one value, holds 2"))
        #expect(wireError { _ = try SPNEGO.decode(Hex.decode("a0073005a103030108") ?? []) }
            == .invalidValue(field: "spnego.negTokenInit.reqFlags.bits", reason: "malformed BIT STRING 08"))
        #expect(wireError { _ = try SPNEGO.decode(Hex.decode("a0093007a00530030601 86") ?? []) }
            == .invalidValue(field: "spnego.negTokenInit.mechTypes[0]", reason: "last subidentifier is cut short"))
        #expect(wireError { _ = try SPNEGO.decode(Hex.decode("a00c300aa3030401aaa4030401bb") ?? []) }
            == .invalidValue(field: "spnego.negTokenInit.mechListMIC", reason: "mechListMIC at both [3] and [4]"))
        #expect(wireError { _ = try SPNEGO.decode(Hex.decode("a0043002a200") ?? []) }
            == .invalidValue(field: "spnego.negTokenInit[2]", reason: "must hold exactly one value, holds 0"))
        // unwrap reports the same errors.
        #expect(wireError { _ = try SPNEGO.unwrap([0x60, 0x80, 0x00, 0x00]) } != nil)
    }
}
