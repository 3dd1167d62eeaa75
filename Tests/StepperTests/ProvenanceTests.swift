import KernelRuntime
import SMBCrypto
import SMBWire
import Testing
@testable import Stepper

/// Session setup and signing as the 2013 posts walk through them: the functions in their order
/// per flow, every derived buffer recomputed from its recorded inputs with SMBCrypto, the
/// results found on the wire, and `why` walking a signature and the MAC key back to the
/// password and the challenge's bytes in the server's reply.
@Suite struct ProvenanceTests {
    /// The reader's calls, in order, up to and including the first signed exchange after login.
    static let watched: Set<String> = [
        "CIFSSMBNegotiate", "cifs_setup_session", "CIFS_SessSetup", "setup_ntlm_response", "SMBNTencrypt", "E_md4hash",
        "mdfour", "SMBOWFencrypt", "E_P24", "smbhash", "setup_ntlmv2_rsp", "calc_ntlmv2_hash", "CalcNTLMv2_response",
        "build_ntlmssp_negotiate_blob", "decode_ntlmssp_challenge", "build_ntlmssp_auth_blob", "calc_seckey",
        "cifs_sign_smb", "cifs_calculate_signature", "cifs_verify_signature", "CIFSTCon",
    ]

    static let ntlmV1: [String] = [
        "SMBNTencrypt", "E_md4hash", "mdfour", "SMBOWFencrypt", "E_P24", "smbhash", "smbhash", "smbhash",
        "E_md4hash", "mdfour", "mdfour",
    ]
    static let ntlmV2: [String] = ["setup_ntlmv2_rsp", "calc_ntlmv2_hash", "E_md4hash", "mdfour", "CalcNTLMv2_response"]
    static let signedExchange = ["cifs_sign_smb", "cifs_calculate_signature", "cifs_verify_signature",
                                 "cifs_calculate_signature"]

    /// The expected order of the watched calls, from NEGOTIATE to the tree connect's signature check.
    static func expectedOrder(_ auth: Scenario.Auth, signed: Bool) -> [String] {
        var order = ["CIFSSMBNegotiate", "cifs_sign_smb", "cifs_setup_session", "CIFS_SessSetup"]
        switch auth {
        case .ntlm:
            order += ["setup_ntlm_response"] + ntlmV1 + ["cifs_sign_smb"]
        case .ntlmv2:
            order += ntlmV2 + ["cifs_sign_smb"]
        case .ntlmssp:
            order += ["build_ntlmssp_negotiate_blob", "cifs_sign_smb", "decode_ntlmssp_challenge",
                      "build_ntlmssp_auth_blob"] + ntlmV2 + ["calc_seckey", "cifs_sign_smb"]
        }
        order.append("CIFSTCon")
        order += signed ? signedExchange : ["cifs_sign_smb"]
        return order
    }

    static let flows: [(Scenario.Auth, Scenario.Signing)] = [
        (.ntlm, .off), (.ntlm, .on), (.ntlmv2, .off), (.ntlmv2, .on), (.ntlmssp, .off), (.ntlmssp, .on),
    ]

