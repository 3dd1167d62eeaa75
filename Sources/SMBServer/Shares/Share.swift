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

    /// Descriptors held open for this share's files now (one per file, however often open).
    var openDescriptorCount: Int {
        switch storage {
        case .memory: return 0
        case let .directory(root): return root.descriptors.count
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
        /// A descriptor shared by every open of the same file (see ``DescriptorTable``).
        case descriptor(SharedDescriptor)
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
        case let .descriptor(shared):
            guard !isClosed else { throw .io(EBADF) }
            guard offset <= UInt64(Int64.max) else { return [] }
            let fd = shared.fd
            let count = try readableCount(offset: offset, count: count)
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

    /// Reads up to `count` bytes at `offset` into `frame` from index `start` on, and returns how
    /// many were read. `frame` is resized to `start` plus what the file holds from `offset`
    /// (its size now, not the count asked), keeping its capacity, then cut to what was read:
    /// a large count on a small file costs nothing.
    func read(offset: UInt64, count: Int, into frame: inout [UInt8], at start: Int) throws(ShareError) -> Int {
        let wanted = try readableCount(offset: offset, count: count)
        let total = start + wanted
        if frame.count < total {
            frame.append(contentsOf: repeatElement(0, count: total - frame.count))
        } else if frame.count > total {
            frame.removeLast(frame.count - total)
        }
        guard wanted > 0 else { return 0 }
        switch content {
        case .directory:
            throw .isDirectory
        case let .memory(bytes):
            let from = Int(offset)
            frame.withUnsafeMutableBytes { raw in
                bytes.withUnsafeBytes { source in
                    guard let target = raw.baseAddress, let origin = source.baseAddress else { return }
                    (target + start).copyMemory(from: origin + from, byteCount: wanted)
                }
            }
            return wanted
        case let .descriptor(shared):
            guard !isClosed else { throw .io(EBADF) }
            var filled = 0
            while filled < wanted {
                let n = frame.withUnsafeMutableBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return pread(shared.fd, base + start + filled, wanted - filled, off_t(offset) &+ off_t(filled))
                }
                if n > 0 { filled += n; continue }
                if n == 0 { break }
                let code = errno
                if code == EINTR { continue }
                throw .io(code)
            }
            frame.removeLast(wanted - filled)
            return filled
        }
    }

    /// How many of `count` bytes at `offset` the file holds now (0 at or past its end).
    private func readableCount(offset: UInt64, count: Int) throws(ShareError) -> Int {
        guard count > 0 else { return 0 }
        let size: UInt64
        switch content {
        case .directory:
            throw .isDirectory
        case let .memory(bytes):
            size = UInt64(bytes.count)
        case let .descriptor(shared):
            guard !isClosed else { throw .io(EBADF) }
            var info = stat()
            guard fstat(shared.fd, &info) == 0 else { throw .io(errno) }
            size = UInt64(max(0, info.st_size))
        }
        guard offset < size else { return 0 }
        return Int(min(UInt64(count), size - offset))
    }

    /// Releases the descriptor of a directory-share file. Repeatable.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        // Dropping the shared descriptor closes it once no other open holds it.
        content = .memory([])
    }
}
