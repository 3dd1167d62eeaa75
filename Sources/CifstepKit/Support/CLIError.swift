/// A failure the command line reports as one line on stderr with a chosen exit code.
public struct CLIError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public var exitCode: Int32

    /// Exit code 2: the user's input (flags, hex, URL) was wrong.
    public static func usage(_ message: String) -> CLIError { CLIError(message: message, exitCode: 2) }
    /// Exit code 1: the operation failed (refused login, bad signature, missing file).
    public static func failure(_ message: String) -> CLIError { CLIError(message: message, exitCode: 1) }

    public var description: String { message }
}

/// Parses a hex flag, naming the flag in the error.
func parseHex(_ text: String, flag: String, count: Int? = nil) throws -> [UInt8] {
    guard let bytes = Hex.decode(text) else {
        throw CLIError.usage("\(flag): not a hex byte string: \(text)")
    }
    if let count, bytes.count != count {
        throw CLIError.usage("\(flag): expected \(count) bytes, got \(bytes.count)")
    }
    return bytes
}

import SMBWire
