/// Why the server could not be set up or started. (Trouble on one connection never surfaces
/// as an error: that connection is answered with an NT status or closed.)
public enum SMBServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `.directory` share's path does not exist or is not a directory.
    case shareDirectoryUnavailable(path: String, errno: Int32)
    /// A share name is empty, too long, or holds `\`, `/` or NUL.
    case invalidShareName(String)
    /// Two shares (or a share and `IPC$`) have the same name, ignoring case.
    case duplicateShareName(String)
    /// Two users have the same name, ignoring case.
    case duplicateUserName(String)

    public var description: String {
        switch self {
        case let .shareDirectoryUnavailable(path, code):
            return "share directory \(path) is not usable (errno \(code))"
        case let .invalidShareName(name):
            return "invalid share name \"\(name)\""
        case let .duplicateShareName(name):
            return "share \"\(name)\" is configured twice"
        case let .duplicateUserName(name):
            return "user \"\(name)\" is configured twice"
        }
    }
}
