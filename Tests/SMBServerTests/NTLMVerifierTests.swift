import KernelRuntime
import SMBCrypto
import SMBWire
import Testing
@testable import SMBServer

/// The verifier checked against real smbclient 4.17 logins captured with smbd
/// (user alice, password Wonderland-42, domain WORKGROUP).
@Suite("NTLM verification against captured smbclient logins")
struct NTLMVerifierTests {
    /// Not tracing: these tests check the verdicts (``NTLMVerificationTraceTests`` the frames).
    let runtime = FreeRunRuntime()
    var verifier: NTLMVerifier { NTLMVerifier(users: try! UserDatabase(["Alice": "Wonderland-42"]), runtime: runtime) }
    var wrong: NTLMVerifier { NTLMVerifier(users: try! UserDatabase(["alice": "Wonderland-43"]), runtime: runtime) }

    @Test func oldStyleNTLMv1() throws {
        let challenge = Fixture.negotiateChallenge(try Fixture.bytes("oldstyle-ntlm-002-s2c-negotiate"))
        let (lm, nt) = Fixture.oldStylePasswords(try Fixture.bytes("oldstyle-ntlm-003-c2s-session-setup"))
        #expect(lm.count == 24 && nt == lm)
        let login = try verifier.verifyOldStyle(user: "alice", domain: "WORKGROUP", lmResponse: lm, ntResponse: nt,
                                                challenge: challenge)
        #expect(login.mode == .ntlm)
        #expect(login.user == "Alice")
        let ntHash = NTLM.ntHash(password: "Wonderland-42", encoding: .untruncated)
        #expect(login.sessionKey == MD4.hash(ntHash))
        #expect(login.macKey == MD4.hash(ntHash) + nt)
        // The response in only the LM field is accepted too ("either field").
        #expect(try verifier.verifyOldStyle(user: "ALICE", domain: "", lmResponse: nt, ntResponse: [],
                                            challenge: challenge).macKey == login.macKey)
        #expect(throws: LoginFailure.wrongPassword) {
            try wrong.verifyOldStyle(user: "alice", domain: "WORKGROUP", lmResponse: lm, ntResponse: nt, challenge: challenge)
        }
        #expect(throws: LoginFailure.unknownUser) {
            try verifier.verifyOldStyle(user: "bob", domain: "WORKGROUP", lmResponse: lm, ntResponse: nt, challenge: challenge)
        }
        #expect(throws: LoginFailure.anonymousRefused) {
            try verifier.verifyOldStyle(user: "", domain: "", lmResponse: [], ntResponse: [], challenge: challenge)
        }
    }

    @Test func oldStyleNTLMv2() throws {
        let challenge = Fixture.negotiateChallenge(try Fixture.bytes("oldstyle-ntlmv2-002-s2c-negotiate"))
        let (lm, nt) = Fixture.oldStylePasswords(try Fixture.bytes("oldstyle-ntlmv2-003-c2s-session-setup"))
        #expect(nt.count == 0x46)
        let login = try verifier.verifyOldStyle(user: "alice", domain: "WORKGROUP", lmResponse: lm, ntResponse: nt,
                                                challenge: challenge)
        #expect(login.mode == .ntlmv2)
        #expect(login.macKey.count == 16 + nt.count)
        #expect(Array(login.macKey[16...]) == nt)
        // The domain is tried upper-cased too, as smbd does.
        #expect(try verifier.verifyOldStyle(user: "alice", domain: "workgroup", lmResponse: lm, ntResponse: nt,
                                            challenge: challenge).macKey == login.macKey)
        #expect(throws: LoginFailure.wrongPassword) {
            try wrong.verifyOldStyle(user: "alice", domain: "WORKGROUP", lmResponse: lm, ntResponse: nt, challenge: challenge)
        }
    }

    /// Rebuilds smbd's side of a captured NTLMSSP exchange and checks smbclient's AUTHENTICATE.
    private func capturedExchange(_ prefix: String) throws -> (NTLMSSPAcceptor, NTLMSSPAcceptor.Authenticate) {
        let negotiate = try #require(try SPNEGO.unwrap(Fixture.requestBlob(try Fixture.bytes("\(prefix)-003-c2s-session-setup"))))
        let challenge = try #require(try SPNEGO.unwrap(Fixture.responseBlob(try Fixture.bytes("\(prefix)-004-s2c-session-setup"))))
        guard case let .challenge(message) = try NTLMSSPMessage.decode(challenge.token).value else {
            Issue.record("not a CHALLENGE")
            throw LoginFailure.malformed("fixture")
        }
        let acceptor = NTLMSSPAcceptor(wrapping: .spnego, negotiateBytes: negotiate.token, challengeBytes: challenge.token,
                                       serverChallenge: message.serverChallenge, challengeFlags: message.flags)
        let authenticate = try acceptor.decodeAuthenticate(
            blob: Fixture.requestBlob(try Fixture.bytes("\(prefix)-005-c2s-session-setup")))
        return (acceptor, authenticate)
    }

    @Test func ntlmsspV2WithMICAndSigningKey() throws {
        let (acceptor, authenticate) = try capturedExchange("ntlmssp-signed")
        #expect(authenticate.response.user == "alice")
        let login = try verifier.verifyNTLMSSP(authenticate.response, serverChallenge: acceptor.serverChallenge)
        #expect(login.mode == .ntlmsspV2)
        // smbd's CHALLENGE carried a timestamp, so smbclient sent a MIC: it must verify.
        #expect(try acceptor.checkMIC(authenticate, exportedSessionKey: login.sessionKey, runtime: runtime))
        // The MAC key signs smbd's SESSION_SETUP reply (seq 1) and smbclient's next request (seq 2).
        #expect(SMB1Signing.verify(packet: try Fixture.bytes("ntlmssp-signed-006-s2c-session-setup"),
                                   macKey: login.macKey, sequence: 1))
        #expect(SMB1Signing.verify(packet: try Fixture.bytes("ntlmssp-signed-007-c2s-tree-connect"),
                                   macKey: login.macKey, sequence: 2))
        #expect(throws: LoginFailure.wrongPassword) {
            try wrong.verifyNTLMSSP(authenticate.response, serverChallenge: acceptor.serverChallenge)
        }
    }

    @Test func tamperedMICIsRefused() throws {
        let (acceptor, authenticate) = try capturedExchange("ntlmssp")
        let login = try verifier.verifyNTLMSSP(authenticate.response, serverChallenge: acceptor.serverChallenge)
        var tampered = authenticate
        tampered.message.mic = [UInt8](repeating: 0, count: 16)
        #expect(throws: LoginFailure.wrongPassword) {
            try acceptor.checkMIC(tampered, exportedSessionKey: login.sessionKey, runtime: runtime)
        }
    }

    @Test func ntlmsspV1WithAndWithoutESSAndKeyExchange() throws {
        let ntHash = NTLM.ntHash(password: "Wonderland-42", encoding: .untruncated)
        let serverChallenge: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let exported: [UInt8] = Array(0x40..<0x50)
        // Plain NTLMv1, key exchange: KXKEY = MD4(NT hash).
        let plain = try NTLM.ntlmv1Response(ntHash: ntHash, challenge: serverChallenge)
        let baseKey = MD4.hash(ntHash)
        var response = NTLMVerifier.NTLMSSPResponse(
            user: "alice", domain: "", lmResponse: plain, ntResponse: plain,
            encryptedRandomSessionKey: try NTLMSSPKeys.encryptSessionKey(exported, keyExchangeKey: baseKey),
            extendedSessionSecurity: false, keyExchange: true)
        var login = try verifier.verifyNTLMSSP(response, serverChallenge: serverChallenge)
        #expect(login.mode == .ntlmsspV1 && login.macKey == exported)
        // Without KEY_EXCH the MAC key is the key-exchange key itself.
        response.keyExchange = false
        login = try verifier.verifyNTLMSSP(response, serverChallenge: serverChallenge)
        #expect(login.macKey == baseKey)
        // NTLMv1 with extended session security.
        let clientChallenge: [UInt8] = [9, 9, 9, 9, 8, 8, 8, 8]
        let ess = try NTLMSSPKeys.ntlm2SessionResponse(ntHash: ntHash, serverChallenge: serverChallenge,
                                                       clientChallenge: clientChallenge)
        let kxkey = try NTLMSSPKeys.keyExchangeKeyV1ESS(sessionBaseKey: baseKey, serverChallenge: serverChallenge,
                                                        lmResponse: ess.lmResponse)
        response = NTLMVerifier.NTLMSSPResponse(
            user: "alice", domain: "", lmResponse: ess.lmResponse, ntResponse: ess.ntResponse,
            encryptedRandomSessionKey: try NTLMSSPKeys.encryptSessionKey(exported, keyExchangeKey: kxkey),
            extendedSessionSecurity: true, keyExchange: true)
        login = try verifier.verifyNTLMSSP(response, serverChallenge: serverChallenge)
        #expect(login.macKey == exported)
        response.keyExchange = false
        #expect(try verifier.verifyNTLMSSP(response, serverChallenge: serverChallenge).macKey == kxkey)
        // The ESS response checked as plain NTLMv1 fails.
        response.extendedSessionSecurity = false
        #expect(throws: LoginFailure.wrongPassword) { try verifier.verifyNTLMSSP(response, serverChallenge: serverChallenge) }
    }

    @Test func acceptorAnswersSmbclientNegotiateWithChallenge() throws {
        let blob = Fixture.requestBlob(try Fixture.bytes("ntlmssp-003-c2s-session-setup"))
        let (acceptor, reply) = try NTLMSSPAcceptor.start(blob: blob, serverChallenge: [8, 7, 6, 5, 4, 3, 2, 1],
                                                          serverName: "cifstep", domain: "workgroup")
        #expect(acceptor.wrapping == .spnego)
        guard case let .negTokenResp(resp) = try SPNEGO.decode(reply).value else {
            Issue.record("reply is not a NegTokenResp")
            return
        }
        #expect(resp.negState == .acceptIncomplete)
        #expect(resp.supportedMech == .ntlmssp)
        guard case let .challenge(challenge) = try NTLMSSPMessage.decode(try #require(resp.responseToken)).value else {
            Issue.record("no CHALLENGE")
            return
        }
        #expect(challenge.serverChallenge == [8, 7, 6, 5, 4, 3, 2, 1])
        // smbclient asked for 0x62088215; the server grants those plus TARGET_INFO and TARGET_TYPE_SERVER.
        #expect(challenge.flags.rawValue == 0x628A_8215)
        #expect(challenge.target == "CIFSTEP")
        #expect(challenge.targetInfo?[.nbDomainName]?.stringValue == "WORKGROUP")
        #expect(challenge.targetInfo?[.timestamp] == nil)
        #expect(acceptor.completionBlob == [0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00])
    }

    @Test func acceptorRejectsGarbage() {
        #expect(throws: NTLMSSPAcceptor.BlobError.self) {
            try NTLMSSPAcceptor.start(blob: [0x60, 0x03, 0x06, 0x01], serverChallenge: [UInt8](repeating: 0, count: 8),
                                      serverName: "s", domain: "d")
        }
        #expect(throws: NTLMSSPAcceptor.BlobError.self) {
            try NTLMSSPAcceptor.start(blob: [], serverChallenge: [UInt8](repeating: 0, count: 8), serverName: "s", domain: "d")
        }
    }
}
