import FuzzDriver
import Foundation
import Stepper

// The REPL's command line, as far as it is parsed without a running session: the tokenizer
// (REPLParser.swift, compiled here from CifstepKit through a symbolic link — CifstepKit itself
// pulls in the command line, libedit and every renderer), then what the stepper parses from
// the words it produced: conditions, fault names, scenario settings. And the `--server` URL.
FuzzDriver.main([
    FuzzTarget("repl", "REPLParser.parse, then the condition, fault and settings parsers it feeds") { input in
        let line = String(decoding: input, as: UTF8.self)
        if let offset = REPLParser.conditionOffset(in: line) {
            FuzzCheck.require(offset >= 0 && offset <= line.count, "condition offset \(offset) outside the line")
        }
        switch REPLParser.parse(line) {
        case let .command(.breakpoint(_, condition?)), let .command(.evaluate(condition)):
            _ = try? StateExpression.parse(condition)
        case let .command(.reset(settings)):
            _ = try? Scenario().applying(settings)
        case let .command(.fault(fault)):
            // A parsed fault reads back as itself.
            FuzzCheck.require((try? StepperFault(parsing: fault.description)) == fault, "fault \(fault) does not read back")
        default:
            break
        }
    },
    FuzzTarget("condition", "StateExpression.parse: break … if / check / expect conditions") { input in
        let text = String(decoding: input, as: UTF8.self)
        do throws(ExpressionError) {
            _ = try StateExpression.parse(text)
        } catch {
            _ = error.description
        }
    },
    FuzzTarget("smb-url", "SMBURL(parsing:): the --server //HOST[:PORT]/SHARE/PATH argument") { input in
        let text = String(decoding: input, as: UTF8.self)
        for pathRequired in [true, false] {
            if let url = try? SMBURL(parsing: text, pathRequired: pathRequired) {
                _ = url.description
            }
        }
    },
])
