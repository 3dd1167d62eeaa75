import ArgumentParser
import SMBCrypto

/// `cifstep ntlm`: every intermediate value of an NTLM / NTLMv2 login.
struct NTLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntlm",
        abstract: "Compute every intermediate value of an NTLMv1 and NTLMv2 login.",
        discussion: """
            Every HEX argument is a byte string as it appears on the wire. NTLMv2 values are \
            computed when --client-challenge and --timestamp are given.
            """
    )

    @Option(help: "User name.") var user: String
    @Option(help: "Domain (NTLMv2 hashes it with the upper-cased user name).") var domain: String = ""
    @Option(help: "Password.") var password: String
    @Option(help: "The server's 8-byte challenge (HEX).") var challenge: String
    @Option(help: "The 8-byte client challenge for NTLMv2/LMv2 (HEX).") var clientChallenge: String?
    @Option(help: "The blob's 8 FILETIME bytes in wire order (HEX).") var timestamp: String?
    @Option(help: "Target info (AV pairs) for the NTLMv2 blob (HEX).") var targetInfo: String?
    @Flag(help: "Build the blob as the 3.8 kernel does: no 4 trailing zero bytes.") var kernelBlob = false
    @Flag(help: "Hash the whole password (Windows/Samba) instead of its first 128 UTF-8 bytes (the kernel).")
    var noTruncate = false
    @Flag(help: "Print a JSON object instead of text.") var json = false

    func run() throws {
        let serverChallenge = try parseHex(challenge, flag: "--challenge", count: 8)
        var v2: NTLMCalculation.V2Inputs?
        switch (clientChallenge, timestamp) {
        case let (cc?, ts?):
            v2 = .init(clientChallenge: try parseHex(cc, flag: "--client-challenge", count: 8),
                       timestamp: try parseHex(ts, flag: "--timestamp", count: 8),
                       targetInfo: try targetInfo.map { try parseHex($0, flag: "--target-info") } ?? [],
                       kernelBlob: kernelBlob)
        case (nil, nil):
            if targetInfo != nil || kernelBlob {
                throw CLIError.usage("--target-info and --kernel-blob need --client-challenge and --timestamp")
            }
        default:
            throw CLIError.usage("NTLMv2 needs both --client-challenge and --timestamp")
        }
        let calc = try NTLMCalculation(user: user, domain: domain, password: password,
                                       challenge: serverChallenge, v2: v2,
                                       encoding: noTruncate ? .untruncated : .kernel)
        print(json ? calc.json.rendered() : calc.text())
    }
}
