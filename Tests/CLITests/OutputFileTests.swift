import Foundation
import Testing
@testable import CifstepKit

/// `get` and `trace` write through ``OutputFile``: the file appears under its name only once
/// complete, and a failure to put it there is reported, never dropped.
@Suite struct OutputFileTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cifstep-output-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test func aCommittedFileHasItsBytesAndNoTemporaryIsLeft() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try OutputFile(path: dir + "/out.bin", overwrite: false)
        try out.write([1, 2, 3])
        #expect(FileManager.default.fileExists(atPath: dir + "/out.bin") == false)
        try out.commit()
        #expect(FileManager.default.contents(atPath: dir + "/out.bin") == Data([1, 2, 3]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.bin"])
    }

    @Test func aFileThatCannotBeMovedIntoPlaceIsAnErrorAndLeavesNothingBehind() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try OutputFile(path: dir + "/out.bin", overwrite: false)
        try out.write([1, 2, 3])
        // While the transfer ran, the name became a directory with something in it.
        try FileManager.default.createDirectory(atPath: dir + "/out.bin/inside", withIntermediateDirectories: true)
        let error = #expect(throws: CLIError.self) { try out.commit() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("cannot move the file into place"))
        // The hidden temporary file is gone too: only the directory that was in the way remains.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.bin"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out.bin") == ["inside"])
    }
}
