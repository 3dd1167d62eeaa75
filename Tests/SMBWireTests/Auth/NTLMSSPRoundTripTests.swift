import Testing
@testable import SMBWire

/// encode → decode → encode for messages built in code, in every header form.
@Suite struct NTLMSSPRoundTripTests {
    static let version = NTLMSSPVersion(productMajorVersion: 10, productMinorVersion: 0, productBuild: 19041)

    /// The 3.8 kernel's NEGOTIATE flags (sec=ntlmssp, signing enabled): no VERSION, so no Version slot.
    static let kernelFlags: NTLMSSPNegotiateFlags = [.negotiate56, .requestTarget, .negotiate128, .negotiateUnicode,
                                                     .negotiateNTLM, .negotiateExtendedSessionSecurity,
                                                     .negotiateSign, .negotiateKeyExchange]

    @Test func negotiateWithoutVersionHasA32ByteHeader() throws {
        let m = NTLMSSPNegotiateMessage(flags: Self.kernelFlags)
        let bytes = try m.encode()
        #expect(bytes == NTLMSSP.signature + [1, 0, 0, 0] + [0x15, 0x02, 0x08, 0xe0]
            + [0, 0, 0, 0, 32, 0, 0, 0] + [0, 0, 0, 0, 32, 0, 0, 0])
        let back = try NTLMSSPNegotiateMessage.decode(bytes)
        #expect(back.value == m)
        #expect(back.value.version == nil)
        #expect(try back.value.encode() == bytes)
    }

    @Test func linuxCIFSStyleNegotiateZeroesEmptyOffsets() throws {
        // build_ntlmssp_negotiate_blob: memset to zero, flags, nothing else.
        let bytes = try NTLMSSPNegotiateMessage(flags: Self.kernelFlags).encode(style: .linuxCIFS)
        #expect(bytes == NTLMSSP.signature + [1, 0, 0, 0] + [0x15, 0x02, 0x08, 0xe0] + [UInt8](repeating: 0, count: 16))
        let back = try NTLMSSPNegotiateMessage.decode(bytes)
        #expect(back.value.layout?.headerLength == 32)
        #expect(try back.value.encode() == bytes) // the zero offsets survive a round trip
    }

    @Test func linuxCIFSStyleAuthenticatePadsEmptyNames() throws {
        let nt = [UInt8](repeating: 0x22, count: 40)
        let key = [UInt8](repeating: 0x33, count: 16)
        let m = NTLMSSPAuthenticateMessage(ntChallengeResponse: nt, domain: "", user: "alice", workstationName: "",
                                           encryptedRandomSessionKey: key, flags: Self.kernelFlags)
        let bytes = try m.encode(style: .linuxCIFS)
        // LM empty at 64; NT 64..<104; empty domain at 104 + 2 zero bytes; user 106..<116;
        // empty workstation at 116 + 2 zero bytes; key 118..<134.
        let a = try NTLMSSPAuthenticateMessage.decode(bytes)
        #expect(a.value.layout?.buffers.map(\.offset) == [64, 64, 104, 106, 116, 118])
        #expect(bytes.count == 134)
        #expect(Array(bytes[104..<106]) == [0, 0] && Array(bytes[116..<118]) == [0, 0])
        #expect(a.spans.filter { $0.name == "ntlmssp.Padding" }.map(\.range) == [104..<106, 116..<118])
        #expect(a.value == m)
        #expect(spansTile(a.spans, 0..<bytes.count))
        #expect(try a.value.encode() == bytes)
        // Canonical style packs the same values without the gaps.
        #expect(try m.encode().count == 130)
    }

    @Test func negotiateWithOEMNames() throws {
        let m = NTLMSSPNegotiateMessage(
            flags: [.negotiateOEM, .negotiateOEMDomainSupplied, .negotiateOEMWorkstationSupplied, .negotiateVersion],
            domain: "WORKGROUP", workstation: "CLIENT", version: Self.version)
        let bytes = try m.encode()
        #expect(bytes.count == 40 + 9 + 6)
        #expect(Array(bytes[40...]) == Array("WORKGROUPCLIENT".utf8))
        #expect(Array(bytes[16..<24]) == [9, 0, 9, 0, 40, 0, 0, 0])
        #expect(Array(bytes[24..<32]) == [6, 0, 6, 0, 49, 0, 0, 0])
        let back = try NTLMSSPNegotiateMessage.decode(bytes).value
        #expect(back == m)
        #expect((back.domain, back.workstation) == ("WORKGROUP", "CLIENT"))
        #expect(try back.encode() == bytes)
    }

    @Test func sixteenByteNegotiateDecodesAndReencodes() throws {
        let bytes = NTLMSSP.signature + [1, 0, 0, 0, 0x07, 0x82, 0x00, 0x00]
        let a = try NTLMSSPNegotiateMessage.decode(bytes)
        #expect(a.value.flags == [.negotiateUnicode, .negotiateOEM, .requestTarget, .negotiateNTLM, .negotiateAlwaysSign])
        #expect(a.value.layout?.headerLength == 16)
        #expect(spansTile(a.spans, 0..<16))
        #expect(try a.value.encode() == bytes)
    }

    @Test func challengeWithoutVersionUses48ByteHeader() throws {
        let m = NTLMSSPChallengeMessage(target: "SRV", flags: [.negotiateOEM, .requestTarget],
                                        serverChallenge: [1, 2, 3, 4, 5, 6, 7, 8])
        let bytes = try m.encode()
        #expect(bytes.count == 48 + 3)
        #expect(Array(bytes[12..<20]) == [3, 0, 3, 0, 48, 0, 0, 0])
        #expect(Array(bytes[40..<48]) == [0, 0, 0, 0, 51, 0, 0, 0])
        let back = try NTLMSSPChallengeMessage.decode(bytes).value
        #expect(back == m)
        #expect(back.target == "SRV")
        #expect(try back.encode() == bytes)
    }

    @Test func challengeWithEveryAVPairKind() throws {
        let info = AVPairList([
            AVPair(id: .nbDomainName, string: "DOM"), AVPair(id: .nbComputerName, string: "SRV"),
            AVPair(id: .dnsDomainName, string: "dom.example"), AVPair(id: .dnsComputerName, string: "srv.dom.example"),
            AVPair(id: .dnsTreeName, string: "example"), .flags(2), .timestamp(0x01d0_0000_0000_0000),
            AVPair(id: .singleHost, value: [UInt8](repeating: 0x5a, count: 48)),
            AVPair(id: .targetName, string: "cifs/srv"), AVPair(id: .channelBindings, value: [UInt8](repeating: 0, count: 16)),
        ])
        let m = NTLMSSPChallengeMessage(target: "DOM", flags: [.negotiateUnicode, .negotiateTargetInfo, .negotiateVersion],
                                        serverChallenge: [8, 7, 6, 5, 4, 3, 2, 1], targetInfo: info, version: Self.version)
        let bytes = try m.encode()
        let back = try NTLMSSPChallengeMessage.decode(bytes)
        #expect(back.value == m)
        #expect(spansTile(back.spans, 0..<bytes.count))
        #expect(try back.value.encode() == bytes)
    }

    @Test func authenticateInAllThreeHeaderForms() throws {
        let base = NTLMSSPAuthenticateMessage(
            lmChallengeResponse: [UInt8](repeating: 0x11, count: 24), ntChallengeResponse: [UInt8](repeating: 0x22, count: 48),
            domain: "WORKGROUP", user: "alice", workstationName: "LAPTOP",
            encryptedRandomSessionKey: [UInt8](repeating: 0x33, count: 16),
            flags: [.negotiateUnicode, .negotiateKeyExchange, .negotiateVersion])
        for (version, mic, header) in [(nil, nil, 64), (Self.version, nil, 72),
                                       (Self.version, [UInt8](repeating: 0x44, count: 16), 88)] as [(NTLMSSPVersion?, [UInt8]?, Int)] {
            var m = base
            m.version = version
            m.mic = mic
            let bytes = try m.encode()
            #expect(Array(bytes[16..<20]) == [UInt8(header), 0, 0, 0]) // LM offset = header length
            let back = try NTLMSSPAuthenticateMessage.decode(bytes)
            #expect(back.value == m)
            #expect(back.value.layout?.headerLength == header)
            #expect((back.value.domain, back.value.user, back.value.workstationName) == ("WORKGROUP", "alice", "LAPTOP"))
            #expect(spansTile(back.spans, 0..<bytes.count))
            #expect(try back.value.encode() == bytes)
            if mic != nil { #expect(try NTLMSSPMIC.range(inAuthenticate: bytes) == 72..<88) }
        }
    }

    @Test func oemAuthenticateStrings() throws {
        let m = NTLMSSPAuthenticateMessage(domain: "DOM", user: "bob", workstationName: "WS", flags: [.negotiateOEM])
        let bytes = try m.encode()
        #expect(Array(bytes[64...]) == Array("DOMbobWS".utf8))
        #expect(try NTLMSSPAuthenticateMessage.decode(bytes).value.user == "bob")
    }

    @Test func encodeRefusesWhatCannotBeSent() {
        var c = NTLMSSPChallengeMessage(flags: [], serverChallenge: [1, 2, 3])
        #expect(wireError { _ = try c.encode() } == .invalidValue(field: "ServerChallenge", reason: "must be 8 bytes, got 3"))
        c.serverChallenge = [UInt8](repeating: 0, count: 8)
        c.targetName = [UInt8](repeating: 0x41, count: 70_000)
        #expect(wireError { _ = try c.encode() } == .tooLarge(field: "TargetName", length: 70_000, cap: 65535))
        let short = NTLMSSPAuthenticateMessage(flags: [], version: Self.version, mic: [1, 2])
        #expect(wireError { _ = try short.encode() } == .invalidValue(field: "MIC", reason: "must be 16 bytes, got 2"))
        let orphan = NTLMSSPAuthenticateMessage(flags: [], mic: [UInt8](repeating: 0, count: 16))
        #expect(wireError { _ = try orphan.encode() } != nil)
    }

    @Test func flagNamesAndDescription() {
        let f = NTLMSSPNegotiateFlags(rawValue: 0x6208_8215)
        #expect(f.names == ["NTLMSSP_NEGOTIATE_UNICODE", "NTLMSSP_REQUEST_TARGET", "NTLMSSP_NEGOTIATE_SIGN",
                            "NTLMSSP_NEGOTIATE_NTLM", "NTLMSSP_NEGOTIATE_ALWAYS_SIGN",
                            "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY", "NTLMSSP_NEGOTIATE_VERSION",
                            "NTLMSSP_NEGOTIATE_128", "NTLMSSP_NEGOTIATE_KEY_EXCH"])
        #expect(NTLMSSPNegotiateFlags(rawValue: 0x0000_0008).names == ["0x00000008"])
        #expect(NTLMSSPNegotiateFlags.named.count == 22)
        // All 22 named flags are distinct single bits.
        let all = NTLMSSPNegotiateFlags.named.reduce(into: UInt32(0)) { $0 |= $1.flag.rawValue }
        #expect(all.nonzeroBitCount == 22)
        #expect(all == 0xe2db_baf7)
        #expect(NTLMSSPNegotiateFlags.negotiateVersion.description == "0x02000000 (NTLMSSP_NEGOTIATE_VERSION)")
    }
}
