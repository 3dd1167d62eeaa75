import Crypto
import KernelRuntime
import SMBCrypto
import SMBWire
import Testing
@testable import SMBServer

/// The server's side of a login as provenance: every buffer the server derives names the
/// buffers it was computed from (the stored NT hash, the challenge it made, spans of the
/// request it received), and each step can be redone from the recorded bytes alone.
///
/// Only the server's events are read (the scripted client records nothing), so these tests
/// hold whatever the client core traces.
@Suite("Server login provenance")
struct LoginProvenanceTests {
    /// How the scripted client logs in.
    enum Login: String, CaseIterable, CustomStringConvertible {
        case ntlm, ntlmv2
        case ntlmsspSPNEGO = "ntlmssp-spnego"
        case ntlmsspRaw = "ntlmssp-raw"
        /// NTLMSSP with an NTLMv1 (NTLM2 session) response.
        case ntlmsspV1 = "ntlmssp-v1"
        /// NTLMSSP (SPNEGO) whose AUTHENTICATE carries a MIC.
        case ntlmsspMIC = "ntlmssp-mic"

        var description: String { rawValue }
        var isOldStyle: Bool { self == .ntlm || self == .ntlmv2 }
    }

    /// What the scripted client sent, to hold the server's computation against.
    final class Sent: @unchecked Sendable {
        var ntResponse: [UInt8] = []
        var mic: [UInt8]?
        var status: NTStatus?
    }

    static let password = "Wonderland-42"

    /// Runs one login under a stepped runtime; returns the server's events and what the client sent.
    private func run(_ login: Login, signing: SigningPolicy, password: String = password) throws
        -> (events: [TraceEvent], sent: Sent) {
        let runtime = SteppedRuntime(seed: 5)
        let server = try SMBServer(configuration: TestData.configuration(signing: signing), runtime: runtime)
        let sent = Sent()
        try runtime.runMain {
            let (clientEnd, serverEnd) = PipeTransport.makePair(runtime: runtime)
            server.serve(connection: serverEnd)
            defer { clientEnd.close() }
            let client = ScriptedClient(clientEnd)
            _ = try client.negotiate(extended: !login.isOldStyle)
            switch login {
            case .ntlm, .ntlmv2:
                sent.status = try client.loginOldStyle(user: "alice", password: password, ntlmv2: login == .ntlmv2)
            case .ntlmsspSPNEGO, .ntlmsspRaw, .ntlmsspV1, .ntlmsspMIC:
                sent.status = try client.loginNTLMSSP(user: "alice", password: password, spnego: login != .ntlmsspRaw,
                                                      ntlmv1: login == .ntlmsspV1, mic: login == .ntlmsspMIC)
            }
            sent.ntResponse = client.sentNTResponse
            sent.mic = client.sentMIC
        }
        return (runtime.trace.events.filter { $0.threadName == "smbd" }, sent)
    }

    /// A recorded buffer and the event it was recorded in.
    struct Recorded {
        var buffer: TraceBuffer
        var event: TraceEvent
    }

