/// The RC4 stream cipher, used by NTLMSSP key exchange to send the exported session key
/// encrypted under the key-exchange key (MS-NLMP `RC4K`).
public struct RC4: Sendable {
    private var state: [UInt8]
    private var i: UInt8 = 0
    private var j: UInt8 = 0

    /// Runs the key schedule. The key must be 1…256 bytes.
    public init(key: [UInt8]) throws {
        guard (1...256).contains(key.count) else {
            throw SMBCryptoError.badLength(what: "RC4 key", expected: "1...256", actual: key.count)
        }
        state = (0...255).map { UInt8($0) }
        var j: UInt8 = 0
        for i in 0..<256 {
            j = j &+ state[i] &+ key[i % key.count]
            state.swapAt(i, Int(j))
        }
    }

    /// XORs `data` with the next `data.count` keystream bytes; encryption and decryption are
    /// the same operation. The cipher state advances, so successive calls continue the stream.
    public mutating func process(_ data: [UInt8]) -> [UInt8] {
        var output = data
        for index in output.indices {
            i = i &+ 1
            j = j &+ state[Int(i)]
            state.swapAt(Int(i), Int(j))
            output[index] ^= state[Int(state[Int(i)] &+ state[Int(j)])]
        }
        return output
    }

    /// One-shot RC4 of `data` under `key` (MS-NLMP's `RC4K(key, data)`).
    public static func process(key: [UInt8], _ data: [UInt8]) throws -> [UInt8] {
        var cipher = try RC4(key: key)
        return cipher.process(data)
    }
}
