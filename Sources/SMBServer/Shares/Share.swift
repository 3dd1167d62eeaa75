#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One served share: looks paths up and reads files. Read-only by design.
///
/// A share is immutable after creation (memory shares) or reads the file system on each call
/// (directory shares), so it is shared by every connection without locking.
final class Share: @unchecked Sendable {
    /// The name clients connect to (as configured; matched case-insensitively).
    let name: String
    private let storage: Storage

    private enum Storage {
        case memory(MemoryShareTree)
        case directory(DirectoryShareRoot)
    }

    init(name: String, source: ShareSource, fileTime: UInt64) throws {
        self.name = name
        switch source {
        case let .memory(files):
            storage = .memory(MemoryShareTree(files: files, fileTime: fileTime))
        case let .directory(path):
            storage = .directory(try DirectoryShareRoot(path: path))
        }
    }

    /// The entry `name` (as a client sent it) refers to.
    func lookup(_ name: String) throws(ShareError) -> ShareEntry {
        let components = try SharePath.components(of: name)
        switch storage {
        case let .memory(tree): return try tree.lookup(components)
        case let .directory(root): return try root.lookup(components)
        }
    }

    /// The entries of directory `entry` whose names match `pattern` (DOS wildcards), sorted by
    /// name. Entries that cannot be served (symlinks leaving the share, special files) are left
    /// out rather than failing the listing.
    func list(_ entry: ShareEntry, matching pattern: String) throws(ShareError) -> [ShareEntry] {
        guard entry.isDirectory else { throw .pathNotFound }
        let names: [String]
        switch storage {
        case let .memory(tree): names = tree.childNames(of: entry)
        case let .directory(root): names = try root.childNames(of: entry)
        }
        return names.filter { WildcardPattern.matches($0, pattern) }.compactMap { name in
            let components = entry.components + [name]
            switch storage {
            case let .memory(tree): return try? tree.lookup(components)
            case let .directory(root): return try? root.lookup(components)
            }
        }
    }

    /// Sizes for QUERY_FS_INFORMATION: a memory share is exactly as big as its files (and full);
    /// a directory share reports its file system (`statvfs`).
    func capacity() -> ShareCapacity {
        switch storage {
        case let .memory(tree):
            return ShareCapacity(totalUnits: max(1, (tree.totalBytes + 4095) / 4096), freeUnits: 0)
        case let .directory(root):
            return root.capacity()
        }
    }

    /// Opens `entry` for reading. Directories open too (clients open the share root), but
    /// cannot be read.
    func open(_ entry: ShareEntry) throws(ShareError) -> ShareFile {
        if entry.isDirectory { return ShareFile(entry: entry, content: .directory) }
        switch storage {
        case let .memory(tree):
            return ShareFile(entry: entry, content: .memory(tree.contents(of: entry)))
        case let .directory(root):
            return try root.open(entry)
        }
    }
}

/// An opened file: its entry and where its bytes come from.
final class ShareFile: @unchecked Sendable {
    enum Content {
        case memory([UInt8])
        case descriptor(Int32)
        case directory
    }

    let entry: ShareEntry
    private var content: Content
    private var isClosed = false

    init(entry: ShareEntry, content: Content) {
        self.entry = entry
        self.content = content
    }

    deinit { close() }

    /// Up to `count` bytes at `offset`; fewer at the end of the file, none past it.
    func read(offset: UInt64, count: Int) throws(ShareError) -> [UInt8] {
        guard count > 0 else { return [] }
        switch content {
        case .directory:
            throw .isDirectory
        case let .memory(bytes):
            guard offset < UInt64(bytes.count) else { return [] }
            let start = Int(offset)
            let end = start + min(count, bytes.count - start)
            return Array(bytes[start..<end])
        case let .descriptor(fd):
            guard !isClosed else { throw .io(EBADF) }
            guard offset <= UInt64(Int64.max) else { return [] }
            var result = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let n = result.withUnsafeMutableBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return pread(fd, base + filled, count - filled, off_t(offset) &+ off_t(filled))
                }
                if n > 0 { filled += n; continue }
                if n == 0 { break }
                let code = errno
                if code == EINTR { continue }
                throw .io(code)
            }
            result.removeSubrange(filled...)
            return result
        }
    }

    /// Releases the descriptor of a directory-share file. Repeatable.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        if case let .descriptor(fd) = content {
            closeDescriptor(fd)
        }
        content = .memory([])
    }
}
