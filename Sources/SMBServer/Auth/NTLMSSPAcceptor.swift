import KernelRuntime
import SMBCrypto
import SMBWire

/// The server side of one NTLMSSP exchange carried in SESSION_SETUP_ANDX security blobs:
/// NEGOTIATE in, CHALLENGE out; AUTHENTICATE in, verdict and keys out. Pure: the caller
/// supplies the server challenge.
///
/// Blobs may be raw NTLMSSP (the Linux kernel's SMB1 code) or SPNEGO (smbclient, pysmb);
/// replies use the client's form: a NegTokenResp with accept-incomplete and the CHALLENGE,
/// then a NegTokenResp with accept-completed.
struct NTLMSSPAcceptor: Sendable, CustomStringConvertible {
    /// How the client wrapped its first token; the reply uses the same form.
    let wrapping: ServerLogEvent.Wrapping
    let negotiateBytes: [UInt8]
    let challengeBytes: [UInt8]
    let serverChallenge: [UInt8]
    let challengeFlags: NTLMSSPNegotiateFlags
    /// Where the trace recorded the exchange's first leg (nothing when it was not traced).
    var origins = Origins()

    /// Where the trace recorded what leg one saw and made, for the checks of leg two to name.
    struct Origins: Sendable {
        /// The client's NEGOTIATE message: a span of leg one's request.
        var negotiate: TracedBytes?
        /// The CHALLENGE message the server built.
        var challenge: TracedBytes?
        /// The buffer of the server challenge the CHALLENGE carries.
        var serverChallenge: TraceBufferID?
    }

    var description: String {
        "NTLMSSP (\(wrapping.rawValue)), server challenge \(Hex.encode(serverChallenge))"
    }

    /// Why an NTLMSSP blob could not be used.
    enum BlobError: Error, Equatable {
        case malformed(String)
        case unexpectedMessage(String)
    }

    /// The flags the server can grant. LM_KEY, NON_NT_SESSION_KEY, SEAL, DATAGRAM and IDENTIFY
    /// are never granted, so only the KXKEY rules ``NTLMVerifier`` implements can apply.
    static let grantable: NTLMSSPNegotiateFlags = [
        .negotiateSign, .negotiateAlwaysSign, .negotiateExtendedSessionSecurity, .negotiate128,
        .negotiate56, .negotiateKeyExchange, .requestTarget,
    ]

    /// Leg one: decodes the client's NEGOTIATE and builds the CHALLENGE reply blob.
    static func start(blob: [UInt8], serverChallenge: [UInt8], serverName: String,
                      domain: String) throws(BlobError) -> (acceptor: NTLMSSPAcceptor, reply: [UInt8]) {
        let inner: SPNEGOInnerToken?
        do { inner = try SPNEGO.unwrap(blob) } catch { throw BlobError.malformed("\(error)") }
        guard let inner else { throw BlobError.malformed("security blob carries no NTLMSSP token") }
        let negotiate: NTLMSSPNegotiateMessage
        do {
            guard case let .negotiate(message) = try NTLMSSPMessage.decode(inner.token).value else {
                throw BlobError.unexpectedMessage("expected NTLMSSP NEGOTIATE")
            }
            negotiate = message
        } catch let error as BlobError {
            throw error
        } catch {
            throw BlobError.malformed("\(error)")
        }
        let unicode = negotiate.flags.contains(.negotiateUnicode) || !negotiate.flags.contains(.negotiateOEM)
        var flags: NTLMSSPNegotiateFlags = [.negotiateNTLM, .targetTypeServer, .negotiateTargetInfo]
        flags.formUnion(negotiate.flags.intersection(grantable))
        flags.insert(unicode ? .negotiateUnicode : .negotiateOEM)
        var version: NTLMSSPVersion?
        if negotiate.flags.contains(.negotiateVersion) {
            flags.insert(.negotiateVersion)
            version = NTLMSSPVersion(productMajorVersion: 6, productMinorVersion: 1, productBuild: 0)
        }
        // No MsvAvTimestamp: with one, clients add a MIC and (SPNEGO) expect a mechListMIC
        // signed with NTLMSSP session security, which this server does not implement.
        let targetInfo = AVPairList([
            AVPair(id: .nbDomainName, string: domain.uppercased()),
            AVPair(id: .nbComputerName, string: serverName.uppercased()),
            AVPair(id: .dnsDomainName, string: domain.lowercased()),
            AVPair(id: .dnsComputerName, string: serverName.lowercased()),
        ])
        let challenge = NTLMSSPChallengeMessage(
            target: serverName.uppercased(), flags: flags, serverChallenge: serverChallenge,
            targetInfo: targetInfo, version: version)
        let challengeBytes: [UInt8]
        do { challengeBytes = try challenge.encode() } catch { throw BlobError.malformed("CHALLENGE: \(error)") }
        let acceptor = NTLMSSPAcceptor(
            wrapping: inner.wrapping == .raw ? .raw : .spnego, negotiateBytes: inner.token,
            challengeBytes: challengeBytes, serverChallenge: serverChallenge, challengeFlags: flags)
        let reply: [UInt8]
        if acceptor.wrapping == .raw {
            reply = challengeBytes
        } else {
            reply = SPNEGO.encode(.negTokenResp(SPNEGONegTokenResp(
                negState: .acceptIncomplete, supportedMech: .ntlmssp, responseToken: challengeBytes)))
        }
        return (acceptor, reply)
    }

