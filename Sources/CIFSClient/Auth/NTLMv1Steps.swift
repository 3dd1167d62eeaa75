import KernelRuntime
import SMBCrypto
import SMBWire

// The NTLM (v1) response and session key, one traced step per function the 2013 posts walk
// through: SMBNTencrypt → E_md4hash → mdfour → SMBOWFencrypt → E_P24 → smbhash ×3, then
// E_md4hash and mdfour again for the session key. Each step records what it computed as a
// buffer naming its inputs, so the chain from a signature back to the password can be walked
// and every step recomputed.

extension Session {
    /// The password's UTF-8 bytes, the root every key of the session is computed from.
    func passwordRoot() -> TracedBytes {
        server.runtime.given("password", Array(password.utf8), source: "the mount's password (pass=)")
    }

    /// The 16-byte NT hash: MD4 of the password as UTF-16LE. With the kernel's encoding only the
    /// first 128 UTF-8 bytes are converted; the trace shows the cut when a longer password
    /// meets it. Mirrors the kernel's `E_md4hash`.
    func eMD4Hash(_ password: TracedBytes) throws -> TracedBytes {
        let runtime = server.runtime
        let limit = NTLM.kernelPasswordByteLimit
        return try runtime.traced("E_md4hash", "the NT hash of a \(password.bytes.count)-byte password",
                                  buffers: password.buffers) { call in
            var source = password
            if passwordEncoding == .kernel, password.bytes.count > limit {
                source = runtime.derive("password (first \(limit) bytes)", Array(password.bytes.prefix(limit)), .truncate,
                                        [password.input("password")], length: limit)
                try call.note("the password is \(password.bytes.count) bytes; only the first \(limit) are converted",
                              buffers: source.buffers)
            }
            let wide: TracedBytes
            switch passwordEncoding {
            case .kernel:
                wide = runtime.derive(
                    "password (UTF-16LE)", NTLM.utf16LE(NTLM.passwordUTF16(utf8: source.bytes, encoding: .kernel)),
                    .passwordUTF16LE, [source.input("password")])
            case .untruncated:
                wide = runtime.derive(
                    "password (UTF-16LE)", NTLM.utf16LE(String(decoding: source.bytes, as: UTF8.self)), .utf16LE,
                    [source.input("password")])
            }
            try call.note("as UTF-16LE: \(wide.bytes.count) bytes", buffers: wide.buffers)
            let hash = try mdfour(wide, output: "NT hash")
            call.returning("NT hash \(hash.hex)")
            return hash
        }
    }

    /// MD4 of `input`, recorded as `output`. Mirrors the kernel's `mdfour`.
    func mdfour(_ input: TracedBytes, output name: String) throws -> TracedBytes {
        let runtime = server.runtime
        return try runtime.traced("mdfour", "MD4 over \(input.bytes.count) bytes", buffers: input.buffers) { call in
            let digest = runtime.derive(name, MD4.hash(input.bytes), .md4, [input.input("message")])
            call.returning("\(name) = \(digest.hex)", buffers: digest.buffers)
            return digest
        }
    }

    /// The 24-byte NTLM response to `challenge`: the NT hash of `password`, then three DES
    /// encryptions of the challenge. Mirrors the kernel's `SMBNTencrypt`.
    func smbNTEncrypt(password: TracedBytes, challenge: TracedBytes) throws -> TracedBytes {
        try server.runtime.traced("SMBNTencrypt", "NTLM response to challenge \(challenge.hex)") { call in
            let hash = try eMD4Hash(password)
            let response = try smbOWFEncrypt(hash: hash, challenge: challenge)
            call.returning("24-byte NTLM response \(response.hex)")
            return response
        }
    }

    /// The NT hash padded with five zero bytes to a 21-byte key, which `E_P24` uses to encrypt
    /// the challenge. Mirrors `SMBOWFencrypt`, which 3.x folded into `SMBNTencrypt`; the 2013
    /// posts (and this event) keep it as a step of its own.
    func smbOWFEncrypt(hash: TracedBytes, challenge: TracedBytes) throws -> TracedBytes {
        let runtime = server.runtime
        return try runtime.traced("SMBOWFencrypt", "the NT hash as a 21-byte DES key") { call in
            let key = runtime.derive("21-byte key", hash.bytes + [UInt8](repeating: 0, count: 5), .zeroPad,
                                     [hash.input("NT hash")], length: 21)
            try call.note("21-byte key = NT hash ‖ five zero bytes", buffers: key.buffers)
            let response = try eP24(key: key, challenge: challenge)
            call.returning("response \(response.hex)")
            return response
        }
    }

    /// Three DES encryptions of the challenge, keyed with bytes 0–6, 7–13 and 14–20 of `key`,
    /// joined into 24 bytes. Mirrors the kernel's `E_P24`.
    func eP24(key: TracedBytes, challenge: TracedBytes) throws -> TracedBytes {
        let runtime = server.runtime
        return try runtime.traced("E_P24", "three 7-byte keys, each encrypting the 8-byte challenge") { call in
            var parts: [TracedBytes] = []
            for (number, start) in stride(from: 0, to: 21, by: 7).enumerated() {
                parts.append(try smbhash(key: key, range: start..<(start + 7), block: challenge, part: number + 1))
            }
            let response = runtime.derive("response", parts.flatMap(\.bytes), .concat,
                                          parts.enumerated().map { $0.element.input("output \($0.offset + 1)") })
            call.returning("response = output 1 ‖ output 2 ‖ output 3", buffers: response.buffers)
            return response
        }
    }

    /// One DES encryption of `block` with the 7 key bytes at `range` of `key`, spread to an
    /// 8-byte DES key. Mirrors the kernel's `smbhash`.
    func smbhash(key: TracedBytes, range: Range<Int>, block: TracedBytes, part: Int) throws -> TracedBytes {
        let runtime = server.runtime
        return try runtime.traced("smbhash", "DES \(part) of 3: key bytes \(range.lowerBound)–\(range.upperBound - 1)") {
            call in
            let key7 = runtime.derive("7-byte key", Array(key.bytes[range]), .copy, [key.input("21-byte key", range: range)])
            do {
                let key8 = runtime.derive("DES key", try DES.expandKey(key7.bytes), .desKey, [key7.input("7-byte key")])
                try call.note("7 key bytes spread over 8, seven bits a byte (the parity bit left clear)",
                              buffers: key7.buffers + key8.buffers)
                let output = runtime.derive("output \(part)", try DES(key: key8.bytes).encrypt(block: block.bytes),
                                            .desEncrypt, [key8.input("key"), block.input("block")])
                call.returning("DES(challenge) = \(output.hex)", buffers: output.buffers)
                return output
            } catch let error as SMBCryptoError {
                throw CIFSError.authentication("smbhash: \(error)")
            }
        }
    }

    /// The challenge the responses answer (the kernel's `ses->cryptKey`), copied from the
    /// connection's; the trace names where the connection's came from.
    func takeChallenge(from challenge: [UInt8], trace: TracedBytes?, changes: inout StateChanges) -> TracedBytes {
        let runtime = server.runtime
        let copied = runtime.derive("challenge", challenge, .copy, [KeyTrace.current(challenge, trace).input("challenge")])
        changes.set(self, \.cryptKey, challenge, path: "ses.cryptKey")
        keyTrace.challenge = copied
        return copied
    }
}
