/// Why a share refused a path or a read. Handlers map each case to an NT status.
enum ShareError: Error, Equatable, Sendable {
    /// The last component does not exist (STATUS_OBJECT_NAME_NOT_FOUND).
    case nameNotFound
    /// A directory on the way does not exist (STATUS_OBJECT_PATH_NOT_FOUND).
    case pathNotFound
    /// `..`, an absolute path, a symlink leaving the share, a special file, or the OS said no
    /// (STATUS_ACCESS_DENIED).
    case accessDenied
    /// A character no name may hold: NUL, wildcards, a stream separator (STATUS_OBJECT_NAME_INVALID).
    case nameInvalid
    /// Read of a directory (STATUS_FILE_IS_A_DIRECTORY).
    case isDirectory
    /// An I/O error from the file system (STATUS_UNEXPECTED_IO_ERROR).
    case io(Int32)
}
