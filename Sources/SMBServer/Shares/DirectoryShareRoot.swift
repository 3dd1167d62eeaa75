import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `.directory` share: a local directory served read-only, never anything outside it.
///
/// Every lookup resolves the candidate path with `realpath` (following every symlink) and
/// refuses a result that is not the root or below it, so a symlink inside the share that
/// points outside is not served: it answers as a missing name, whether its target exists or
/// not (see `refusal`). Only regular files and directories are served (a FIFO or
/// device could block or misbehave). Files are opened with `O_NOFOLLOW` on the resolved path
/// and checked to be the inode that was looked up.
struct DirectoryShareRoot: Sendable {
    /// The root as `realpath` resolved it.
    let root: String
    /// The descriptors of the files open now, one per file however often it is open.
    let descriptors = DescriptorTable()

    init(path: String) throws {
        guard let resolved = DirectoryShareRoot.realPath(path) else {
            throw SMBServerError.shareDirectoryUnavailable(path: path, errno: errno)
        }
        var info = stat()
        guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SMBServerError.shareDirectoryUnavailable(path: path, errno: ENOTDIR)
        }
        root = resolved
    }

    func lookup(_ components: [String]) throws(ShareError) -> ShareEntry {
        let resolved = try resolve(components)
        var info = stat()
        guard stat(resolved, &info) == 0 else { throw DirectoryShareRoot.mapErrno(errno) }
        return try entry(components: components, info: info)
    }

    func open(_ entry: ShareEntry) throws(ShareError) -> ShareFile {
        let resolved = try resolve(entry.components)
        let fd = openReadOnly(resolved)
        guard fd >= 0 else { throw DirectoryShareRoot.mapErrno(errno) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
              UInt64(info.st_ino) == entry.fileIndex else {
            closeDescriptor(fd)
            throw .accessDenied
        }
        let key = DescriptorTable.Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        return ShareFile(entry: entry, content: .descriptor(descriptors.share(fd, as: key)))
    }

    /// The names directly inside the directory `entry`, sorted (`.` and `..` excluded).
    func childNames(of entry: ShareEntry) throws(ShareError) -> [String] {
        let resolved = try resolve(entry.components)
        guard let directory = opendir(resolved) else { throw DirectoryShareRoot.mapErrno(errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The file system's size in 4 KiB units (free space reported as none: the share is read-only).
    func capacity() -> ShareCapacity {
        var info = statvfs()
        guard statvfs(root, &info) == 0 else { return ShareCapacity(totalUnits: 1, freeUnits: 0) }
        let bytes = UInt64(info.f_blocks) &* UInt64(info.f_frsize)
        return ShareCapacity(totalUnits: max(1, bytes / 4096), freeUnits: 0)
    }

    /// The real path of `components` under the root, or why not.
    private func resolve(_ components: [String]) throws(ShareError) -> String {
        let candidate = components.isEmpty ? root : root + "/" + components.joined(separator: "/")
        if let resolved = DirectoryShareRoot.realPath(candidate), isInside(resolved) { return resolved }
        throw refusal(components)
    }

    /// Why `components` does not name something inside the share, decided at the first
    /// component that does not resolve inside it. A symlink there — leading out of the share,
    /// nowhere, or round in a loop — answers as if it did not exist (a missing name if it is
    /// the last component, a missing path otherwise): the answer is the same whether what it
    /// points at outside exists or not, and matches listings, which leave such links out.
    private func refusal(_ components: [String]) -> ShareError {
        var parent = root
        for (index, name) in components.enumerated() {
            let isLast = index == components.count - 1
            let path = parent + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else {
                let code = errno
                if code == ENOENT || code == ENOTDIR { return isLast ? .nameNotFound : .pathNotFound }
                return DirectoryShareRoot.mapErrno(code)
            }
            guard let real = DirectoryShareRoot.realPath(path), isInside(real) else {
                if (info.st_mode & S_IFMT) == S_IFLNK { return isLast ? .nameNotFound : .pathNotFound }
                return DirectoryShareRoot.mapErrno(errno)
            }
            parent = real
        }
        // Every component resolved inside: the whole name did too (it changed meanwhile).
        return .nameNotFound
    }

    /// Whether a resolved path is the root or below it.
    /// Compares bytes, as the file system does: String's `==` and `hasPrefix` treat canonically
    /// equivalent names as equal (`café` precomposed and `cafe` + U+0301), which on Linux are
    /// different directories — a sibling of the root could pass for it.
    private func isInside(_ resolved: String) -> Bool {
        if resolved.utf8.elementsEqual(root.utf8) { return true }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return resolved.utf8.starts(with: prefix.utf8)
    }

    private func entry(components: [String], info: stat) throws(ShareError) -> ShareEntry {
        let kind: ShareEntry.Kind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        default: throw .accessDenied
        }
        let modified = FileTimeConversion.fileTime(seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
        let accessed = FileTimeConversion.fileTime(seconds: Int(info.st_atim.tv_sec), nanoseconds: Int(info.st_atim.tv_nsec))
        let changed = FileTimeConversion.fileTime(seconds: Int(info.st_ctim.tv_sec), nanoseconds: Int(info.st_ctim.tv_nsec))
        // Linux keeps no creation time in struct stat; smbd reports the oldest time it has.
        return ShareEntry(
            kind: kind, components: components, size: kind == .file ? UInt64(max(0, info.st_size)) : 0,
            creationTime: min(modified, accessed, changed), lastAccessTime: accessed,
            lastWriteTime: modified, changeTime: changed, fileIndex: UInt64(info.st_ino),
            linkCount: UInt32(truncatingIfNeeded: info.st_nlink))
    }

    static func mapErrno(_ code: Int32) -> ShareError {
        switch code {
        case ENOENT: return .nameNotFound
        case ENOTDIR: return .pathNotFound
        case EACCES, EPERM, ELOOP: return .accessDenied
        case ENAMETOOLONG: return .nameInvalid
        default: return .io(code)
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

/// Closes a descriptor, ignoring the result (there is nothing useful to do on failure).
func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}

/// `open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)`: never follows a symlink swapped
/// in after the check, never blocks on a FIFO.
func openReadOnly(_ path: String) -> Int32 {
    #if canImport(Glibc)
    return Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
    #else
    return Darwin.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
    #endif
}

/// One open descriptor of a share file, shared by every open of that file (reads use `pread`,
/// which keeps no file position, so sharing is safe across threads). Closed when the last
/// open holding it lets go.
final class SharedDescriptor: @unchecked Sendable {
    let fd: Int32
    private let key: DescriptorTable.Key
    private weak var table: DescriptorTable?

    fileprivate init(fd: Int32, key: DescriptorTable.Key, table: DescriptorTable) {
        self.fd = fd
        self.key = key
        self.table = table
    }

    deinit {
        closeDescriptor(fd)
        table?.forget(key)
    }
}

/// The descriptors of a directory share's open files by device and inode: opening a file that
/// is already open reuses its descriptor, so a client opening one file thousands of times
/// holds one descriptor, not thousands.
final class DescriptorTable: @unchecked Sendable {
    struct Key: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
    }

    private let lock = NSLock()
    private var open: [Key: Weak] = [:]

    private struct Weak {
        weak var descriptor: SharedDescriptor?
    }

    /// The descriptor to use for the file `key` names: the one already open (then `fd`, just
    /// opened to check the file, is closed) or `fd` itself.
    func share(_ fd: Int32, as key: Key) -> SharedDescriptor {
        let (descriptor, duplicate) = lock.withLock { () -> (SharedDescriptor, Bool) in
            if let existing = open[key]?.descriptor { return (existing, true) }
            let fresh = SharedDescriptor(fd: fd, key: key, table: self)
            open[key] = Weak(descriptor: fresh)
            return (fresh, false)
        }
        if duplicate { closeDescriptor(fd) }
        return descriptor
    }

    /// Drops the entry for `key` unless a newer descriptor took its place.
    fileprivate func forget(_ key: Key) {
        lock.withLock {
            if open[key] != nil && open[key]?.descriptor == nil { open.removeValue(forKey: key) }
        }
    }

    /// Descriptors open now (for tests).
    var count: Int { lock.withLock { open.values.filter { $0.descriptor != nil }.count } }
}