    /// Runs a flow to its end and returns its events.
    static func run(_ auth: Scenario.Auth, _ signing: Scenario.Signing, password: String = "Wonderland-42",
                    mustComplete: Bool = true) throws -> [TraceEvent]
    {
        let session = StepperSession(
            scenario: Scenario(auth: auth, signing: signing, password: password), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        let stop = try session.must(.continue).stop
        guard case .end(.completed)? = stop, mustComplete else {
            guard mustComplete else { return session.events }
            Issue.record("\(auth) \(signing): the run did not complete: \(String(describing: stop))")
            return session.events
        }
        return session.events
    }

    @Test(arguments: 0..<6)
    func eachFlowCallsThePostsFunctionsInTheirOrder(flow: Int) throws {
        let (auth, signing) = Self.flows[flow]
        let events = try Self.run(auth, signing)
        let calls = events.filter { $0.threadName == "reader" && $0.phase == .enter && Self.watched.contains($0.function) }
            .map(\.function)
        let expected = Self.expectedOrder(auth, signed: signing != .off)
        #expect(Array(calls.prefix(expected.count)) == expected, "\(auth) \(signing)")
    }

    @Test(arguments: 0..<6)
    func everyDerivedBufferRecomputesFromItsRecordedInputs(flow: Int) throws {
        let (auth, signing) = Self.flows[flow]
        let events = try Self.run(auth, signing)
        let (problems, checked) = try Self.recheck(events)
        #expect(problems.isEmpty, "\(auth) \(signing):\n\(problems.prefix(10).joined(separator: "\n"))")
        // The steps each flow must have shown (so an empty trace cannot pass).
        var required: [Derivation.Operation] = [.copy, .concat, .md4, .passwordUTF16LE]
        switch auth {
        case .ntlm: required += [.zeroPad, .desKey, .desEncrypt]
        case .ntlmv2: required += [.hmacMD5, .uppercasedUTF16LE, .utf16LE]
        case .ntlmssp: required += [.hmacMD5, .rc4]
        }
        if signing != .off { required += [.sequenceInSignatureField, .md5, .truncate, .compare] }
        for operation in required {
            #expect(checked[operation, default: 0] > 0, "\(auth) \(signing): no \(operation) step recorded")
        }
    }

    /// Every derived buffer of `events` recomputed from its inputs: what disagrees, and how many
    /// steps of each kind were checked.
    static func recheck(_ events: [TraceEvent]) throws -> (problems: [String], checked: [Derivation.Operation: Int]) {
        var byID: [TraceBufferID: (bytes: [UInt8], event: Int)] = [:]
        var checked: [Derivation.Operation: Int] = [:]
        var problems: [String] = []
        for event in events {
            for buffer in event.buffers {
                if let id = buffer.id {
                    if let seen = byID[id], seen.bytes != buffer.bytes {
                        problems.append("#\(event.sequence) \(buffer.name) \(id): recorded twice with different bytes")
                    }
                    if byID[id] == nil { byID[id] = (buffer.bytes, event.sequence) }
                }
                guard let derivation = buffer.derivation, derivation.operation != .given else { continue }
                var inputs: [[UInt8]] = []
                for input in derivation.inputs {
                    guard let source = byID[input.buffer], source.event <= event.sequence else {
                        problems.append("#\(event.sequence) \(event.function) \(buffer.name): input \(input.role) "
                            + "\(input.buffer) is not a buffer recorded before it")
                        continue
                    }
                    if let range = input.range {
                        guard range.upperBound <= source.bytes.count else {
                            problems.append("#\(event.sequence) \(buffer.name): \(input.role) range \(range) outside its buffer")
                            continue
                        }
                        inputs.append(Array(source.bytes[range]))
                    } else {
                        inputs.append(source.bytes)
                    }
                }
                guard inputs.count == derivation.inputs.count else { continue }
                let again = try Self.recompute(derivation, inputs)
                if again != buffer.bytes {
                    problems.append("#\(event.sequence) \(event.function) \(buffer.name): \(derivation.operation) gives "
                        + "\(Hex.encode(again)), recorded \(Hex.encode(buffer.bytes))")
                }
                checked[derivation.operation, default: 0] += 1
            }
        }
        return (problems, checked)
    }

    /// Redoes one step with SMBCrypto, from the inputs' bytes.
    static func recompute(_ d: Derivation, _ inputs: [[UInt8]]) throws -> [UInt8] {
        let joined = inputs.flatMap { $0 }
        switch d.operation {
        case .given: return []
        case .copy: return inputs.first ?? []
        case .concat: return joined
        case .zeroPad: return joined + [UInt8](repeating: 0, count: max(0, (d.length ?? 0) - joined.count))
        case .truncate: return Array(joined.prefix(d.length ?? 0))
        case .passwordUTF16LE: return NTLM.utf16LE(NTLM.passwordUTF16(utf8: joined, encoding: .kernel))
        case .utf16LE: return NTLM.utf16LE(String(decoding: joined, as: UTF8.self))
        case .uppercasedUTF16LE: return NTLM.utf16LE(NTLM.uppercasedForNTLM(String(decoding: joined, as: UTF8.self)))
        case .md4: return MD4.hash(joined)
        case .md5: return NTLM.md5(joined)
        case .hmacMD5: return NTLM.hmacMD5(key: inputs.first ?? [], inputs.dropFirst().flatMap { $0 })
        case .desKey: return try DES.expandKey(inputs.first ?? [])
        case .desEncrypt: return try DES(key: inputs.first ?? []).encrypt(block: inputs.count > 1 ? inputs[1] : [])
        case .rc4: return try RC4.process(key: inputs.first ?? [], inputs.count > 1 ? inputs[1] : [])
        case .sequenceInSignatureField:
            guard inputs.count == 2, inputs[0].count >= 22, inputs[1].count == 4 else { return [] }
            var packet = inputs[0]
            packet.replaceSubrange(14..<22, with: inputs[1] + [0, 0, 0, 0])
            return packet
        case .compare: return [inputs.count == 2 && inputs[0] == inputs[1] ? 1 : 0]
        }
    }

    @Test(arguments: 0..<6)
    func theComputedValuesAreTheBytesOnTheWire(flow: Int) throws {
        let (auth, signing) = Self.flows[flow]
        let events = try Self.run(auth, signing)
        let sent = events.filter { $0.threadName == "reader" && $0.phase == .send && $0.function == "smb_send" }
            .compactMap { $0.buffers.first { $0.name == "request" } }
        // The response: a field of the SESSION_SETUP request (inside the AUTHENTICATE for NTLMSSP).
        let responseName = auth == .ntlm ? "response" : "NTLMv2 response"
        let responses = events.flatMap(\.buffers).filter { $0.name == responseName }
        #expect(!responses.isEmpty, "\(auth): no \(responseName) recorded")
        for response in responses {
            let carried = sent.contains { request in
                request.spans.contains { Array(request.bytes[$0.range]) == response.bytes }
                    || SMBCommand(request.bytes[4]) == .sessionSetupAndX && request.bytes.contains(subsequence: response.bytes)
            }
            #expect(carried, "\(auth): the \(responseName) is not in any SESSION_SETUP request sent")
        }
        guard signing != .off else { return }
        // Each signature cifs_sign_smb computed is the one in the next request the reader sent, and
        // equals SMB1Signing's own computation over the unsigned request.
        var signatures = 0
        var pendingSignature: [UInt8]?
        var macKey: [UInt8]?
        var built: (packet: [UInt8], sequence: UInt32)?
        for event in events where event.threadName == "reader" {
            if event.function == "cifs_setup_session", let key = event.buffers.first(where: { $0.name == "MAC key" }) {
                macKey = key.bytes
            }
            if event.function == "cifs_sign_smb", event.phase == .note,
               let packet = event.buffers.first(where: { $0.name == "request" }),
               let number = event.buffers.first(where: { $0.name == "sequence number" }) {
                built = (packet.bytes, number.bytes.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) })
            }
            if event.function == "cifs_sign_smb", event.phase == .exit,
               let signature = event.buffers.first(where: { $0.name == "signature" }), signature.bytes.count == 8,
               let (packet, sequence) = built, let key = macKey {
                #expect(signature.bytes == (try SMB1Signing.signature(packet: packet, macKey: key, sequence: sequence)))
                pendingSignature = signature.bytes
                built = nil
            }
            if event.function == "smb_send", event.phase == .send, let expected = pendingSignature,
               let request = event.buffers.first(where: { $0.name == "request" }) {
                #expect(Array(request.bytes[14..<22]) == expected)
                signatures += 1
                pendingSignature = nil
            }
        }
        #expect(signatures >= 3, "\(auth): only \(signatures) signed requests seen")
        // Every verification compared equal (the loopback server signs correctly).
        let comparisons = events.flatMap(\.buffers).filter { $0.name == "signature comparison" }
        #expect(comparisons.count >= 3 && comparisons.allSatisfy { $0.bytes == [1] })
    }

    @Test(arguments: [Scenario.Auth.ntlm, .ntlmv2, .ntlmssp])
    func aSignatureAndTheMACKeyWalkBackToThePasswordAndTheChallengeOnTheWire(auth: Scenario.Auth) throws {
        let events = try Self.run(auth, .on)
        let index = ProvenanceIndex(events: events)
        let end = events.count
        // NTLMSSP with key exchange: the MAC key is 16 random bytes, sent encrypted under a key
        // made from the password; that encrypted key is what leads back to the password.
        let keyName = auth == .ntlmssp ? "EncryptedRandomSessionKey" : "MAC key"
        let key = try #require(index.latest(named: keyName, atOrBefore: end))
        let signature = try #require(events.reversed().lazy.flatMap(\.buffers)
            .first { $0.name == "signature" && $0.derivation?.operation == .truncate })
        let signatureID = try #require(signature.id)
        let signatureStart = try #require(index.buffer(signatureID))
        for start in [key, signatureStart] {
            let walk = index.walk(from: start)
            let nodes = Self.flatten(walk)
            #expect(nodes.allSatisfy { $0.missingInputs.isEmpty }, "\(auth): an input was not recorded")
            let names = Set(nodes.map(\.located.buffer.name))
            if auth == .ntlmssp, start == signatureStart {
                // The MAC key in a signature's walk: the random exported session key.
                let exported = nodes.first { $0.located.buffer.name == "exported session key" }
                #expect(exported?.derivation?.operation == .given, "\(auth): \(names.sorted())")
                #expect(["MD5 digest", "MD5 input", "MAC key", "sequence number"].allSatisfy(names.contains))
                continue
            }
            let password = nodes.first { $0.located.buffer.name == "password" }
            #expect(password?.located.buffer.bytes == Array("Wonderland-42".utf8), "\(auth) from \(start.buffer.name)")
            #expect(password?.derivation?.operation == .given)
            // The challenge: 8 bytes at their offset in a reply as cifsd received it (for NTLMSSP
            // inside the CHALLENGE blob, itself a span of the SESSION_SETUP reply).
            let challenge = nodes.first { $0.located.buffer.name == "challenge" && $0.derivation?.operation == .copy
                && $0.inputs.first?.range?.count == 8 }
            let source = try #require(challenge?.inputs.first, "\(auth): no challenge in the walk from \(start.buffer.name)")
            if auth == .ntlmssp {
                #expect(source.located.buffer.name == "NTLMSSP CHALLENGE")
                #expect(source.inputs.first?.located.phase == .receive)
                #expect(source.inputs.first?.field?.hasSuffix("SecurityBlob") == true)
            } else {
                #expect(source.located.phase == .receive && source.located.function == "standard_receive3")
                #expect(source.field == "NegotiateResponse.Challenge")
                #expect(source.range.map { Array(source.located.buffer.bytes[$0]) } == challenge?.located.buffer.bytes)
            }
            let expected: Set<String> = start == signatureStart ? ["MD5 digest", "MD5 input", "MAC key", "sequence number"]
                : auth == .ntlm ? ["auth key", "session key", "response", "NT hash", "21-byte key"]
                : auth == .ntlmv2 ? ["auth key", "session key", "NTProofStr", "NTOWFv2", "NT hash", "client challenge"]
                : ["session base key", "exported session key", "NTProofStr", "NTOWFv2", "NT hash"]
            #expect(expected.isSubset(of: names), "\(auth) from \(start.buffer.name): \(names.sorted())")
        }
    }

    @Test func aREAD_ANDXReplyIsCheckedOverTheBytesCifsdReadIntoThePages() throws {
        let session = StepperSession(
            scenario: Scenario(auth: .ntlm, signing: .on, file: "random-256k.bin"), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        guard case .end(.completed)? = try session.must(.continue).stop else {
            Issue.record("the run did not complete")
            return
        }
        let events = session.events
        let (problems, checked) = try Self.recheck(events)
        #expect(problems.isEmpty, "\(problems.prefix(10).joined(separator: "\n"))")
        #expect(checked[.md5, default: 0] > 10)
        let index = ProvenanceIndex(events: events)
        // Each READ_ANDX reply's check, on cifsd inside cifs_readv_callback, hashed the whole reply.
        let replies = events.filter { $0.function == "cifs_readv_callback" && $0.phase == .note }
            .compactMap { $0.buffers.first { $0.name == "reply" } }
        #expect(replies.count == 5, "256 KiB: four replies of 61440 data bytes and one of 16384")
        var walked = 0
        for event in events where event.function == "cifs_verify_signature" && event.phase == .exit {
            guard let match = event.buffers.first(where: { $0.name == "signature comparison" }) else { continue }
            #expect(match.bytes == [1])
            let matchID = try #require(match.id)
            let node = index.walk(from: try #require(index.buffer(matchID)))
            let names = Set(Self.flatten(node).map(\.located.buffer.name))
            if names.contains("reply"), Self.flatten(node).contains(where: { $0.located.function == "cifs_readv_callback" }) {
                walked += 1
            }
        }
        #expect(walked == replies.count, "every READ_ANDX check walks back to its reply as cifsd read it")
        // And the data those replies carried is the file's bytes.
        var data: [UInt8] = []
        for reply in replies {
            let fixed = Array(reply.bytes.prefix(ReadAndXResponse.fixedPartSize))
            let range = try ReadAndXResponse.locateData(fixedPart: fixed, messageLength: reply.bytes.count).dataRange
            data += reply.bytes[range]
        }
        #expect(data.count == 262_144)
        #expect(data == session.output)
    }

    static func flatten(_ node: ProvenanceNode) -> [ProvenanceNode] {
        [node] + node.inputs.flatMap(flatten)
    }

    @Test func aPasswordLongerThan128BytesIsCutAndTheCutIsShown() throws {
        let long = String(repeating: "é", count: 70)  // 140 UTF-8 bytes: the cut splits a character
        // The server hashes the whole password, so this login fails, as it did against Samba.
        let events = try Self.run(.ntlm, .off, password: long, mustComplete: false)
        let cut = try #require(events.first { $0.function == "E_md4hash" && $0.phase == .note
            && $0.buffers.contains { $0.name == "password (first 128 bytes)" } })
        let first128 = try #require(cut.buffers.first)
        #expect(first128.bytes == Array(Array(long.utf8).prefix(128)))
        let wide = try #require(events.first { $0.function == "E_md4hash" && $0.buffers.first?.name == "password (UTF-16LE)" })
        #expect(wide.buffers.first?.bytes == NTLM.utf16LE(NTLM.passwordUTF16(long, encoding: .kernel)))
        #expect(wide.buffers.first?.derivation?.inputs.first?.buffer == first128.id)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { self[$0..<($0 + subsequence.count)].elementsEqual(subsequence) }
    }
}
