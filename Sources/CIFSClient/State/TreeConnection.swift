import KernelRuntime

/// A tree connection's state. Mirrors the kernel's `tcon->tidStatus`.
public enum TreeStatus: String, Sendable, Equatable, CustomStringConvertible {
    case new, good, exiting
    public var description: String { rawValue }
}

/// A connected share. Mirrors the kernel's `struct cifs_tcon`.
///
/// Mutable fields are read and written under the runtime lock.
public final class TreeConnection: @unchecked Sendable {
    public let session: Session
    /// `\\host\share` (the kernel's `treeName`).
    public let treeName: String
    /// The tree id the server assigned (the kernel's `tid`).
    public internal(set) var tid: UInt16 = 0
    /// The tree's state (the kernel's `tidStatus`).
    public internal(set) var tidStatus: TreeStatus = .new
    /// The connection was lost; the tree must be connected again (the kernel's `need_reconnect`).
    public internal(set) var needReconnect = false
    /// The share is in DFS (OptionalSupport bit); requests then carry FLAGS2_DFS.
    public internal(set) var isInDFS = false
    /// The service type the server reported (`A:` for a disk share).
    public internal(set) var service: String?
    /// The native file system the server reported.
    public internal(set) var nativeFileSystem: String?
    /// Open files (the kernel's `openFileList`).
    public internal(set) var openFiles: [OpenFile] = []
    /// READ_ANDX requests sent (the kernel's `num_reads`).
    public internal(set) var numReads = 0
    /// Bytes read (the kernel's `bytes_read`).
    public internal(set) var bytesRead: UInt64 = 0
    /// Every ``ReadData`` allocated for this tree's files while tracing, oldest first (what a
    /// stepper shows as `rdata[K]`). A stepping aid — 3.8 keeps no such list — so nothing is kept
    /// with tracing off, where a long read would grow it without bound. Runtime lock.
    public internal(set) var tracedReads: [ReadData] = []

    init(session: Session, treeName: String) {
        self.session = session
        self.treeName = treeName
    }
}

/// An open file. Mirrors the kernel's `struct cifsFileInfo`.
///
/// Mutable fields are read and written under the runtime lock.
public final class OpenFile: @unchecked Sendable, CustomStringConvertible {
    public let tree: TreeConnection
    /// The path inside the share, with backslashes and a leading `\`.
    public let path: String
    /// The server's file id (the kernel's `fid.netfid`).
    public internal(set) var fid: UInt16
    /// The handle died with the connection; reopen before the next request (the kernel's
    /// `invalidHandle`).
    public internal(set) var invalidHandle = false
    /// End of file, from NT_CREATE_ANDX and TRANS2 QUERY_FILE_INFORMATION.
    public internal(set) var size: UInt64
    /// Allocation size the server reported.
    public internal(set) var allocationSize: UInt64 = 0
    /// The file was closed.
    public internal(set) var closed = false
    /// Times the handle was reopened after a reconnect.
    public internal(set) var reopenCount = 0
    /// Serialises reopening (the kernel's `fh_mutex`).
    let fhMutex = KernelMutex("fh_mutex")
    /// The page cache of the last page-cache read of this file (the model of the inode's
    /// `i_mapping`), once ``CIFSMount/readThroughPageCache(_:chunkSize:into:progress:)`` started
    /// one. Runtime lock; read the cache itself through its index-based functions
    /// (``PageCache/pageFlags(at:)``, ``PageCache/cachedPageIndices``).
    public internal(set) var mapping: PageCache?
    /// The readahead state of that read (the kernel's `file->f_ra`). Runtime lock for the
    /// reference; its fields change only on the reading thread, so read them between steps.
    public internal(set) var readahead: FileReadaheadState?

    init(tree: TreeConnection, path: String, fid: UInt16, size: UInt64) {
        self.tree = tree
        self.path = path
        self.fid = fid
        self.size = size
    }

    public var description: String { "\(path) fid \(fid)" }
}
