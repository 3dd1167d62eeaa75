import Testing
@testable import SMBWire

/// NTLMSSP messages smbclient and smbd exchanged on loopback.
@Suite struct NTLMSSPCapturedTests {
    typealias F = AuthFixtures
    static let samba = NTLMSSPVersion(productMajorVersion: 6, productMinorVersion: 1, productBuild: 0)
    static let clientFlags: NTLMSSPNegotiateFlags = [.negotiateUnicode, .requestTarget, .negotiateSign, .negotiateNTLM,
                                                     .negotiateAlwaysSign, .negotiateExtendedSessionSecurity,
                                                     .negotiateVersion, .negotiate128, .negotiateKeyExchange]

    @Test func negotiate() throws {
        let bytes = try inner(F.clientNegTokenInitNegotiate)
        #expect(bytes.count == 40)
        let a = try NTLMSSPNegotiateMessage.decode(bytes)
        #expect(a.value.flags.rawValue == 0x6208_8215)
        #expect(a.value.flags == Self.clientFlags)
        #expect(a.value.domainName.isEmpty && a.value.workstationName.isEmpty)
        #expect(a.value.version == Self.samba)
        #expect(a.value.layout?.buffers == [NTLMSSPSecurityBuffer(length: 0, maxLength: 0, offset: 40),
                                            NTLMSSPSecurityBuffer(length: 0, maxLength: 0, offset: 40)])
        #expect(spansTile(a.spans, 0..<40))
        #expect(span(a.spans, "ntlmssp.NegotiateFlags")?.meaning?.hasPrefix("NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET") == true)
        #expect(try a.value.encode() == bytes)
        // Samba's layout is the canonical one.
        #expect(try NTLMSSPNegotiateMessage(flags: Self.clientFlags, version: Self.samba).encode() == bytes)
    }

    @Test func challenge() throws {
        let bytes = try inner(F.serverNegTokenRespChallenge)
        let a = try NTLMSSPChallengeMessage.decode(bytes, base: 31)
        let m = a.value
        #expect(m.flags.rawValue == 0x628a_8215)
        #expect(m.flags.contains(.targetTypeServer) && m.flags.contains(.negotiateTargetInfo))
        #expect(m.serverChallenge == Hex.decode("d832137e9b06e01f"))
        #expect(m.target == "SMBLAB")
        #expect(m.version == Self.samba)
        let info = try #require(m.targetInfo)
        #expect(info.pairs.map(\.id) == [.nbDomainName, .nbComputerName, .dnsDomainName, .dnsComputerName, .timestamp])
        #expect(info[.nbDomainName]?.stringValue == "SMBLAB")
        #expect(info[.nbComputerName]?.stringValue == "SMBLAB")
        #expect(info[.dnsDomainName]?.value == [])
        #expect(info[.dnsComputerName]?.stringValue == "vm")
        #expect(info[.timestamp]?.integerValue == 0x01dd_7d85_e0c3_7d42)
        // Spans are shifted by `base` and name each AV pair.
        #expect(spansTile(a.spans, 31..<(31 + bytes.count)))
        let ts = try #require(span(a.spans, "ntlmssp.TargetInfo[4].Value"))
        #expect(ts.meaning == "2026-11-26 09:09:44.6013250 UTC")
        #expect(span(a.spans, "ntlmssp.TargetInfo[0].AvId")?.meaning == "MsvAvNbDomainName")
        #expect(span(a.spans, "ntlmssp.TargetInfo[0].Value")?.value == "\"SMBLAB\"")
        #expect(span(a.spans, "ntlmssp.TargetName")?.range == (31 + 56)..<(31 + 68))
        #expect(try m.encode() == bytes)
        var fresh = m
        fresh.layout = nil
        #expect(try fresh.encode() == bytes)
    }

    @Test func authenticateNTLMv2WithMIC() throws {
        let bytes = try inner(F.clientNegTokenRespAuthenticateNTLMv2)
        let a = try NTLMSSPAuthenticateMessage.decode(bytes)
        let m = a.value
        #expect(m.flags == Self.clientFlags)
        #expect((m.domain, m.user, m.workstationName) == ("WORKGROUP", "alice", "VM"))
        #expect(m.lmChallengeResponse == [UInt8](repeating: 0, count: 24))
        #expect(m.ntChallengeResponse.count == 216)
        #expect(Array(m.ntChallengeResponse.prefix(16)) == Hex.decode("e0b7d406dca6e8d8f5c2d80607167964"))
        #expect(m.encryptedRandomSessionKey == Hex.decode("8f9766c2904bd39229df7431ca4c30c5"))
        #expect(m.version == Self.samba)
        #expect(m.mic == Hex.decode("f3de5aa89b638dcff29c014bd3e98225"))
        #expect(m.micRange == 72..<88)
        #expect(m.layout?.headerLength == 88)
        #expect(span(a.spans, "ntlmssp.MIC")?.range == 72..<88)
        #expect(span(a.spans, "ntlmssp.NtChallengeResponse")?.meaning == "NTLMv2 response: NTProofStr + client blob")
        #expect(spansTile(a.spans, 0..<bytes.count))
        #expect(try m.encode() == bytes)
        var fresh = m
        fresh.layout = nil
        #expect(try fresh.encode() == bytes)
    }

    @Test func authenticateNTLMv1AndAnonymous() throws {
        let v1 = try inner(F.clientNegTokenRespAuthenticateNTLMv1)
        let m1 = try NTLMSSPAuthenticateMessage.decode(v1).value
        #expect(m1.lmChallengeResponse.count == 24 && m1.ntChallengeResponse.count == 24)
        #expect(m1.user == "alice")
        #expect(m1.mic == Hex.decode("d8ff44b5915c5d8affb3df6e8055436f"))
        #expect(try m1.encode() == v1)

        let anon = try inner(F.clientNegTokenRespAuthenticateAnonymous)
        let a = try NTLMSSPAuthenticateMessage.decode(anon)
        #expect(a.value.flags.contains(.anonymous))
        #expect(a.value.flags.rawValue == 0x6200_8a15)
        #expect(a.value.lmChallengeResponse.isEmpty && a.value.ntChallengeResponse.isEmpty)
        #expect(a.value.userName.isEmpty && a.value.domainName.isEmpty && a.value.workstation.isEmpty)
        #expect(a.value.encryptedRandomSessionKey.count == 16)
        #expect(a.value.mic != nil)
        #expect(a.value.layout?.buffers.allSatisfy { $0.offset == 0x58 } == true)
        #expect(spansTile(a.spans, 0..<anon.count))
        #expect(try a.value.encode() == anon)
    }

    @Test func micInputZeroesTheMICOnly() throws {
        let n = try inner(F.clientNegTokenInitNegotiate)
        let c = try inner(F.serverNegTokenRespChallenge)
        let a = try inner(F.clientNegTokenRespAuthenticateNTLMv2)
        let input = try NTLMSSPMIC.input(negotiate: n, challenge: c, authenticate: a)
        #expect(input.count == n.count + c.count + a.count)
        #expect(Array(input[0..<n.count]) == n)
        #expect(Array(input[n.count..<(n.count + c.count)]) == c)
        let tail = Array(input[(n.count + c.count)...])
        #expect(Array(tail[72..<88]) == [UInt8](repeating: 0, count: 16))
        var restored = tail
        restored.replaceSubrange(72..<88, with: Hex.decode("f3de5aa89b638dcff29c014bd3e98225") ?? [])
        #expect(restored == a)
        // Wrong order or a MIC-less AUTHENTICATE is refused.
        #expect(wireError { _ = try NTLMSSPMIC.input(negotiate: c, challenge: n, authenticate: a) } != nil)
        #expect(wireError {
            _ = try NTLMSSPMIC.input(negotiate: n, challenge: c, authenticate: F.specV2Authenticate)
        } == .invalidValue(field: "authenticate", reason: "AUTHENTICATE message carries no MIC"))
    }

    @Test func messageDispatch() throws {
        let c = try inner(F.serverNegTokenRespChallenge)
        #expect(try NTLMSSPMessageType.of(c) == .challenge)
        let decoded = try NTLMSSPMessage.decode(c)
        guard case let .challenge(m) = decoded.value else {
            Issue.record("expected CHALLENGE")
            return
        }
        #expect(m.target == "SMBLAB")
        #expect(decoded.value.type == .challenge)
        #expect(try decoded.value.encode() == c)
    }
}
