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

    /// Swift joins a separator and a following combining mark (or joiner) into one Character;
    /// the file system still sees the separator byte, so the split must too.
    @Test func aSeparatorFollowedByACombiningMarkStillSeparates() throws {
        #expect(try SharePath.components(of: "dir/\u{301}x") == ["dir", "\u{301}x"])
        #expect(try SharePath.components(of: "dir\\\u{200D}x") == ["dir", "\u{200D}x"])
        #expect(throws: ShareError.accessDenied) { try SharePath.components(of: "..\u{2F}\u{301}secret") }
        #expect(throws: ShareError.accessDenied) { try SharePath.components(of: "dir\\..\\\u{301}x") }
        #expect(throws: ShareError.accessDenied) { try SharePath.components(of: "/\u{301}etc") }
        #expect(throws: ShareError.nameInvalid) { try SharePath.components(of: "a*\u{301}") }
        for name in ["a/\u{301}b\\\u{300}c", "\\\u{20DD}/\u{FE0F}x", ".\u{301}/..\u{301}"] {
            for component in try SharePath.components(of: name) {
                #expect(!component.utf8.contains(UInt8(ascii: "/")) && !component.utf8.contains(UInt8(ascii: "\\")),
                        "\(Array(component.unicodeScalars))")
            }
        }
    }

    /// A link to a sibling of the share whose name is the root's in another Unicode
    /// normalisation (`café` precomposed, `cafe` + U+0301): String comparison calls the two
    /// equal, the file system does not — the link leaves the share and must be refused.
    @Test func aSiblingNamedLikeTheRootInAnotherNormalisationIsOutside() throws {
        let base = NSTemporaryDirectory() + "smbserver-nfc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let root = base + "/caf\u{E9}", twin = base + "/cafe\u{301}"
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(mkdir(base, 0o755) == 0 && mkdir(root, 0o755) == 0 && mkdir(twin, 0o755) == 0)
        let fd = open(twin + "/secret.txt", O_WRONLY | O_CREAT, 0o644)
        #expect(fd >= 0 && write(fd, "secret", 6) == 6 && close(fd) == 0)
        #expect(symlink("../cafe\u{301}/secret.txt", root + "/twin") == 0)
        #expect(access(root + "/twin", R_OK) == 0)  // the link itself works: the file is there
        let share = try Share(name: "nfc", source: .directory(root), fileTime: 0)
        #expect(throws: ShareError.nameNotFound) { try share.lookup("\\twin") }
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
