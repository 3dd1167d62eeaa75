import SMBCrypto
import SMBWire

/// Every value of an NTLMv1 and (optionally) NTLMv2 login, computed from the inputs the
/// `ntlm` calculator takes. A worked example the user can check by hand.
struct NTLMCalculation {
    struct V2Inputs {
        var clientChallenge: [UInt8]
        var timestamp: [UInt8]
        var targetInfo: [UInt8]
        var kernelBlob: Bool
    }

    /// One computed value: the JSON key, what the step is called, and the bytes (nil: none).
    struct Step {
        var key: String
        var label: String
        var bytes: [UInt8]?
        /// Shown only in the human output (not one of the documented JSON keys).
        var detailOnly = false
    }

    var steps: [Step] = []

    init(user: String, domain: String, password: String, challenge: [UInt8],
         v2: V2Inputs?, encoding: PasswordEncoding) throws {
        let utf16 = NTLM.utf16LE(NTLM.passwordUTF16(password, encoding: encoding))
        let ntHash = NTLM.ntHash(password: password, encoding: encoding)
        let lmHash = NTLM.lmHash(password: password)
        steps.append(Step(key: "password_utf16le", label: "password as UTF-16LE (E_md4hash input)",
                          bytes: utf16, detailOnly: true))
        steps.append(Step(key: "nt_hash", label: "NT hash = MD4(password UTF-16LE)  [E_md4hash]", bytes: ntHash))
        steps.append(Step(key: "lm_hash", label: "LM hash = DES(KGS!@#$%) under upper(password)", bytes: lmHash))
        steps.append(Step(key: "owf_key21", label: "NT hash padded to 21 bytes (three DES keys)",
                          bytes: ntHash + [UInt8](repeating: 0, count: 5), detailOnly: true))
        let lmResponse = try lmHash.map { try NTLM.lmv1Response(lmHash: $0, challenge: challenge) }
        steps.append(Step(key: "lmv1_response", label: "LMv1 response  [SMBencrypt]", bytes: lmResponse))
        let ntResponse = try NTLM.ntlmv1Response(ntHash: ntHash, challenge: challenge)
        steps.append(Step(key: "ntlmv1_response", label: "NTLMv1 response = E_P24(NT hash, challenge)  [SMBNTencrypt]",
                          bytes: ntResponse))
        let sessionKey = try NTLM.sessionKeyV1(ntHash: ntHash)
        steps.append(Step(key: "ntlmv1_session_key", label: "session key = MD4(NT hash)", bytes: sessionKey))
        steps.append(Step(key: "smb1_mac_key_v1", label: "SMB1 MAC key = session key ‖ NT response (40 bytes)",
                          bytes: try NTLM.macKeyV1(sessionKey: sessionKey, ntResponse: ntResponse)))

        let v2Keys = ["ntowfv2", "lmv2_response", "ntlmv2_blob", "ntproofstr", "ntlmv2_response",
                      "ntlmv2_session_key", "smb1_mac_key_v2"]
        guard let v2 else {
            for key in v2Keys { steps.append(Step(key: key, label: key, bytes: nil)) }
            return
        }
        let ntowfv2 = try NTLM.ntowfv2(ntHash: ntHash, user: user, domain: domain)
        steps.append(Step(key: "ntowfv2", label: "NTOWFv2 = HMAC-MD5(NT hash, UTF-16LE(upper(user) ‖ domain))",
                          bytes: ntowfv2))
        steps.append(Step(key: "lmv2_response", label: "LMv2 response = HMAC-MD5(NTOWFv2, challenge ‖ client challenge) ‖ client challenge",
                          bytes: try NTLM.lmv2Response(ntowfv2: ntowfv2, serverChallenge: challenge,
                                                       clientChallenge: v2.clientChallenge)))
        let blob = try NTLMv2Blob(timestamp: v2.timestamp, clientChallenge: v2.clientChallenge,
                                  targetInfo: v2.targetInfo, trailingZeros: !v2.kernelBlob).encode()
        steps.append(Step(key: "ntlmv2_blob", label: v2.kernelBlob ? "NTLMv2 blob (kernel form, no trailing zeros)"
                                                                   : "NTLMv2 blob (MS-NLMP form)", bytes: blob))
        let proof = try NTLM.ntProofStr(ntowfv2: ntowfv2, serverChallenge: challenge, blob: blob)
        steps.append(Step(key: "ntproofstr", label: "NTProofStr = HMAC-MD5(NTOWFv2, challenge ‖ blob)", bytes: proof))
        let response = proof + blob
        steps.append(Step(key: "ntlmv2_response", label: "NTLMv2 response = NTProofStr ‖ blob", bytes: response))
        let sessionKeyV2 = try NTLM.sessionKeyV2(ntowfv2: ntowfv2, ntProofStr: proof)
        steps.append(Step(key: "ntlmv2_session_key", label: "session key = HMAC-MD5(NTOWFv2, NTProofStr)",
                          bytes: sessionKeyV2))
        steps.append(Step(key: "smb1_mac_key_v2", label: "SMB1 MAC key = session key ‖ NTLMv2 response",
                          bytes: try NTLM.macKeyV2(sessionKey: sessionKeyV2, ntlmv2Response: response)))
    }

    var json: JSONValue {
        .object(steps.filter { !$0.detailOnly }.map { ($0.key, $0.bytes.map { .string(Hex.encode($0)) } ?? .null) })
    }

    func text() -> String {
        var lines: [String] = []
        // NTLMv2 steps without inputs are left out; a missing LM hash is worth saying.
        for step in steps where step.bytes != nil || step.key == "lm_hash" || step.key == "lmv1_response" {
            lines.append(step.label)
            lines.append("  " + (step.bytes.map { Hex.encode($0) } ?? "(none: this password has no LM hash)"))
        }
        return lines.joined(separator: "\n")
    }
}
