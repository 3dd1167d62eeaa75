import Foundation

/// Where `get` writes: stdout, or a file that appears under its name only once complete.
///
/// Data goes to a hidden temporary file beside the target; ``commit()`` renames it into
/// place and ``discard()`` removes it, so a failed transfer never leaves a partial file that
/// looks complete, and an existing file is replaced only when the caller allowed it.
final class OutputFile: @unchecked Sendable {
    private let target: String?
    private let temporary: String?
    private let handle: FileHandle
    private var finished = false

    /// - Parameters:
    ///   - path: nil or `-` for stdout; a character device or FIFO is written directly.
    ///   - overwrite: whether an existing file may be replaced.
    init(path: String?, overwrite: Bool) throws {
        guard let path, path != "-" else {
            target = nil
            temporary = nil
            handle = FileHandle.standardOutput
            return
        }
        let fm = FileManager.default
        // A device or FIFO (/dev/null, a named pipe) is a stream: write to it directly; there
        // is nothing to replace and renaming over it would destroy it.
        if OutputFile.isStream(path) {
            guard let h = FileHandle(forWritingAtPath: path) else { throw CLIError.failure("cannot write \(path)") }
            target = nil
            temporary = nil
            handle = h
            return
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { throw CLIError.failure("\(path) is a directory") }
            if !overwrite { throw CLIError.usage("\(path) exists (use --force to overwrite)") }
        }
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).cifstep-\(getpid())").path
        guard fm.createFile(atPath: tmp, contents: nil, attributes: [.posixPermissions: 0o600]),
              let h = FileHandle(forWritingAtPath: tmp) else {
            throw CLIError.failure("cannot write \(path)")
        }
        target = path
        temporary = tmp
        handle = h
    }

    /// Whether `path` is a character device or a FIFO (`/dev/null`, a named pipe), which is
    /// written directly rather than through a temporary file.
    static func isStream(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFCHR || (info.st_mode & S_IFMT) == S_IFIFO
    }

    func write(_ bytes: [UInt8]) throws {
        do { try handle.write(contentsOf: bytes) } catch {
            throw CLIError.failure("write failed: \(error.localizedDescription)")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        do { try handle.write(contentsOf: bytes) } catch {
            throw CLIError.failure("write failed: \(error.localizedDescription)")
        }
    }

    /// Writes `buffers` in order with as few `writev` calls as the descriptor allows (the pages
    /// of a read, straight from the page cache).
    func write(gathering buffers: [UnsafeRawBufferPointer]) throws {
        let fd = handle.fileDescriptor
        var vectors = buffers.compactMap { buffer in
            buffer.baseAddress.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0), iov_len: buffer.count) }
        }
        var first = 0
        while first < vectors.count {
            let count = min(vectors.count - first, OutputFile.maximumVectors)
            let written = vectors.withUnsafeMutableBufferPointer { all in
                writev(fd, all.baseAddress.map { $0 + first }, Int32(count))
            }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw CLIError.failure("write failed: \(String(cString: strerror(code)))")
            }
            // Skip what was written; a partial write leaves the rest of a vector for the next call.
            var left = written
            while left > 0, first < vectors.count {
                if left >= vectors[first].iov_len {
                    left -= vectors[first].iov_len
                    first += 1
                } else {
                    vectors[first].iov_base = vectors[first].iov_base.map { $0 + left }
                    vectors[first].iov_len -= left
                    left = 0
                }
            }
        }
    }

    /// Vectors per `writev` (Linux's `IOV_MAX`).
    static let maximumVectors = 1024

    func commit() throws {
        guard !finished else { return }
        finished = true
        guard let target, let temporary else { return }
        do { try handle.close() } catch {
            // Closing reports writes the kernel had not finished: such a file is not complete.
            unlink(temporary)
            throw CLIError.failure("cannot finish writing \(target): \(error.localizedDescription)")
        }
        // Best effort: the bytes are complete either way, and some file systems have no modes.
        try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: temporary)
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError.failure("cannot move the file into place at \(target): \(reason)")
        }
    }

    func discard() {
        guard !finished else { return }
        finished = true
        guard let temporary else { return }
        // Nothing of the file is kept, so a failed close has nothing left to spoil.
        try? handle.close()
        unlink(temporary)
    }

    deinit { discard() }
}
