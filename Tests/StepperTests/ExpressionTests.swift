import Testing
@testable import Stepper

@Suite struct ExpressionTests {
    private let paths = StatePaths.clientCore

    private func parse(_ text: String) throws -> StateExpression {
        try StateExpression.parse(text, paths: paths)
    }

    private func error(_ text: String, checked: Bool = true) -> ExpressionError? {
        do {
            _ = try StateExpression.parse(text, paths: checked ? paths : nil)
            return nil
        } catch {
            return error
        }
    }

    @Test func comparisonsParseWithTheirParts() throws {
        #expect(try parse("server.sequenceNumber >= 4") == .comparison(
            StateComparison(path: "server.sequenceNumber", op: .greaterOrEqual, literal: .integer(4))))
        #expect(try parse("page[3].flags has locked") == .comparison(
            StateComparison(path: "page[3].flags", op: .has, literal: .word("locked"))))
        #expect(try parse("mid[12].state==responseReceived") == .comparison(
            StateComparison(path: "mid[12].state", op: .equal, literal: .word("responseReceived"))))
        #expect(try parse("ra.prev_pos != -1") == .comparison(
            StateComparison(path: "ra.prev_pos", op: .notEqual, literal: .integer(-1))))
        #expect(try parse("server.sessionKey == 0x00ff") == .comparison(
            StateComparison(path: "server.sessionKey", op: .equal, literal: .hex("00ff"))))
        #expect(try parse(#"file.path == "\\hello.txt""#) == .comparison(
            StateComparison(path: "file.path", op: .equal, literal: .string(#"\hello.txt"#))))
        let compound = try parse("not (ra.start == 1 or ra.size >= 0x10) and page[2].flags has uptodate")
        guard case let .and(.not(.or(.comparison(a), .comparison(b))), .comparison(c)) = compound else {
            Issue.record("wrong tree: \(compound)")
            return
        }
        #expect(a.path == "ra.start" && b.literal == .hex("10") && c.op == .has)
        #expect(compound.paths == ["ra.start", "ra.size", "page[2].flags"])
        // and binds tighter than or.
        guard case .or(_, .and) = try parse("ra.start == 1 or ra.size == 2 and ra.async_size == 3") else {
            Issue.record("and must bind tighter than or")
            return
        }
    }

    @Test func evaluationComparesTypedValues() throws {
        let state: [String: StateValue] = [
            "ra.start": .integer(16), "ra.size": .integer(30), "page[2].flags": .flags(["locked", "uptodate"]),
            "server.tcpStatus": .text("good"), "server.sessionKey": .bytes([0x00, 0xff]),
            "server.sessionEstablished": .bool(true),
        ]
        func holds(_ text: String) throws -> Bool { try parse(text).evaluate { state[$0] } }
        #expect(try holds("ra.start == 0x10"))
        #expect(try holds("ra.size > 16 and ra.size <= 30"))
        #expect(try !holds("ra.size < 30"))
        #expect(try holds("page[2].flags has uptodate"))
        #expect(try !holds("page[2].flags has readahead"))
        #expect(try holds(#"page[2].flags == "uptodate|locked""#))
        #expect(try !holds("page[2].flags == locked"))
        #expect(try holds("server.tcpStatus == good"))
        #expect(try holds("server.tcpStatus != exiting"))
        #expect(try holds("server.sessionKey == 0x00FF"))
        #expect(try holds(#"server.sessionKey == "00ff""#))
        #expect(try holds("server.sessionEstablished == true"))
        // A path with nothing there now: every comparison is false, its negation true.
        #expect(try !holds("page[9].flags has locked"))
        #expect(try !holds("page[9].locked != true"))
        #expect(try holds("not page[9].locked == true"))
    }

    @Test func syntaxErrorsGiveTheColumnAndWhatWasExpected() {
        let cases: [(String, Int, String)] = [
            ("server.sequenceNumber >", 24, "a value after '>' (a number, true/false, a name or a \"string\")"),
            ("server.sequenceNumber = 3", 23, "'==' (comparison)"),
            ("server.sequenceNumber 3", 23, "an operator (==, !=, <, >, <=, >=, has)"),
            ("(ra.start == 1", 15, "')' or 'and' / 'or'"),
            ("ra.start == 1 ra.size == 2", 15, "'and', 'or' or the end of the condition"),
            ("== 3", 1, "a state path (e.g. server.sequenceNumber)"),
            ("", 1, "a state path (e.g. server.sequenceNumber)"),
            ("ra.start == 0x", 15, "hex digits after 0x"),
            ("ra.start == 12ab", 15, "a digit or a space"),
            (#"file.path == "open"#, 19, "a closing '\"' for the string at column 14"),
            ("page[3.flags has locked", 7, "']'"),
            ("page[].flags has locked", 6, "an index (decimal digits)"),
            ("ra..start == 1", 4, "a field name"),
            ("ra.start == 1 and", 18, "a state path (e.g. server.sequenceNumber)"),
            ("ra.start @ 1", 10, "a path, an operator, a value or a parenthesis"),
        ]
        for (text, column, expected) in cases {
            let e = error(text, checked: false)
            #expect(e?.column == column, "\(text)")
            #expect(e?.expected == expected, "\(text)")
        }
        #expect(error("server.sequenceNumber >")?.description
                == "column 24: expected a value after '>' (a number, true/false, a name or a \"string\"), found end of input")
    }

    @Test func checkingAgainstThePathsCatchesMeaningErrors() throws {
        let unknown = error("server.seqNumber == 3")
        #expect(unknown?.column == 1)
        #expect(unknown?.message == "unknown state path 'server.seqNumber'")
        #expect(unknown?.expected.contains("server.sequenceNumber") == true)

        let badName = error("server.tcpStatus == goood")
        #expect(badName?.column == 21)
        #expect(badName?.expected == "one of new, good, exiting, needReconnect, needNegotiate")

        let badFlag = error("page[3].flags has lockd")
        #expect(badFlag?.column == 19)
        #expect(badFlag?.expected == "a flag name: locked, error, uptodate, readahead")

        let ordering = error("server.tcpStatus < good")
        #expect(ordering?.column == 18)
        #expect(ordering?.expected == "== or !=")

        let hasOnNumber = error("ra.start has locked")
        #expect(hasOnNumber?.column == 10)

        let text = error("ra.start == good")
        #expect(text?.column == 13)
        #expect(text?.expected == "a number (decimal or 0x…)")

        let bytes = error("server.sessionKey == 0x123")
        #expect(bytes?.expected.hasPrefix("bytes as hex") == true)

        #expect(error("mid[7].state == submitted") == nil)
        #expect(error("page[12].locked == true and mapping.nrpages > 3") == nil)
    }
}

@Suite struct EvaluateCommandTests {
    @Test func evaluateReportsTheTruthAndTheValuesRead() throws {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        _ = try session.must(.goto(event: 7))
        let result = try session.must(.evaluate(condition: "counter.value == 3 and not counter.flag == true"))
        #expect(result.report == .condition(holds: true, values: [
            StateEntryOrAbsent(path: "counter.value", value: .integer(3)),
            StateEntryOrAbsent(path: "counter.flag", value: .bool(false)),
        ]))
        #expect(try session.must(.evaluate(condition: "counter.value > 3")).report
                == .condition(holds: false, values: [StateEntryOrAbsent(path: "counter.value", value: .integer(3))]))
        guard case let .failure(.badCondition(error)) = session.execute(.evaluate(condition: "counter.value >")) else {
            Issue.record("expected a parse error")
            return
        }
        #expect(error.column == 16)
    }
}
