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
    /// `get` writes pages straight from the page cache: many buffers per `writev`, more than
    /// IOV_MAX of them, some empty, in order.
    @Test func aGatheringWriteKeepsEveryBufferInOrder() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var generator = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = (0..<(OutputFile.maximumVectors + 300)).map { index in
            let count = index % 97 == 0 ? 0 : Int.random(in: 1...4096, using: &generator)
            return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        let out = try OutputFile(path: dir + "/out.bin", overwrite: false)
        try out.write([9])
        try withBuffers(pieces) { try out.write(gathering: $0) }
        try out.commit()
        #expect(FileManager.default.contents(atPath: dir + "/out.bin") == Data([9] + pieces.flatMap { $0 }))
    }

    @Test func aGatheringWriteToAClosedPipeIsAnError() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        signal(SIGPIPE, SIG_IGN)
        let path = "/proc/self/fd/\(ends[1])"
        let out = try OutputFile(path: path, overwrite: false)
        defer { close(ends[1]) }
        let error = #expect(throws: CLIError.self) { try withBuffers([[1, 2, 3]]) { try out.write(gathering: $0) } }
        #expect("\(error.map { "\($0)" } ?? "")".contains("write failed"))
    }

    /// Calls `body` with raw views of `pieces`, valid during the call.
    private func withBuffers(_ pieces: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) throws -> Void) throws {
        let storage = pieces.map { piece -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: piece.count, alignment: 1)
            buffer.copyMemory(from: UnsafeRawBufferPointer(start: piece, count: piece.count))
            return buffer
        }
        defer { storage.forEach { $0.deallocate() } }
        try body(storage.map { UnsafeRawBufferPointer($0) })
    }
}
