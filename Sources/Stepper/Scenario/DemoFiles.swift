import KernelRuntime

/// The files of the in-process server's share: a short text, and pseudo-random files of any
/// size made on demand by one deterministic generator.
///
/// `random-<size>.bin` holds the first `size` bytes of the stream of ``generatorSeed`` (eight
/// bytes per 64-bit draw, little-endian), so every such file is a prefix of every larger one and
/// a test can recompute any byte. `<size>` is decimal bytes, or with a `k` (KiB) or `m` (MiB)
/// suffix: `random-256k.bin`, `random-16m.bin`, `random-100000.bin`.
public enum DemoFiles {
    /// The share every scenario mounts.
    public static let shareName = "share"
    /// The seed of the generated files' stream.
    public static let generatorSeed: UInt64 = 0x5eed
    /// The largest generated file: 256 MiB (it lives in memory, in the server's share).
    public static let maximumGeneratedSize = 256 << 20

    /// `hello.txt`.
    public static let hello = Array("Hello from cifstep's loopback server!\n".utf8)

    /// The files every share holds: `hello.txt` and `random-256k.bin`.
    public static let standard: [String: [UInt8]] = [
        "hello.txt": hello,
        "random-256k.bin": generated(size: 256 * 1024),
    ]

    /// What a file name stands for.
    public enum Kind: Equatable, Sendable {
        /// One of ``standard``.
        case standard
        /// A generated file of this many bytes.
        case generated(size: Int)
        /// A generated name beyond ``maximumGeneratedSize``.
        case tooLarge(size: Int)
        /// Any other name: the server does not have it.
        case missing

        var note: String? {
            switch self {
            case .standard: return nil
            case let .generated(size): return "generated, \(size) bytes"
            case .tooLarge: return "too large to generate"
            case .missing: return "not on the share"
            }
        }
    }

    /// What `name` stands for.
    public static func kind(of name: String) -> Kind {
        if standard[name] != nil { return .standard }
        guard let size = generatedSize(name) else { return .missing }
        return size <= maximumGeneratedSize ? .generated(size: size) : .tooLarge(size: size)
    }

    /// The share for a run reading `file`: the standard files, plus `file` when it is a
    /// generated name.
    public static func share(for file: String) -> [String: [UInt8]] {
        var files = standard
        if case let .generated(size) = kind(of: file), files[file] == nil {
            files[file] = generated(size: size)
        }
        return files
    }

    /// The first `size` bytes of the generator's stream.
    public static func generated(size: Int) -> [UInt8] {
        guard size > 0 else { return [] }
        var generator = SeededGenerator(seed: generatorSeed)
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset + 8 <= size {
                buffer.storeBytes(of: generator.next().littleEndian, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            if offset < size {
                var word = generator.next()
                while offset < size {
                    buffer[offset] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    offset += 1
                }
            }
        }
        return bytes
    }

    /// The size a `random-<size>.bin` name asks for (not capped), or `nil` for another name.
    static func generatedSize(_ name: String) -> Int? {
        guard name.hasPrefix("random-"), name.hasSuffix(".bin") else { return nil }
        var body = name.dropFirst("random-".count).dropLast(".bin".count)
        var unit = 1
        if body.last == "k" { unit = 1024 }
        if body.last == "m" { unit = 1 << 20 }
        if unit != 1 { body = body.dropLast() }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int(body) else { return nil }
        let (size, overflow) = count.multipliedReportingOverflow(by: unit)
        return overflow ? Int.max : size
    }
}
