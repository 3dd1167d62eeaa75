import Testing
@testable import SMBWire

@Suite struct SPNEGOTests {
    typealias F = AuthFixtures

    @Test func sambaNegprotNegTokenInit2() throws {
        let a = try SPNEGO.decode(F.sambaNegprotNegTokenInit)
        guard case let .negTokenInit(t) = a.value else {
            Issue.record("expected NegTokenInit")
            return
        }
        #expect(t.gssFramed)
        #expect(t.mechTypes == [.ntlmssp])
        #expect(t.mechToken == nil && t.reqFlags == nil && t.mechListMIC == nil)
        #expect(t.negHints == .rfc4178Placeholder)
        #expect(spansTile(a.spans, 0..<F.sambaNegprotNegTokenInit.count))
        #expect(span(a.spans, "spnego.InitialContextToken.tag")?.meaning
            == "GSS-API InitialContextToken — [APPLICATION 0], constructed")
        #expect(span(a.spans, "spnego.thisMech.value")?.value == "1.3.6.1.5.5.2")
        #expect(span(a.spans, "spnego.thisMech.value")?.meaning == "SPNEGO")
        #expect(span(a.spans, "spnego.negTokenInit.mechTypes[0].value")?.value == "1.3.6.1.4.1.311.2.2.10")
        #expect(span(a.spans, "spnego.negTokenInit.negHints.hintName.string.value")?.value
            == "\"not_defined_in_RFC4178@please_ignore\"")
        #expect(SPNEGO.encode(a.value) == F.sambaNegprotNegTokenInit)
        // What a server built in code sends is byte-identical to smbd's blob.
        let built = SPNEGONegTokenInit(mechTypes: [.ntlmssp], negHints: .rfc4178Placeholder)
        #expect(built.encode() == F.sambaNegprotNegTokenInit)
        #expect(try SPNEGO.unwrap(F.sambaNegprotNegTokenInit) == nil)
    }

    @Test func clientNegTokenInitCarriesNegotiate() throws {
        let a = try SPNEGO.decode(F.clientNegTokenInitNegotiate, base: 100)
        guard case let .negTokenInit(t) = a.value else {
            Issue.record("expected NegTokenInit")
            return
        }
        let token = try #require(t.mechToken)
        #expect(try NTLMSSPMessageType.of(token) == .negotiate)
        #expect(t.negHints == nil)
        #expect(spansTile(a.spans, 100..<(100 + F.clientNegTokenInitNegotiate.count)))
        #expect(span(a.spans, "spnego.negTokenInit.mechToken.octets.value")?.meaning == "NTLMSSP NtLmNegotiate (40 bytes)")
        #expect(SPNEGONegTokenInit(mechTypes: [.ntlmssp], mechToken: token).encode() == F.clientNegTokenInitNegotiate)
        #expect(t.encodedMechTypeList == Hex.decode("300c060a2b06010401823702020a"))
        let u = try #require(try SPNEGO.unwrap(F.clientNegTokenInitNegotiate))
        #expect(u.wrapping == .negTokenInit)
        #expect(u.offset == F.clientNegTokenInitNegotiate.count - 40)
        #expect(u.token == token)
    }

    @Test func negTokenRespFromEachStep() throws {
        let challenge = try inner(F.serverNegTokenRespChallenge)
        #expect(SPNEGONegTokenResp(negState: .acceptIncomplete, supportedMech: .ntlmssp, responseToken: challenge).encode()
            == F.serverNegTokenRespChallenge)

        let a = try SPNEGO.decode(F.clientNegTokenRespAuthenticateNTLMv2)
        guard case let .negTokenResp(auth) = a.value else {
            Issue.record("expected NegTokenResp")
            return
        }
        #expect(auth.negState == nil && auth.supportedMech == nil && !auth.gssFramed)
        #expect(auth.responseToken?.count == 376)
        #expect(auth.mechListMIC == Hex.decode("0100000048e6e0e0451d617e00000000"))
        // a1 82 01 98: a two-octet long-form length.
        let length = try #require(span(a.spans, "spnego.negTokenResp.length"))
        #expect(length.range == 1..<4 && length.value == "408" && length.meaning == "long form, 2 octet(s)")
        #expect(spansTile(a.spans, 0..<F.clientNegTokenRespAuthenticateNTLMv2.count))
        #expect(SPNEGO.encode(a.value) == F.clientNegTokenRespAuthenticateNTLMv2)

        let done = try SPNEGO.decode(F.serverNegTokenRespAcceptCompleted).value
        #expect(done == .negTokenResp(SPNEGONegTokenResp(negState: .acceptCompleted,
                                                           mechListMIC: Hex.decode("0100000045f13ece3ba422f100000000"))))
        #expect(SPNEGO.encode(done) == F.serverNegTokenRespAcceptCompleted)

        let anon = try SPNEGO.decode(F.serverNegTokenRespAcceptAnonymous).value
        #expect(anon == .negTokenResp(SPNEGONegTokenResp(negState: .acceptCompleted)))
        #expect(SPNEGO.encode(anon) == F.serverNegTokenRespAcceptAnonymous)
        #expect(try SPNEGO.unwrap(F.serverNegTokenRespAcceptAnonymous) == nil)
    }

    @Test func everyCapturedBlobReencodesByteForByte() throws {
        let blobs = [F.sambaNegprotNegTokenInit, F.clientNegTokenInitNegotiate, F.serverNegTokenRespChallenge,
                     F.clientNegTokenRespAuthenticateNTLMv2, F.serverNegTokenRespAcceptCompleted,
                     F.clientNegTokenRespAuthenticateNTLMv1, F.serverNegTokenRespChallengeV1Session,
                     F.clientNegTokenRespAuthenticateAnonymous, F.serverNegTokenRespAcceptAnonymous]
        for blob in blobs {
            #expect(!blob.isEmpty)
            let full = try SecurityBlob.decode(blob, base: 5)
            #expect(spansTile(full.spans, 5..<(5 + blob.count)))
            #expect(try full.value.encode() == blob)
            #expect(SPNEGO.encode(try SPNEGO.decode(blob).value) == blob)
        }
    }

    @Test func securityBlobDecodesThroughToNTLMSSP() throws {
        let blob = F.clientNegTokenRespAuthenticateNTLMv2
        let a = try SecurityBlob.decode(blob)
        guard case let .authenticate(m)? = a.value.ntlmssp else {
            Issue.record("expected AUTHENTICATE")
            return
        }
        #expect(m.user == "alice")
        let offset = try #require(try SPNEGO.unwrap(blob)).offset
        #expect(offset == 16)
        #expect(span(a.spans, "ntlmssp.Signature")?.range == offset..<(offset + 8))
        #expect(span(a.spans, "spnego.negTokenResp.responseToken.octets.value") == nil)
        #expect(span(a.spans, "ntlmssp.MIC")?.range == (offset + 72)..<(offset + 88))

        // Raw NTLMSSP (the kernel's way) decodes the same message with no wrapper.
        let raw = try SecurityBlob.decode(inner(blob))
        #expect(raw.value.spnego == nil)
        #expect(raw.value.ntlmssp == a.value.ntlmssp)
        #expect(try SPNEGO.unwrap(inner(blob)) == SPNEGOInnerToken(token: try inner(blob), offset: 0, wrapping: .raw))
        #expect(try SPNEGO.unwrap([]) == nil)
    }

    @Test func kerberosOffersWindowsStyle() throws {
        let t = SPNEGONegTokenInit(mechTypes: [.msKerberos5, .kerberos5, .negoex, .ntlmssp], negHints: .rfc4178Placeholder)
        let bytes = t.encode()
        let list = t.encodedMechTypeList
        #expect(Hex.encode(list) == "302e" + "06092a864882f712010202" + "06092a864886f712010202"
            + "060a2b06010401823702021e" + "060a2b06010401823702020a")
        let a = try SPNEGO.decode(bytes)
        #expect(a.value == .negTokenInit(t))
        #expect(spansTile(a.spans, 0..<bytes.count))
        #expect(span(a.spans, "spnego.negTokenInit.mechTypes[0].value")?.meaning == "MS Kerberos 5")
        #expect(span(a.spans, "spnego.negTokenInit.mechTypes[2].value")?.meaning == "NEGOEX")
    }

    @Test func optionalElementsRoundTrip() throws {
        let rfc = SPNEGONegTokenInit(mechTypes: [.ntlmssp], reqFlags: [0x01, 0x02], mechToken: [1, 2, 3],
                                     mechListMIC: [9, 9], gssFramed: false)
        let rfcBytes = rfc.encode()
        #expect(rfcBytes.first == 0xa0)
        #expect(rfcBytes.contains(0xa3) && !rfcBytes.contains(0xa4)) // MIC at [3]
        #expect(try SPNEGO.decode(rfcBytes).value == .negTokenInit(rfc))

        let init2 = SPNEGONegTokenInit(mechTypes: [.kerberos5], negHints: SPNEGONegHints(hintName: Array("x".utf8), hintAddress: [7]),
                                       mechListMIC: [9], mechListMICAtTag4: true)
        #expect(try SPNEGO.decode(init2.encode()).value == .negTokenInit(init2))

        let framedResp = SPNEGONegTokenResp(negState: .requestMIC, gssFramed: true)
        #expect(Array(framedResp.encode().prefix(2)) == [0x60, 0x11])
        #expect(try SPNEGO.decode(framedResp.encode()).value == .negTokenResp(framedResp))
        #expect(SPNEGONegState.reject.description == "reject")
        #expect(SPNEGONegState(rawValue: 9).description == "unknown(9)")
    }

    @Test func unwrapRefusesNonNTLMSSPTokens() throws {
        let kerberos = SPNEGONegTokenInit(mechTypes: [.kerberos5], mechToken: [0x60, 0x01, 0x00]).encode()
        #expect(wireError { _ = try SPNEGO.unwrap(kerberos) } == .unsupported("SPNEGO inner token is not NTLMSSP (starts 600100)"))
        // SecurityBlob leaves it opaque instead.
        #expect(try SecurityBlob.decode(kerberos).value.ntlmssp == nil)
    }
}