    /// What leg two found in the client's AUTHENTICATE.
    struct Authenticate: Sendable {
        var message: NTLMSSPAuthenticateMessage
        var bytes: [UInt8]
        var response: NTLMVerifier.NTLMSSPResponse
    }

    /// Leg two, part one: decodes the AUTHENTICATE.
    func decodeAuthenticate(blob: [UInt8]) throws(BlobError) -> Authenticate {
        let inner: SPNEGOInnerToken?
        do { inner = try SPNEGO.unwrap(blob) } catch { throw BlobError.malformed("\(error)") }
        guard let inner else { throw BlobError.malformed("security blob carries no NTLMSSP token") }
        let message: NTLMSSPAuthenticateMessage
        do {
            guard case let .authenticate(decoded) = try NTLMSSPMessage.decode(inner.token).value else {
                throw BlobError.unexpectedMessage("expected NTLMSSP AUTHENTICATE")
            }
            message = decoded
        } catch let error as BlobError {
            throw error
        } catch {
            throw BlobError.malformed("\(error)")
        }
        let negotiated = message.flags.intersection(challengeFlags)
        let response = NTLMVerifier.NTLMSSPResponse(
            user: message.user, domain: message.domain, lmResponse: message.lmChallengeResponse,
            ntResponse: message.ntChallengeResponse, encryptedRandomSessionKey: message.encryptedRandomSessionKey,
            extendedSessionSecurity: negotiated.contains(.negotiateExtendedSessionSecurity),
            keyExchange: negotiated.contains(.negotiateKeyExchange))
        return Authenticate(message: message, bytes: inner.token, response: response)
    }

    /// Leg two, part two: checks the MIC when the client says it sent one (MsvAvFlags bit 0x2
    /// in its NTLMv2 blob, MS-NLMP 3.2.5.1.2): HMAC-MD5(exported key, NEGOTIATE ‖ CHALLENGE ‖
    /// AUTHENTICATE with the MIC zeroed). Returns whether a MIC was checked. Mirrors the MIC
    /// check of Samba's `ntlmssp_server_postauth`.
    /// - Throws: ``LoginFailure/wrongPassword`` when the MIC differs.
    @discardableResult
    func checkMIC(_ authenticate: Authenticate, exportedSessionKey: [UInt8], runtime: any KernelRuntime) throws -> Bool {
        try checkMIC(authenticate, exportedSessionKey: TracedBytes(exportedSessionKey), fields: RequestFields(),
                     runtime: runtime)
    }

