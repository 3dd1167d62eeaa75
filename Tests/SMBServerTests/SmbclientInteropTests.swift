import Foundation
import Testing
@testable import SMBServer

/// Real smbclient 4.17 reading from this server over TCP.
@Suite("smbclient 4.17 against the server", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/smbclient")))
struct SmbclientInteropTests {
    static let base = ["-m", "NT1", "--option=client min protocol=NT1"]
    static let oldStyle = ["--option=client use spnego=no"]
    static let ntlmv1 = ["--option=client ntlmv2 auth=no"]
    static let signingRequired = ["--option=client signing=required"]

    /// `smbclient //127.0.0.1/share -p PORT -U user%password -m NT1 … -c 'get …'` into a temp dir.
    private func get(_ fixture: TCPServerFixture, files: [String], options: [String],
                     user: String = "alice%Wonderland-42", share: String = "share")
        throws -> (result: ProcessResult, files: [String: [UInt8]]) {
        let dir = try makeTemporaryDirectory("smbclient")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let command = files.map { "get \($0) \(dir)/\(($0 as NSString).lastPathComponent)" }.joined(separator: "; ")
        let arguments = ["//127.0.0.1/\(share)", "-p", "\(fixture.port)", "-U", user] + Self.base + options + ["-c", command]
        let result = try runProcess("/usr/bin/smbclient", arguments)
        var fetched: [String: [UInt8]] = [:]
        for file in files {
            let path = dir + "/" + (file as NSString).lastPathComponent
            if let data = FileManager.default.contents(atPath: path) { fetched[file] = Array(data) }
        }
        return (result, fetched)
    }

    private func expectGetWorks(signing: SigningPolicy, options: [String], mode: AuthMode,
                                wrapping: ServerLogEvent.Wrapping, signed: Bool) throws {
        let log = EventLog()
        let fixture = try TCPServerFixture(TestData.configuration(signing: signing, log: log.sink))
        let (result, files) = try get(fixture, files: ["hello.txt", "dir/random-1m.bin"], options: options)
        try fixture.shutdown()
        #expect(result.status == 0, "\(result.output)")
        #expect(files["hello.txt"] == TestData.hello)
        #expect(files["dir/random-1m.bin"] == TestData.big)
        let logins = log.authentications.filter {
            if case let .authentication(_, _, _, _, _, status, _) = $0 { return status.isSuccess }
            return false
        }
        #expect(logins.count == 1)
        if case let .authentication(_, user, _, loggedMode, loggedWrapping, _, loggedSigning)? = logins.first {
            #expect(user == "alice")
            #expect(loggedMode == mode)
            #expect(loggedWrapping == wrapping)
            #expect(loggedSigning == signed)
        }
        #expect(!log.events.contains { if case .badSignature = $0 { return true } else { return false } })
    }

    @Test func oldStyleNTLMv1SignedRequired() throws {
        try expectGetWorks(signing: .required, options: Self.oldStyle + Self.ntlmv1 + Self.signingRequired,
                           mode: .ntlm, wrapping: .none, signed: true)
    }

    @Test func oldStyleNTLMv2SignedRequired() throws {
        try expectGetWorks(signing: .required, options: Self.oldStyle + Self.signingRequired,
                           mode: .ntlmv2, wrapping: .none, signed: true)
    }

    @Test func oldStyleNTLMv1Unsigned() throws {
        try expectGetWorks(signing: .auto, options: Self.oldStyle + Self.ntlmv1, mode: .ntlm, wrapping: .none, signed: false)
    }

    @Test func ntlmsspDefaultSignedRequired() throws {
        try expectGetWorks(signing: .required, options: Self.signingRequired, mode: .ntlmsspV2, wrapping: .spnego,
                           signed: true)
    }

    @Test func ntlmsspDefaultUnderRequiredServer() throws {
        // smbclient's defaults against a server that requires signing: it signs.
        try expectGetWorks(signing: .required, options: [], mode: .ntlmsspV2, wrapping: .spnego, signed: true)
    }

    @Test func ntlmsspDefaultUnsigned() throws {
        try expectGetWorks(signing: .auto, options: [], mode: .ntlmsspV2, wrapping: .spnego, signed: false)
    }

    @Test func wrongPasswordFailsWithLogonFailure() throws {
        let fixture = try TCPServerFixture(TestData.configuration(signing: .required))
        let (result, files) = try get(fixture, files: ["hello.txt"], options: [], user: "alice%not-the-password")
        let (oldResult, _) = try get(fixture, files: ["hello.txt"], options: Self.oldStyle + Self.signingRequired,
                                     user: "alice%not-the-password")
        try fixture.shutdown()
        #expect(result.status != 0)
        #expect(result.output.contains("NT_STATUS_LOGON_FAILURE"), "\(result.output)")
        #expect(files.isEmpty)
        #expect(oldResult.status != 0)
        #expect(oldResult.output.contains("NT_STATUS_LOGON_FAILURE"), "\(oldResult.output)")
    }

    @Test func shareEscapeIsRefused() throws {
        let base = try makeTemporaryDirectory("escape")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/share", withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: URL(fileURLWithPath: base + "/secret.txt"))
        try Data("public".utf8).write(to: URL(fileURLWithPath: base + "/share/public.txt"))
        try FileManager.default.createSymbolicLink(atPath: base + "/share/leak.txt", withDestinationPath: base + "/secret.txt")
        // Issue 13: a link out of the share whose target does not exist must answer the same.
        try FileManager.default.createSymbolicLink(atPath: base + "/share/gone.txt", withDestinationPath: base + "/missing.txt")
        var configuration = TestData.configuration()
        configuration.shares = ["share": .directory(base + "/share")]
        let fixture = try TCPServerFixture(configuration)
        let (ok, okFiles) = try get(fixture, files: ["public.txt"], options: [])
        let (leak, leakFiles) = try get(fixture, files: ["leak.txt"], options: [])
        let (gone, _) = try get(fixture, files: ["gone.txt"], options: [])
        let (dots, dotFiles) = try get(fixture, files: ["..\\secret.txt"], options: [])
        try fixture.shutdown()
        #expect(ok.status == 0, "\(ok.output)")
        #expect(okFiles["public.txt"] == Array("public".utf8))
        #expect(leak.status != 0)
        #expect(leak.output.contains("NT_STATUS_OBJECT_NAME_NOT_FOUND"), "\(leak.output)")
        #expect(leak.output.replacingOccurrences(of: "leak.txt", with: "X")
                    == gone.output.replacingOccurrences(of: "gone.txt", with: "X"), "\(leak.output) / \(gone.output)")
        #expect(leakFiles.isEmpty)
        #expect(dots.status != 0)
        #expect(dotFiles.isEmpty)
    }

    /// `smbclient -c 'ls; ls dir/*'`: FIND_FIRST2 (and FIND_NEXT2 when asked) listings.
    @Test func listsDirectories() throws {
        let base = try makeTemporaryDirectory("ls")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/share/sub", withIntermediateDirectories: true)
        for i in 0..<300 {
            try Data("file \(i)".utf8).write(to: URL(fileURLWithPath: base + "/share/sub/f\(i).txt"))
        }
        try Data("secret".utf8).write(to: URL(fileURLWithPath: base + "/secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: base + "/share/leak.txt", withDestinationPath: base + "/secret.txt")
        // Issue 13: a link out of the share whose target does not exist must answer the same.
        try FileManager.default.createSymbolicLink(atPath: base + "/share/gone.txt", withDestinationPath: base + "/missing.txt")
        var configuration = TestData.configuration(signing: .required)
        configuration.shares = ["share": TestData.memoryShare, "disk": .directory(base + "/share")]
        let fixture = try TCPServerFixture(configuration)
        let memory = try runProcess("/usr/bin/smbclient", ["//127.0.0.1/share", "-p", "\(fixture.port)", "-U",
                                                           "alice%Wonderland-42"] + Self.base + ["-c", "ls; ls dir\\*"])
        let disk = try runProcess("/usr/bin/smbclient", ["//127.0.0.1/disk", "-p", "\(fixture.port)", "-U",
                                                         "alice%Wonderland-42"] + Self.base + Self.oldStyle
                                                         + ["-c", "ls; ls sub\\*"])
        try fixture.shutdown()
        #expect(memory.status == 0, "\(memory.output)")
        let lines = memory.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains { $0.hasPrefix("hello.txt") && $0.contains(" 33 ") })
        #expect(lines.contains { $0.hasPrefix("dir") && $0.contains(" D ") })
        #expect(lines.contains { $0.hasPrefix("random-1m.bin") && $0.contains(" 1048576 ") })
        #expect(disk.status == 0, "\(disk.output)")
        let names = disk.stdout.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("f") ? String(trimmed.prefix { $0 != " " }) : nil
        }
        #expect(Set(names) == Set((0..<300).map { "f\($0).txt" }))
        #expect(disk.stdout.split(separator: "\n").contains { $0.contains("sub") && $0.contains(" D ") })
        // The symlink that leaves the share is not listed.
        #expect(!disk.stdout.contains("leak.txt"))
    }
}
