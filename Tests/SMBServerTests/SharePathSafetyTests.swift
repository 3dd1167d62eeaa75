import Foundation
import Testing
@testable import SMBServer

@Suite("Share path parsing and safety")
struct SharePathSafetyTests {
    @Test func componentsDropLeadingSeparatorsAndDots() throws {
        #expect(try SharePath.components(of: "\\dir\\.\\file.txt") == ["dir", "file.txt"])
        #expect(try SharePath.components(of: "dir/sub\\x") == ["dir", "sub", "x"])
        #expect(try SharePath.components(of: "") == [])
        #expect(try SharePath.components(of: "\\") == [])
    }

    @Test func refusesEscapesAndAbsoluteNames() {
        #expect(throws: ShareError.accessDenied) { try SharePath.components(of: "\\..\\secret") }
        #expect(throws: ShareError.accessDenied) { try SharePath.components(of: "dir\\..\\..\\etc\\passwd") }
        #expect(throws: ShareError.accessDenied) { try SharePath.components(of: "/etc/passwd") }
        #expect(throws: ShareError.accessDenied) { try SharePath.components(of: "C:\\Windows") }
        #expect(throws: ShareError.nameInvalid) { try SharePath.components(of: "\\a*b") }
        #expect(throws: ShareError.nameInvalid) { try SharePath.components(of: "\\file:stream") }
        #expect(throws: ShareError.nameInvalid) { try SharePath.components(of: "\\nul\u{0}x") }
    }

    @Test func memoryShareLookupAndRead() throws {
        let share = try Share(name: "mem", source: .memory(["hello.txt": Array("Hello".utf8), "dir/a.bin": [1, 2, 3]]),
                              fileTime: 42)
        let hello = try share.lookup("\\hello.txt")
        #expect(hello.kind == .file && hello.size == 5 && hello.lastWriteTime == 42)
        #expect(try share.lookup("\\HELLO.TXT").components == ["hello.txt"])
        #expect(try share.lookup("\\").kind == .directory)
        #expect(try share.lookup("\\dir").kind == .directory)
        #expect(throws: ShareError.nameNotFound) { try share.lookup("\\dir\\missing") }
        #expect(throws: ShareError.pathNotFound) { try share.lookup("\\nodir\\missing") }
        #expect(throws: ShareError.accessDenied) { try share.lookup("\\dir\\..\\..\\x") }
        let file = try share.open(try share.lookup("dir/a.bin"))
        #expect(try file.read(offset: 1, count: 10) == [2, 3])
        #expect(try file.read(offset: 3, count: 10) == [])
        #expect(try file.read(offset: 99, count: 10) == [])
        #expect(throws: ShareError.isDirectory) { try share.open(try share.lookup("\\dir")).read(offset: 0, count: 1) }
    }

    /// A share directory with a file, a subdirectory, a symlink staying inside, symlinks
    /// (to a file and to a directory) leaving it, and a FIFO.
    private func makeTree() throws -> (root: String, outside: String) {
        let base = NSTemporaryDirectory() + "smbserver-share-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let root = base + "/share"
        let outside = base + "/outside"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data("inside".utf8).write(to: URL(fileURLWithPath: root + "/sub/in.txt"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try fm.createSymbolicLink(atPath: root + "/link-in", withDestinationPath: "sub/in.txt")
        try fm.createSymbolicLink(atPath: root + "/link-out", withDestinationPath: outside + "/secret.txt")
        try fm.createSymbolicLink(atPath: root + "/dir-out", withDestinationPath: "../outside")
        // The same links with targets that do not exist.
        try fm.createSymbolicLink(atPath: root + "/link-gone", withDestinationPath: outside + "/missing.txt")
        try fm.createSymbolicLink(atPath: root + "/dir-gone", withDestinationPath: "../missing-dir")
        try fm.createSymbolicLink(atPath: root + "/loop", withDestinationPath: "loop")
        #expect(mkfifo(root + "/fifo", 0o644) == 0)
        return (root, base)
    }

    @Test func directoryShareServesInsideAndRefusesEscapes() throws {
        let (root, base) = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let share = try Share(name: "dir", source: .directory(root), fileTime: 0)

        let inside = try share.lookup("\\sub\\in.txt")
        #expect(inside.kind == .file && inside.size == 6)
        #expect(try share.open(inside).read(offset: 0, count: 100) == Array("inside".utf8))
        // A symlink that stays inside the share is followed.
        #expect(try share.open(try share.lookup("\\link-in")).read(offset: 2, count: 2) == Array("si".utf8))
        #expect(try share.lookup("\\").kind == .directory)

        // A link out of the share answers as if it were not there (issue 13: the answer used to
        // be ACCESS_DENIED when the target existed and OBJECT_PATH_NOT_FOUND when it did not).
        for (out, gone) in [("\\link-out", "\\link-gone"), ("\\dir-out", "\\dir-gone"),
                            ("\\dir-out\\secret.txt", "\\dir-gone\\secret.txt"),
                            ("\\dir-out\\missing.txt", "\\dir-gone\\missing.txt"),
                            ("\\link-out\\x", "\\link-gone\\x"), ("\\dir-out", "\\loop")] {
            let answers = [out, gone].map { name -> ShareError? in
                do throws(ShareError) { _ = try share.lookup(name); return nil } catch { return error }
            }
            #expect(answers[0] != nil && answers[0] == answers[1], "\(out) → \(String(describing: answers[0])), \(gone) → \(String(describing: answers[1]))")
        }
        #expect(throws: ShareError.nameNotFound) { try share.lookup("\\link-out") }
        #expect(throws: ShareError.pathNotFound) { try share.lookup("\\dir-out\\secret.txt") }
        #expect(throws: ShareError.nameNotFound) { try share.lookup("\\dir-out") }
        // Listings leave such links out.
        let names = try share.list(try share.lookup("\\"), matching: "*").map(\.name)
        #expect(names == ["link-in", "sub"], "\(names)")
        #expect(throws: ShareError.accessDenied) { try share.lookup("\\..\\outside\\secret.txt") }
        #expect(throws: ShareError.accessDenied) { try share.lookup("/etc/passwd") }
        #expect(throws: ShareError.accessDenied) { try share.lookup("\\fifo") }
        #expect(throws: ShareError.nameNotFound) { try share.lookup("\\sub\\missing.txt") }
        #expect(throws: ShareError.pathNotFound) { try share.lookup("\\nosub\\missing.txt") }
    }

    @Test func directoryShareMustExist() {
        #expect(throws: SMBServerError.self) {
            try Share(name: "x", source: .directory("/nonexistent-\(getpid())"), fileTime: 0)
        }
    }
}