    /// Checks every buffer with an id as it is met in event order: ids are unique, every input
    /// names a buffer recorded before (earlier event, or earlier in the same event) and a range
    /// inside it, and every derived buffer's bytes are what its operation gives on its inputs'
    /// recorded bytes. Returns the buffers by id, in order.
    @discardableResult
    private func checkProvenance(_ events: [TraceEvent], _ context: String) throws -> [TraceBufferID: Recorded] {
        var recorded: [TraceBufferID: Recorded] = [:]
        for event in events {
            for buffer in event.buffers {
                guard let id = buffer.id else {
                    #expect(buffer.derivation == nil, "\(context): \(buffer.name) has a derivation but no id")
                    continue
                }
                #expect(recorded[id] == nil, "\(context): \(id) (\(buffer.name)) recorded twice")
                let derivation = try #require(buffer.derivation, "\(context): \(id) \(buffer.name) has no derivation")
                var inputs: [[UInt8]] = []
                for input in derivation.inputs {
                    let source = try #require(recorded[input.buffer]?.buffer,
                                              "\(context): \(buffer.name) names \(input.buffer), not recorded before it")
                    let range = input.range ?? source.bytes.indices
                    try #require(range.lowerBound >= 0 && range.upperBound <= source.bytes.count,
                                 "\(context): \(buffer.name) reads \(range) of a \(source.bytes.count)-byte \(source.name)")
                    inputs.append(Array(source.bytes[range]))
                }
                if derivation.operation == .given {
                    #expect(derivation.inputs.isEmpty && !(derivation.source ?? "").isEmpty,
                            "\(context): root \(buffer.name) must say where it came from and have no inputs")
                } else {
                    let redone = try recompute(derivation, inputs)
                    #expect(redone == buffer.bytes,
                            "\(context): \(buffer.name) (\(derivation.operation)) is not what its inputs give")
                }
                recorded[id] = Recorded(buffer: buffer, event: event)
            }
        }
        return recorded
    }

    /// One derivation step redone with SMBCrypto (and swift-crypto for MD5 and HMAC-MD5).
    private func recompute(_ derivation: Derivation, _ inputs: [[UInt8]]) throws -> [UInt8] {
        func one() throws -> [UInt8] {
            try #require(inputs.count == 1, "\(derivation.operation) takes one input, got \(inputs.count)")
            return inputs[0]
        }
        func two() throws -> ([UInt8], [UInt8]) {
            try #require(inputs.count == 2, "\(derivation.operation) takes two inputs, got \(inputs.count)")
            return (inputs[0], inputs[1])
        }
        switch derivation.operation {
        case .given:
            return []
        case .copy:
            return try one()
        case .concat:
            return inputs.flatMap { $0 }
        case .zeroPad:
            let input = try one()
            let length = try #require(derivation.length)
            try #require(length >= input.count)
            return input + [UInt8](repeating: 0, count: length - input.count)
        case .truncate:
            let input = try one()
            let length = try #require(derivation.length)
            try #require(length <= input.count)
            return Array(input[0..<length])
        case .passwordUTF16LE:
            return NTLM.utf16LE(NTLM.passwordUTF16(utf8: try one(), encoding: .kernel))
        case .utf16LE:
            return NTLM.utf16LE(String(decoding: try one(), as: UTF8.self))
        case .uppercasedUTF16LE:
            return NTLM.uppercasedUTF16LE(String(decoding: try one(), as: UTF8.self))
        case .md4:
            return MD4.hash(inputs.flatMap { $0 })
        case .md5:
            return Array(Insecure.MD5.hash(data: inputs.flatMap { $0 }))
        case .hmacMD5:
            try #require(inputs.count >= 2)
            return Array(HMAC<Insecure.MD5>.authenticationCode(
                for: inputs.dropFirst().flatMap { $0 }, using: SymmetricKey(data: inputs[0])))
        case .desKey:
            return try DES.expandKey(try one())
        case .desEncrypt:
            let (key, block) = try two()
            return try DES(key: key).encrypt(block: block)
        case .rc4:
            let (key, data) = try two()
            return try RC4.process(key: key, data)
        case .sequenceInSignatureField:
            var (packet, sequence) = try two()
            try #require(sequence.count == 4 && packet.count >= SMB1Signing.signatureOffset + 8)
            packet.replaceSubrange(SMB1Signing.signatureOffset..<(SMB1Signing.signatureOffset + 8),
                                   with: sequence + [0, 0, 0, 0])
            return packet
        case .compare:
            let (a, b) = try two()
            return [a == b ? 1 : 0]
        }
    }

    /// The names of the given roots `id` was computed from, following inputs back.
    private func roots(of id: TraceBufferID, in recorded: [TraceBufferID: Recorded]) -> Set<String> {
        guard let buffer = recorded[id]?.buffer, let derivation = buffer.derivation else { return [] }
        if derivation.operation == .given { return [buffer.name] }
        return derivation.inputs.reduce(into: Set<String>()) { $0.formUnion(roots(of: $1.buffer, in: recorded)) }
    }

    /// Every buffer with an id, in the order the trace recorded them.
    private func ordered(_ events: [TraceEvent]) -> [TraceBuffer] {
        events.flatMap { $0.buffers.filter { $0.id != nil } }
    }

    // MARK: Tests

    @Test(arguments: Login.allCases, [SigningPolicy.off, .required])
    func everyDerivedBufferIsRecomputableFromEarlierBuffers(login: Login, signing: SigningPolicy) throws {
        let (events, sent) = try run(login, signing: signing)
        #expect(sent.status == .success)
        let recorded = try checkProvenance(events, "\(login) signing \(signing)")
        let buffers = ordered(events)

        // The comparisons: one byte 1 for the field that matched, computed from what the
        // server expects and a span of the request it received.
        let comparisons = buffers.filter { $0.derivation?.operation == .compare }
        let last = try #require(comparisons.last)
        #expect(last.bytes == [1])
        for comparison in comparisons {
            let received = try #require(comparison.derivation?.inputs.last)
            let request = try #require(recorded[received.buffer]?.buffer)
            #expect(request.name == "request" && received.range != nil,
                    "\(comparison.name) compares against \(request.name), not a span of the request")
        }
        // What the server expected is, byte for byte, what the client sent.
        let final = try #require(last.derivation)
        let expected = try #require(recorded[final.inputs[0].buffer]?.buffer).bytes
        let receivedInput = final.inputs[1]
        let request = try #require(recorded[receivedInput.buffer]?.buffer)
        let span = Array(request.bytes[try #require(receivedInput.range)])
        #expect(expected == span)
        switch login {
        case .ntlm, .ntlmsspV1: #expect(span == sent.ntResponse)
        case .ntlmv2, .ntlmsspSPNEGO, .ntlmsspRaw: #expect(span == Array(sent.ntResponse[0..<16]))
        case .ntlmsspMIC: #expect(span == sent.mic)
        }

        // The session key goes back to the stored hash, the challenge the server made and the
        // request it received (the NTLMSSP exported key through the RC4 of the received key);
        // NTLMv1's is MD4 of the NT hash alone, the same for every challenge.
        let sessionKey = try #require(buffers.last { ["session key", "exported session key"].contains($0.name) })
        let sessionRoots = roots(of: try #require(sessionKey.id), in: recorded)
        if login == .ntlm {
            #expect(sessionRoots == ["NT hash (stored)"])
        } else {
            #expect(sessionRoots.isSuperset(of: ["NT hash (stored)", "server challenge", "request"]), "\(sessionRoots)")
        }
        if !login.isOldStyle {
            #expect(sessionKey.derivation?.operation == .rc4)
            #expect(sessionKey.bytes == Array(0x60..<0x70))
        }

        // With signing on, the MAC key the server keeps is derived from the session key (and the
        // response as sent, old-style), and it verifies the signed SESSION_SETUP reply.
        let macKeys = buffers.filter { $0.name == "MAC key" }
        if signing == .off {
            #expect(macKeys.isEmpty)
        } else {
            let macKey = try #require(macKeys.first)
            #expect(macKeys.count == 1)
            #expect(macKey.derivation?.inputs.first?.buffer == sessionKey.id)
            #expect(macKey.derivation?.operation == (login.isOldStyle ? .concat : .copy))
            if login.isOldStyle {
                #expect(macKey.bytes == sessionKey.bytes + sent.ntResponse)
                #expect(roots(of: try #require(macKey.id), in: recorded).contains("request"))
            }
            let setupReply = try #require(events.last {
                $0.function == "srv_send_smb" && $0.phase == .send && $0.message.hasPrefix("SESSION_SETUP_ANDX")
            }?.buffers.first)
            #expect(SMB1Signing.verify(packet: setupReply.bytes, macKey: macKey.bytes, sequence: 1))
        }
    }

    @Test(arguments: Login.allCases)
    func aWrongPasswordComparesUnequalWithTheSameProvenance(login: Login) throws {
        let (events, sent) = try run(login, signing: .required, password: "Wonderland-43")
        #expect(sent.status == .logonFailure)
        let recorded = try checkProvenance(events, "\(login), wrong password")
        let buffers = ordered(events)
        let comparisons = buffers.filter { $0.derivation?.operation == .compare }
        // NTLMv2 tries the domain as sent and upper-cased ("WORKGROUP" twice is once); NTLMv1
        // old-style compares both password fields. Only a MIC check can come after a match,
        // and a wrong password never gets that far.
        #expect(!comparisons.isEmpty && comparisons.allSatisfy { $0.bytes == [0] })
        for comparison in comparisons {
            let inputs = try #require(comparison.derivation?.inputs)
            #expect(recorded[inputs[0].buffer]?.buffer.bytes != nil)
        }
        let keys: Set = ["session key", "session base key", "exported session key", "MAC key"]
        #expect(!buffers.contains { keys.contains($0.name) })
    }

    /// The order the server records a login's buffers in, one list per mode: the steps as the
    /// Samba functions take them.
    @Test(arguments: Login.allCases)
    func buffersComeInSambaOrder(login: Login) throws {
        let (events, _) = try run(login, signing: .required)
        let names = ordered(events).map(\.name)
        // Up to the SESSION_SETUP reply that starts signing.
        let end = try #require(names.lastIndex(of: "MAC key"))
        let oldStyleNegotiate = ["request", "server challenge", "reply"]
        let ntlmssp = ["request", "reply", "request", "security blob (received)", "server challenge", "CHALLENGE message",
                       "reply", "request", "security blob (received)", "NT hash (stored)"]
        let ntlmv1 = ["21-byte key", "key bytes 1", "DES key 1", "DES output 1", "key bytes 2", "DES key 2", "DES output 2",
                      "key bytes 3", "DES key 3", "DES output 3", "response (expected)"]
        let ntlmv2 = ["NTProofStr (received)", "NTLMv2 blob (received)", "user name", "user name (upper-case UTF-16LE)",
                      "domain", "domain (UTF-16LE)", "NTOWFv2", "NTProofStr (expected)", "comparison with NTProofStr"]
        let expected: [String]
        switch login {
        case .ntlm:
            expected = oldStyleNegotiate
                + ["request", "NT hash (stored)", "NT response (received)", "LM response (received)"] + ntlmv1 + ["comparison with the NT response", "session key", "MAC key"]
        case .ntlmv2:
            expected = oldStyleNegotiate + ["request", "NT hash (stored)"] + ntlmv2 + ["session key", "MAC key"]
        case .ntlmsspSPNEGO, .ntlmsspRaw:
            expected = ntlmssp + ntlmv2 + ["session base key", "key-exchange key", "exported session key", "MAC key"]
        case .ntlmsspMIC:
            expected = ntlmssp + ntlmv2 + ["session base key", "key-exchange key", "exported session key",
                                           "MIC (received)", "AUTHENTICATE up to the MIC, MIC zeroed",
                                           "AUTHENTICATE, MIC zeroed", "MIC (expected)", "comparison with the MIC",
                                           "MAC key"]
        case .ntlmsspV1:
            expected = ntlmssp + ["MD5(server ‖ client challenge)", "NTLM2 session challenge", "NT response (received)"]
                + ntlmv1 + ["comparison with the NT response", "session base key", "key-exchange key",
                            "exported session key", "MAC key"]
        }
        #expect(Array(names[...end]) == expected)
    }

    /// The frames a login's steps sit in, in order (enter events only), from the password check on.
    @Test func verificationFramesFollowSamba() throws {
        let (events, _) = try run(.ntlmv2, signing: .required)
        let frames = events.filter { $0.phase == .enter }.map(\.function)
        let start = try #require(frames.firstIndex(of: "ntlm_password_check"))
        #expect(Array(frames[start...].prefix(5))
                    == ["ntlm_password_check", "smb_pwd_check_ntlmv2", "ntv2_owf_gen", "SMBOWFencrypt_ntv2",
                        "srv_set_signing"])
        // The challenge a NEGOTIATE sends is made in get_challenge, inside reply_negprot.
        #expect(frames.firstIndex(of: "get_challenge").map { frames[$0 - 1] } == "reply_negprot")
    }
}
