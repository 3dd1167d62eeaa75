import Testing
@testable import SMBWire

/// The MS-NLMP §4.2.2.3 and §4.2.4.3 example messages: decode to the documented values and
/// re-encode byte for byte.
@Suite struct NTLMSSPSpecVectorTests {
    typealias F = AuthFixtures
    static let version6000 = NTLMSSPVersion(productMajorVersion: 6, productMinorVersion: 0, productBuild: 6000)
    static let version2600 = NTLMSSPVersion(productMajorVersion: 5, productMinorVersion: 1, productBuild: 2600)

    @Test func ntlmV2ChallengeDecodes() throws {
        let m = try NTLMSSPChallengeMessage.decode(F.specV2Challenge).value
        #expect(m.flags.rawValue == 0xe28a_8233)
        #expect(m.flags.contains([.negotiateUnicode, .negotiateTargetInfo, .negotiateVersion, .negotiateKeyExchange]))
        #expect(m.serverChallenge == [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
        #expect(m.target == "Server")
        #expect(m.reserved == 0)
        #expect(m.version == Self.version6000)
        #expect(m.targetInfo == AVPairList([AVPair(id: .nbDomainName, string: "Domain"),
                                            AVPair(id: .nbComputerName, string: "Server")]))
        #expect(m.layout?.headerLength == 56)
        #expect(try m.encode() == F.specV2Challenge)
    }

    @Test func ntlmV2ChallengeBuiltFromValuesMatchesSpecBytes() throws {
        // The spec's layout is the canonical one: name then target info, right after a 56-byte header.
        let m = NTLMSSPChallengeMessage(
            target: "Server", flags: NTLMSSPNegotiateFlags(rawValue: 0xe28a_8233),
            serverChallenge: [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
            targetInfo: AVPairList([AVPair(id: .nbDomainName, string: "Domain"),
                                    AVPair(id: .nbComputerName, string: "Server")]),
            version: Self.version6000)
        #expect(try m.encode() == F.specV2Challenge)
    }

    @Test func ntlmV2AuthenticateDecodes() throws {
        let a = try NTLMSSPAuthenticateMessage.decode(F.specV2Authenticate)
        let m = a.value
        #expect(m.flags.rawValue == 0xe288_8235)
        #expect(m.domain == "Domain")
        #expect(m.user == "User")
        #expect(m.workstationName == "COMPUTER")
        #expect(m.lmChallengeResponse == Hex.decode("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"))
        #expect(m.ntChallengeResponse.count == 84)
        #expect(Array(m.ntChallengeResponse.prefix(16)) == Hex.decode("68cd0ab851e51c96aabc927bebef6a1c"))
        #expect(m.encryptedRandomSessionKey == Hex.decode("c5dad2544fc9799094ce1ce90bc9d03e"))
        #expect(m.version == Self.version2600)
        // Payload starts at 72: Version present, no MIC.
        #expect(m.mic == nil)
        #expect(m.micRange == nil)
        #expect(m.layout?.headerLength == 72)
        #expect(try NTLMSSPMIC.range(inAuthenticate: F.specV2Authenticate) == nil)
        #expect(try m.encode() == F.specV2Authenticate)
        // Spans name the fields at their offsets.
        let user = try #require(span(a.spans, "ntlmssp.UserName"))
        #expect(user.range == 0x54..<0x5c)
        #expect(user.value == "\"User\"")
        #expect(span(a.spans, "ntlmssp.NtChallengeResponse")?.range == 0x84..<0xd8)
        #expect(spansTile(a.spans, 0..<F.specV2Authenticate.count))
    }

    @Test func ntlmV1MessagesDecodeAndReencode() throws {
        let c = try NTLMSSPChallengeMessage.decode(F.specV1Challenge).value
        #expect(c.flags.rawValue == 0xe202_8233)
        #expect(c.target == "Server")
        #expect(c.targetInfo == nil)
        #expect(c.version == Self.version6000)
        #expect(try c.encode() == F.specV1Challenge)

        let a = try NTLMSSPAuthenticateMessage.decode(F.specV1Authenticate).value
        #expect(a.flags.rawValue == 0xe280_8235)
        #expect(a.lmChallengeResponse == Hex.decode("98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13"))
        #expect(a.ntChallengeResponse == Hex.decode("67c43011f30298a2ad35ece64f16331c44bdbed927841f94"))
        #expect(a.encryptedRandomSessionKey == Hex.decode("518822b1b3f350c8958682ecbb3e3cb7"))
        #expect((a.domain, a.user, a.workstationName) == ("Domain", "User", "COMPUTER"))
        #expect(try a.encode() == F.specV1Authenticate)
    }

    @Test func canonicalLayoutDiffersOnlyWhereThePeerChoseDifferently() throws {
        // §4.2.2.3's empty TargetInfo has offset 0; the canonical encoder points empty fields at
        // the payload position (68), as Samba and the kernel do. Nothing else changes.
        var c = try NTLMSSPChallengeMessage.decode(F.specV1Challenge).value
        c.layout = nil
        var expected = F.specV1Challenge
        expected[44] = 68
        #expect(try c.encode() == expected)

        // §4.2.4.3 orders the payload domain, user, workstation, LM, NT, key; canonical order is
        // LM, NT, domain, user, workstation, key. Same values either way.
        var a = try NTLMSSPAuthenticateMessage.decode(F.specV2Authenticate).value
        a.layout = nil
        let canonical = try a.encode()
        #expect(canonical != F.specV2Authenticate)
        #expect(canonical.count == F.specV2Authenticate.count)
        let back = try NTLMSSPAuthenticateMessage.decode(canonical).value
        #expect(back == a)
        #expect(back.layout?.buffers.map(\.offset) == [72, 96, 180, 192, 200, 216])
    }

    @Test func editedFieldOfSameLengthKeepsThePeersLayout() throws {
        var a = try NTLMSSPAuthenticateMessage.decode(F.specV2Authenticate).value
        a.userName = NTLMSSPString.encode("Resu", unicode: true)
        let out = try a.encode()
        var expected = F.specV2Authenticate
        expected.replaceSubrange(0x54..<0x5c, with: a.userName)
        #expect(out == expected)

        // A longer name no longer fits: canonical layout, same values.
        a.userName = NTLMSSPString.encode("Administrator", unicode: true)
        let relaid = try a.encode()
        #expect(try NTLMSSPAuthenticateMessage.decode(relaid).value == a)
        #expect(relaid.count == F.specV2Authenticate.count + 18)
    }
}
