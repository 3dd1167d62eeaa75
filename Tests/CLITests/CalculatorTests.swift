import Foundation
import Testing

/// The `ntlm` and `sign` calculators, run as the built executable.
@Suite struct CalculatorTests {
    private let nlmp = ["--user", "User", "--domain", "Domain", "--password", "Password",
                        "--challenge", "0123456789abcdef"]

    private func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }

    @Test func ntlmv1ValuesMatchMSNLMP() throws {
        let r = try CLIRunner.run(["ntlm"] + nlmp + ["--json"])
        #expect(r.status == 0)
        let j = try json(r.stdout)
        #expect(j["nt_hash"] as? String == "a4f49c406510bdcab6824ee7c30fd852")
        #expect(j["lm_hash"] as? String == "e52cac67419a9a224a3b108f3fa6cb6d")
        #expect(j["ntlmv1_response"] as? String == "67c43011f30298a2ad35ece64f16331c44bdbed927841f94")
        #expect(j["lmv1_response"] as? String == "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13")
        #expect(j["ntlmv1_session_key"] as? String == "d87262b0cde4b1cb7499becccdf10784")
        #expect(j["smb1_mac_key_v1"] as? String
                == "d87262b0cde4b1cb7499becccdf10784" + "67c43011f30298a2ad35ece64f16331c44bdbed927841f94")
        // No v2 inputs: the v2 keys are present and null.
        #expect(j["ntproofstr"] is NSNull)
        #expect(j["ntlmv2_session_key"] is NSNull)
    }

    @Test func ntlmv2ValuesMatchMSNLMP() throws {
        // MS-NLMP §4.2.4: target info = NbDomainName "Domain", NbComputerName "Server", EOL.
        let targetInfo = "02000c0044006f006d00610069006e0001000c00530065007200760065007200" + "00000000"
        let r = try CLIRunner.run(["ntlm"] + nlmp + ["--client-challenge", "aaaaaaaaaaaaaaaa",
                                                     "--timestamp", "0000000000000000",
                                                     "--target-info", targetInfo, "--json"])
        #expect(r.status == 0)
        let j = try json(r.stdout)
        #expect(j["ntowfv2"] as? String == "0c868a403bfd7a93a3001ef22ef02e3f")
        #expect(j["ntproofstr"] as? String == "68cd0ab851e51c96aabc927bebef6a1c")
        #expect(j["lmv2_response"] as? String == "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
        #expect(j["ntlmv2_session_key"] as? String == "8de40ccadbc14a82f15cb0ad0de95ca3")
        let blob = try #require(j["ntlmv2_blob"] as? String)
        #expect(blob == "0101000000000000" + "0000000000000000" + "aaaaaaaaaaaaaaaa" + "00000000" + targetInfo + "00000000")
        #expect(j["ntlmv2_response"] as? String == "68cd0ab851e51c96aabc927bebef6a1c" + blob)
        #expect(j["smb1_mac_key_v2"] as? String == "8de40ccadbc14a82f15cb0ad0de95ca3" + "68cd0ab851e51c96aabc927bebef6a1c" + blob)
    }

    @Test func kernelBlobDropsTrailingZeros() throws {
        let r = try CLIRunner.run(["ntlm"] + nlmp + ["--client-challenge", "aaaaaaaaaaaaaaaa",
                                                     "--timestamp", "0000000000000000", "--kernel-blob", "--json"])
        let j = try json(r.stdout)
        #expect(j["ntlmv2_blob"] as? String == "0101000000000000" + "0000000000000000" + "aaaaaaaaaaaaaaaa" + "00000000")
    }

    @Test func longPasswordHasNoLMHash() throws {
        let r = try CLIRunner.run(["ntlm", "--user", "u", "--password", String(repeating: "x", count: 15),
                                   "--challenge", "0123456789abcdef", "--json"])
        let j = try json(r.stdout)
        #expect(j["lm_hash"] is NSNull)
        #expect(j["lmv1_response"] is NSNull)
    }

    @Test(arguments: [
        ["ntlm", "--user", "u", "--password", "p", "--challenge", "zz"],
        ["ntlm", "--user", "u", "--password", "p", "--challenge", "0123"],
        ["ntlm", "--user", "u", "--password", "p", "--challenge", "0123456789abcdef", "--timestamp", "00"],
        ["ntlm", "--frobnicate"],
        ["sign", "--mac-key", "00", "--seq", "x", "--packet", "ff"],
        ["sign", "--mac-key", "0011", "--seq", "2", "--packet", "ff534d42"],
    ])
    func badInputIsOneLineAndExitTwo(_ args: [String]) throws {
        let r = try CLIRunner.run(args)
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(r.stderr.hasPrefix("cifstep: "))
    }

    @Test func signThenVerify() throws {
        // A NEGOTIATE request header + body; the signature field starts zeroed.
        let packet = "ff534d4272000000001843c8000000000000000000000000" + "0000fffe00000000000c00024e54204c4d20302e313200"
        let key = "00112233445566778899aabbccddeeff"
        let signed = try CLIRunner.run(["sign", "--mac-key", key, "--seq", "2", "--packet", packet, "--json"])
        #expect(signed.status == 0)
        let j = try json(signed.stdout)
        let signedPacket = try #require(j["signed_packet"] as? String)
        let signature = try #require(j["signature"] as? String)
        // Computed independently with Python: md5(key + packet with 02000000 00000000 at 14)[:8].
        #expect(signature == "716c01b9ea27cf83")
        #expect(signedPacket == "ff534d4272000000001843c80000" + signature + "00000000fffe00000000000c00024e54204c4d20302e313200")

        let ok = try CLIRunner.run(["sign", "--mac-key", key, "--seq", "2", "--packet", signedPacket, "--verify"])
        #expect(ok.status == 0)
        let wrongSeq = try CLIRunner.run(["sign", "--mac-key", key, "--seq", "4", "--packet", signedPacket, "--verify"])
        #expect(wrongSeq.status == 1)
        var flipped = Array(signedPacket)
        flipped[flipped.count - 3] = flipped[flipped.count - 3] == "0" ? "1" : "0"
        let tampered = try CLIRunner.run(["sign", "--mac-key", key, "--seq", "2", "--packet", String(flipped), "--verify"])
        #expect(tampered.status == 1)
    }
}
