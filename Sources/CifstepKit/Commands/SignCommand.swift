import ArgumentParser
import SMBCrypto
import SMBWire

/// `cifstep sign`: sign or verify one SMB1 packet, as `cifs_sign_smb` / `cifs_verify_signature` do.
struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Compute or verify the SMB1 signature of a packet.",
        discussion: """
            The packet starts at ff 'SMB' (no 4-byte session header). The signature is the first \
            8 bytes of MD5(MAC key ‖ packet with the sequence number in the signature field).
            """
    )

    @Option(help: "The session's MAC key (HEX).") var macKey: String
    @Option(help: "The sequence number the packet is signed with.") var seq: UInt32
    @Option(help: "The packet (HEX).") var packet: String
    @Flag(help: "Check the signature already in the packet; exit 1 if it does not verify.") var verify = false
    @Flag(help: "Print a JSON object instead of text.") var json = false

    func run() throws {
        let key = try parseHex(macKey, flag: "--mac-key")
        guard !key.isEmpty else { throw CLIError.usage("--mac-key: empty") }
        let bytes = try parseHex(packet, flag: "--packet")
        guard bytes.count >= 32, bytes.starts(with: [0xff, 0x53, 0x4d, 0x42]) else {
            throw CLIError.usage("--packet: not an SMB1 packet (needs at least 32 bytes starting ff534d42)")
        }
        if verify {
            let ok = SMB1Signing.verify(packet: bytes, macKey: key, sequence: seq)
            let expected = try SMB1Signing.signature(packet: bytes, macKey: key, sequence: seq)
            let found = Array(bytes[14..<22])
            if json {
                print(JSONValue.object([("verified", .bool(ok)), ("signature", .string(Hex.encode(found))),
                                        ("expected_signature", .string(Hex.encode(expected)))]).rendered())
            } else {
                print("signature in packet  \(Hex.encode(found))")
                print("expected (seq \(seq))  \(Hex.encode(expected))")
                print(ok ? "verified" : "does NOT verify")
            }
            if !ok { throw ExitCode(1) }
            return
        }
        let signed = try SMB1Signing.sign(packet: bytes, macKey: key, sequence: seq)
        let signature = Array(signed[14..<22])
        if json {
            print(JSONValue.object([("signature", .string(Hex.encode(signature))),
                                    ("signed_packet", .string(Hex.encode(signed)))]).rendered())
        } else {
            print("signature      \(Hex.encode(signature))")
            print("signed_packet  \(Hex.encode(signed))")
        }
    }
}