    /// ``checkMIC(_:exportedSessionKey:runtime:)`` naming its inputs: the exported key's
    /// buffer, and `fields`, where the AUTHENTICATE (`AUTHENTICATE`, `MIC`) sits in its request.
    @discardableResult
    func checkMIC(_ authenticate: Authenticate, exportedSessionKey: TracedBytes, fields: RequestFields,
                  runtime: any KernelRuntime) throws -> Bool {
        let received = authenticate.message.mic.map { fields.received("MIC", $0) }
        let verdict = try runtime.traced("ntlmssp_server_postauth", "MIC check",
                                         buffers: received.map { [$0.copy(as: "MIC (received)", on: runtime)] } ?? []
        ) { call -> (checked: Bool, matches: Bool) in
            guard let received, NTLMSSPAcceptor.claimsMIC(authenticate.response.ntResponse) else {
                call.returning("no MIC claimed: nothing to check")
                return (false, true)
            }
            let mic = NTLMSSPMIC.range
            let message = fields.received("AUTHENTICATE", authenticate.bytes)
            guard exportedSessionKey.bytes.count == 16, message.bytes.count >= mic.upperBound,
                  let input = try? NTLMSSPMIC.input(negotiate: negotiateBytes, challenge: challengeBytes,
                                                    authenticate: authenticate.bytes) else {
                throw LoginFailure.malformed("MIC input")
            }
            // The AUTHENTICATE as the MIC covers it, in two steps: its head with the 16 MIC
            // bytes zeroed, then the rest as received.
            let zeroed = TracedBytes(Array(input.suffix(message.bytes.count)))
            var covered = zeroed
            if call.isTracing {
                let head = call.traceable(
                    "AUTHENTICATE up to the MIC, MIC zeroed", Array(zeroed.bytes[0..<mic.upperBound]),
                    Derivation(.zeroPad, [message.slice(0..<mic.lowerBound).input("AUTHENTICATE head")],
                               length: mic.upperBound))
                let whole = call.traceable(
                    "AUTHENTICATE, MIC zeroed", zeroed.bytes,
                    Derivation(.concat, [DerivationInput("head", head),
                                         message.slice(from: mic.upperBound).input("rest")]))
                try call.note("the AUTHENTICATE as the MIC covers it: its MIC field zeroed", buffers: [head, whole])
                covered = TracedBytes(zeroed.bytes, buffer: whole.id)
            }
            let expected = NTLM.hmacMD5(key: exportedSessionKey.bytes, input)
            let negotiate = origins.negotiate ?? TracedBytes(negotiateBytes)
            let challenge = origins.challenge ?? TracedBytes(challengeBytes)
            let expectedTrace = try call.record(
                "the MIC the exported session key gives over NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE", "MIC (expected)",
                expected,
                Derivation(.hmacMD5, [exportedSessionKey.input("key"), negotiate.input("NEGOTIATE"),
                                      challenge.input("CHALLENGE"), covered.input("AUTHENTICATE")]))
            let matches = constantTimeEquals(received.bytes, expected)
            _ = try call.record(
                "expected MIC vs the received one: \(matches ? "match" : "mismatch")", "comparison with the MIC",
                [matches ? 1 : 0], Derivation(.compare, [expectedTrace.input("expected"), received.input("received")]))
            call.returning(matches ? "MIC verified" : "MIC differs")
            return (true, matches)
        }
        guard verdict.matches else { throw LoginFailure.wrongPassword }
        return verdict.checked
    }

    /// Whether an NTLMv2 response's AV pairs carry MsvAvFlags with the MIC bit.
    static func claimsMIC(_ ntResponse: [UInt8]) -> Bool {
        guard ntResponse.count > 24,
              let parsed = try? NTLM.parseNTLMv2Response(ntResponse),
              let pairs = try? AVPairList.decode(parsed.blob.targetInfo).value,
              let flags = pairs[.flags]?.integerValue else { return false }
        return flags & 0x2 != 0
    }

    /// The final reply blob: a NegTokenResp accept-completed under SPNEGO, nothing when raw.
    var completionBlob: [UInt8] {
        wrapping == .raw ? [] : SPNEGO.encode(.negTokenResp(SPNEGONegTokenResp(negState: .acceptCompleted)))
    }

    /// The blob a failed login is answered with under SPNEGO (reject), nothing when raw.
    var rejectionBlob: [UInt8] {
        wrapping == .raw ? [] : SPNEGO.encode(.negTokenResp(SPNEGONegTokenResp(negState: .reject)))
    }

    /// The server's NegTokenInit for an extended-security NEGOTIATE response: NTLMSSP is the
    /// only mechanism offered.
    static var negotiateBlob: [UInt8] {
        SPNEGO.encode(.negTokenInit(SPNEGONegTokenInit(mechTypes: [.ntlmssp], negHints: .rfc4178Placeholder)))
    }
}
