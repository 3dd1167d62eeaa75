/// `//HOST[:PORT]/SHARE/PATH`: a file on an SMB server, as `cifstep get` and the stepper's
/// `--server` take it (a `smb:` prefix is accepted too).
public struct SMBURL: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    public var share: String
    /// Path inside the share, components joined with `\` as SMB1 wants, without a leading one.
    public var path: String

    /// SMB over TCP without NetBIOS.
    public static let defaultPort: UInt16 = 445

    public init(host: String, port: UInt16 = SMBURL.defaultPort, share: String, path: String) {
        self.host = host
        self.port = port
        self.share = share
        self.path = path
    }

    /// Parses the URL.
    /// - Parameter pathRequired: `false` accepts `//HOST[:PORT]/SHARE` alone (the path is then empty).
    /// - Throws: ``SMBURLError`` saying what is wrong.
    public init(parsing text: String, pathRequired: Bool = true) throws(SMBURLError) {
        let expected = pathRequired ? "//HOST[:PORT]/SHARE/PATH" : "//HOST[:PORT]/SHARE[/PATH]"
        func refuse(_ why: String) -> SMBURLError { SMBURLError(message: "bad URL '\(text)': \(why)") }
        var rest = Substring(text)
        if rest.hasPrefix("smb:") { rest = rest.dropFirst(4) }
        guard rest.hasPrefix("//") else { throw refuse("expected \(expected)") }
        rest = rest.dropFirst(2)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= (pathRequired ? 3 : 2) else { throw refuse("expected \(expected)") }
        var hostPart = parts[0]
        var port = SMBURL.defaultPort
        func number(_ s: Substring) throws(SMBURLError) -> UInt16 {
            guard let p = UInt16(s), p > 0 else { throw refuse("bad port '\(s)'") }
            return p
        }
        if hostPart.hasPrefix("[") {            // [::1]:445
            guard let close = hostPart.firstIndex(of: "]") else { throw refuse("unterminated [") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { port = try number(after.dropFirst()) }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            port = try number(hostPart[hostPart.index(after: colon)...])
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { throw refuse("no host") }
        let components = parts.dropFirst(2).map(String.init)
        if components.contains("..") || components.contains(".") {
            throw refuse("'.' and '..' are not allowed in the path")
        }
        self.init(host: String(hostPart), port: port, share: String(parts[1]),
                  path: components.joined(separator: "\\"))
    }

    /// The last path component, the default output file name.
    public var fileName: String { path.split(separator: "\\").last.map(String.init) ?? path }

    /// `HOST:PORT` (`[HOST]:PORT` for an IPv6 address).
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `//HOST:PORT/SHARE/PATH`, with `/` between path components.
    public var description: String {
        "//\(endpoint)/\(share)" + (path.isEmpty ? "" : "/" + path.split(separator: "\\", omittingEmptySubsequences: false).joined(separator: "/"))
    }
}

extension SMBURL: Codable {
    /// As its text (``description``); the path may be empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try SMBURL(parsing: text, pathRequired: false)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a text is not an ``SMBURL``.
public struct SMBURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Says what is wrong and what was expected.
    public var message: String
    public var description: String { message }
}
