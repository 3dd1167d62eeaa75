import Foundation
import LessonFormat
import Testing
@testable import CifstepKit

/// The lessons in Lessons/ as `cifstep lesson` runs and checks them.
@Suite struct LessonCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let directory = repository.appendingPathComponent("Lessons")

    static func lessonFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.range(of: #"^\d\d-.*\.md$"#, options: .regularExpression) != nil }
            .sorted().map { directory.appendingPathComponent($0) }
    }

    @Test func theBuiltInLessonsAreTheFilesInLessons() throws {
        let files = try Self.lessonFiles()
        #expect(files.count >= 11)
        #expect(EmbeddedLesson.all.map(\.file) == files.map { "Lessons/" + $0.lastPathComponent },
                "scripts/embed-lessons rewrites the built-in copy")
        for (embedded, file) in zip(EmbeddedLesson.all, files) {
            var text = try String(contentsOf: file, encoding: .utf8)
            if text.hasSuffix("\n") { text.removeLast() }
            #expect(embedded.text == text, "\(file.lastPathComponent) changed: run scripts/embed-lessons")
        }
    }

    /// Every lesson passes (lesson 11 needs the Samba lab: scripts/test provides it; without it
    /// the lesson is skipped, and under CI=true that fails).
    @Test func everyLessonPasses() throws {
        let files = try Self.lessonFiles().map(\.path)
        let r = try CLIRunner.run(["lesson", "check"] + files)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("\(files.count) lessons: "))
        #expect(!r.stdout.contains("FAIL"))
    }

    @Test func aWrongCheckpointFailsAtItsLine() throws {
        let original = Self.directory.appendingPathComponent("03-mac-key-and-signing.md")
        var lines = try String(contentsOf: original, encoding: .utf8).components(separatedBy: "\n")
        // The first `expect … == N` checkpoint with a number, made wrong by one.
        let index = try #require(lines.firstIndex { $0.hasPrefix("expect ") && $0.range(of: #"== \d+$"#, options: .regularExpression) != nil })
        let parts = lines[index].components(separatedBy: " == ")
        let wrong = (Int(parts[1]) ?? 0) + 1
        lines[index] = parts[0] + " == \(wrong)"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cifstep-lesson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("03-mac-key-and-signing.md")
        try lines.joined(separator: "\n").write(to: copy, atomically: true, encoding: .utf8)

        let r = try CLIRunner.run(["lesson", "check", copy.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("\(copy.path):\(index + 1): checkpoint does not hold: \(lines[index])"), "\(r.stdout)")
        #expect(r.stdout.contains("1 lessons: 0 passed, 1 failed"))
    }

    @Test func malformedLessonsAndBadCommandsAreReportedAtTheirLines() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cifstep-lesson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let malformed = dir.appendingPathComponent("a.md")
        try "# A\n\n```cifstep\nexpect\n```\n".write(to: malformed, atomically: true, encoding: .utf8)
        let badCommand = dir.appendingPathComponent("b.md")
        try "# B\n\n```cifstep\nstep\nfrobnicate now\nstep\n```\n".write(to: badCommand, atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["lesson", "check", malformed.path, badCommand.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("\(malformed.path):4: expect needs a condition"), "\(r.stdout)")
        #expect(r.stdout.contains("\(badCommand.path):5: the command 'frobnicate now' failed"), "\(r.stdout)")
    }

    @Test func aLessonRunWritesItsRunInTheFormatItsExtensionNames() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cifstep-lesson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = dir.appendingPathComponent("lesson4.html")
        let r = try CLIRunner.run(["lesson", "run", "4", "-o", html.path])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") || page.hasPrefix("<!doctype html>"))
        #expect(page.contains("id=\"event-1\""))
        let refused = try CLIRunner.run(["lesson", "run", "4", "-o", dir.appendingPathComponent("x.txt").path])
        #expect(refused.status == 2)
    }

    @Test func aLessonRunsHeadlessAsATranscript() throws {
        let r = try CLIRunner.run(["lesson", "run", "4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("# 4. "))
        #expect(r.stdout.contains("cifstep> inject bad-signature"))
        #expect(r.stdout.contains("cifs_verify_signature exit: SMB signature verification"))
        #expect(r.stdout.contains("server.signatureFailures 0 → 1"))
        #expect(r.stdout.contains("✓ expect"))
        #expect(!r.stdout.contains("✗"))
    }
}
