/// The files of a `.memory` share, with the directories their paths imply.
///
/// Lookups try the exact path first, then a case-insensitive match (Windows clients expect
/// one), picking the first in sorted order so the answer never depends on hashing.
struct MemoryShareTree: Sendable {
    private var files: [String: [UInt8]] = [:]
    private var directories: Set<String> = [""]
    /// Every path, sorted: the case-insensitive fallback and the file indexes use this order.
    private var sortedPaths: [String] = []
    private var indexes: [String: UInt64] = [:]
    private let fileTime: UInt64

    /// - Parameter files: path (`/`- or `\`-separated, relative to the root) → contents.
    ///   Paths that normalise to nothing (or contain `..`) are skipped.
    init(files input: [String: [UInt8]], fileTime: UInt64) {
        self.fileTime = fileTime
        for key in input.keys.sorted() {
            guard let components = try? SharePath.components(of: key), !components.isEmpty,
                  let value = input[key] else { continue }
            let path = components.joined(separator: "/")
            files[path] = value
            for depth in 1..<components.count {
                directories.insert(components[0..<depth].joined(separator: "/"))
            }
        }
        sortedPaths = (Array(files.keys) + Array(directories)).sorted()
        for (index, path) in sortedPaths.enumerated() { indexes[path] = UInt64(index + 1) }
    }

    func lookup(_ components: [String]) throws(ShareError) -> ShareEntry {
        let exact = components.joined(separator: "/")
        let path: String
        if files[exact] != nil || directories.contains(exact) {
            path = exact
        } else if let match = sortedPaths.first(where: { $0.lowercased() == exact.lowercased() }) {
            path = match
        } else {
            let parent = components.dropLast().joined(separator: "/").lowercased()
            let parentExists = directories.contains { $0.lowercased() == parent }
            throw parentExists ? .nameNotFound : .pathNotFound
        }
        let isDirectory = files[path] == nil
        return ShareEntry(
            kind: isDirectory ? .directory : .file,
            components: path.isEmpty ? [] : path.split(separator: "/").map(String.init),
            size: UInt64(files[path]?.count ?? 0),
            creationTime: fileTime, lastAccessTime: fileTime, lastWriteTime: fileTime, changeTime: fileTime,
            fileIndex: indexes[path] ?? 0, linkCount: 1)
    }

    /// The names directly inside the directory `entry`, sorted.
    func childNames(of entry: ShareEntry) -> [String] {
        let prefix = entry.components.isEmpty ? "" : entry.components.joined(separator: "/") + "/"
        return sortedPaths.compactMap { path in
            guard path.hasPrefix(prefix), path.count > prefix.count else { return nil }
            let rest = path.dropFirst(prefix.count)
            return rest.contains("/") ? nil : String(rest)
        }
    }

    /// The sum of all file sizes.
    var totalBytes: UInt64 { files.values.reduce(0) { $0 + UInt64($1.count) } }

    func contents(of entry: ShareEntry) -> [UInt8] {
        files[entry.components.joined(separator: "/")] ?? []
    }
}
