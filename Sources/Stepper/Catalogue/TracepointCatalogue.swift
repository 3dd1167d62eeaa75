import Foundation

/// Every function the client core, its page cache and the loopback server trace, with the
/// kernel (or Samba) source it mirrors and the Swift line that traces it.
///
/// The data lives in `client-tracepoints.json` and `server-tracepoints.json` beside this file,
/// embedded in the binary at build time; a test checks it against the sources both ways.
public struct TracepointCatalogue: Sendable {
    /// One traced function.
    public struct Entry: Codable, Equatable, Sendable {
        /// The name events carry: the 2013 posts' name where they name the function.
        public var function: String
        /// The Linux 3.8 name, when it differs from ``function`` (e.g. `cifs_calc_signature`).
        public var kernelName: String?
        /// The source file it mirrors, e.g. `fs/cifs/cifsencrypt.c` (Samba's for the server).
        public var kernelFile: String
        /// `path:line` of the Swift call that traces it.
        public var swift: String
        /// `client`, `mm` or `server`.
        public var side: String
        /// One line of explanation.
        public var summary: String
    }

    /// Every entry, client side first, each side in file order.
    public let entries: [Entry]

    /// The catalogue built into this binary.
    ///
    /// The two files are compiled in (and `scripts/tracepoint-catalogue --check` keeps them in
    /// step with the code), so one that does not decode is a build mistake, not input: it stops
    /// the program rather than leaving an empty catalogue that refuses every breakpoint.
    public static let builtIn: TracepointCatalogue = {
        func decode(_ bytes: [UInt8], _ name: String) -> [Entry] {
            do {
                return try JSONDecoder().decode([Entry].self, from: Data(bytes))
            } catch {
                preconditionFailure("the built-in tracepoint catalogue \(name) does not decode: \(error)")
            }
        }
        return TracepointCatalogue(entries: decode(PackageResources.client_tracepoints_json, "client-tracepoints.json")
                                       + decode(PackageResources.server_tracepoints_json, "server-tracepoints.json"))
    }()

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// The entry whose event name is `function`.
    public func entry(_ function: String) -> Entry? {
        entries.first { $0.function == function }
    }
}
