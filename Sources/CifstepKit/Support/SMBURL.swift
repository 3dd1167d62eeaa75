/// `//HOST[:PORT]/SHARE/PATH`, as `cifstep get` takes it (a `smb:` prefix is accepted too).
struct SMBURL: Equatable {
    var host: String
    var port: UInt16
    var share: String
    /// Path inside the share, components joined with `\` as SMB1 wants, without a leading one.
    var path: String

    static let defaultPort: UInt16 = 445

    init(host: String, port: UInt16 = SMBURL.defaultPort, share: String, path: String) {
        self.host = host
        self.port = port
        self.share = share
        self.path = path
    }

    /// Parses the URL, throwing a usage error that says what is wrong.
    init(parsing text: String) throws {
        var rest = Substring(text)
        if rest.hasPrefix("smb:") { rest = rest.dropFirst(4) }
        guard rest.hasPrefix("//") else {
            throw CLIError.usage("bad URL '\(text)': expected //HOST[:PORT]/SHARE/PATH")
        }
        rest = rest.dropFirst(2)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 3 else {
            throw CLIError.usage("bad URL '\(text)': expected //HOST[:PORT]/SHARE/PATH")
        }
        var hostPart = parts[0]
        var port = SMBURL.defaultPort
        if hostPart.hasPrefix("[") {            // [::1]:445
            guard let close = hostPart.firstIndex(of: "]") else {
                throw CLIError.usage("bad URL '\(text)': unterminated [")
            }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { port = try SMBURL.port(after.dropFirst(), in: text) }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            port = try SMBURL.port(hostPart[hostPart.index(after: colon)...], in: text)
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { throw CLIError.usage("bad URL '\(text)': no host") }
        let components = parts[2...].map(String.init)
        if components.contains("..") || components.contains(".") {
            throw CLIError.usage("bad URL '\(text)': '.' and '..' are not allowed in the path")
        }
        self.init(host: String(hostPart), port: port, share: String(parts[1]),
                  path: components.joined(separator: "\\"))
    }

    private static func port(_ s: Substring, in text: String) throws -> UInt16 {
        guard let p = UInt16(s), p > 0 else { throw CLIError.usage("bad URL '\(text)': bad port '\(s)'") }
        return p
    }

    /// The last path component, the default output file name.
    var fileName: String { path.split(separator: "\\").last.map(String.init) ?? path }
}