@Suite struct DERAndOIDTests {
    @Test func lengthOctets() {
        #expect(DER.lengthOctets(0) == [0x00])
        #expect(DER.lengthOctets(127) == [0x7f])
        #expect(DER.lengthOctets(128) == [0x81, 0x80])
        #expect(DER.lengthOctets(255) == [0x81, 0xff])
        #expect(DER.lengthOctets(256) == [0x82, 0x01, 0x00])
        #expect(DER.lengthOctets(65536) == [0x83, 0x01, 0x00, 0x00])
    }

    @Test func parsesNestedTLVs() throws {
        let bytes: [UInt8] = [0x30, 0x06, 0xa0, 0x04, 0x0a, 0x02, 0x01, 0x02]
        let nodes = try DER.parse(bytes, in: 0..<bytes.count)
        #expect(nodes.count == 1)
        #expect(nodes[0].children.first?.children.first?.valueRange == 6..<8)
        #expect(nodes[0].tagDescription == "UNIVERSAL 16 SEQUENCE, constructed")
    }

    @Test func objectIdentifiers() throws {
        #expect(ASN1ObjectIdentifier.ntlmssp.encoded == Hex.decode("060a2b06010401823702020a"))
        #expect(ASN1ObjectIdentifier.spnego.encoded == Hex.decode("06062b0601050502"))
        #expect(ASN1ObjectIdentifier("1.3.6.1.4.1.311.2.2.10") == .ntlmssp)
        // X.690's own example: {2 999 3} → 88 37 03.
        let big = try #require(ASN1ObjectIdentifier("2.999.3"))
        #expect(big.encodedContents == [0x88, 0x37, 0x03])
        #expect(try ASN1ObjectIdentifier.decode(contents: [0x88, 0x37, 0x03]) == big)
        #expect(try ASN1ObjectIdentifier.decode(contents: [0x2b, 0x06, 0x01]).dotted == "1.3.6.1")
        #expect(ASN1ObjectIdentifier("1.40") == nil)
        #expect(ASN1ObjectIdentifier("3.1") == nil)
        #expect(ASN1ObjectIdentifier("1") == nil)
        #expect(ASN1ObjectIdentifier("1..2") == nil)
        #expect(ASN1ObjectIdentifier.ntlmssp.description == "1.3.6.1.4.1.311.2.2.10 (NTLMSSP)")
    }

    @Test func malformedObjectIdentifiers() {
        #expect(wireError { _ = try ASN1ObjectIdentifier.decode(contents: [UInt8]()) }
            == .invalidValue(field: "OBJECT IDENTIFIER", reason: "empty OBJECT IDENTIFIER"))
        #expect(wireError { _ = try ASN1ObjectIdentifier.decode(contents: [0x2b, 0x80, 0x01]) }
            == .invalidValue(field: "OBJECT IDENTIFIER", reason: "non-minimal subidentifier (leading 0x80)"))
        #expect(wireError { _ = try ASN1ObjectIdentifier.decode(contents: [0x2b, 0x86]) }
            == .invalidValue(field: "OBJECT IDENTIFIER", reason: "last subidentifier is cut short"))
        #expect(wireError { _ = try ASN1ObjectIdentifier.decode(contents: [0x2b] + [UInt8](repeating: 0xff, count: 10) + [0x7f]) }
            == .tooLarge(field: "OBJECT IDENTIFIER", length: 64, cap: 63))
    }
}
