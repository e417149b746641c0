import Foundation

/// The part of TOML 1.0 a filter config needs: `[table]` headers (dotted names allowed), `key =
/// value` lines with bare or quoted keys, basic and literal strings, integers (with `_`), floats,
/// booleans, arrays (nested, across lines) and comments. The result is JSON-shaped (dictionaries,
/// arrays, strings, NSNumber-compatible numbers, Bool) for JSONSerialization. Written by hand: the
/// Swift TOML packages on the package mirror do not resolve (docs/design-notes.md).
enum TOML {
    struct ParseError: Error {
        let line: Int
        let message: String
    }

    static func parse(_ text: String) throws -> [String: Any] {
        var p = Parser(chars: Array(text.unicodeScalars))
        return try p.document()
    }

    struct Parser {
        let chars: [Unicode.Scalar]
        var i = 0
        var line = 1

        init(chars: [Unicode.Scalar]) { self.chars = chars }

        func fail(_ m: String) -> ParseError { ParseError(line: line, message: m) }
        var atEnd: Bool { i >= chars.count }
        var peek: Unicode.Scalar? { i < chars.count ? chars[i] : nil }

        mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { i += 1 } }

        /// Spaces, newlines and comments (inside arrays).
        mutating func skipBlank() {
            while let c = peek {
                if c == " " || c == "\t" || c == "\r" { i += 1 } else if c == "\n" { i += 1; line += 1 } else if c == "#" {
                    while let d = peek, d != "\n" { i += 1 }
                } else { break }
            }
        }

        mutating func endOfLine() throws {
            skipSpaces()
            if peek == "#" { while let d = peek, d != "\n" { i += 1 } }
            if peek == "\r" { i += 1 }
            if let c = peek {
                guard c == "\n" else { throw fail("unexpected \"\(c)\" after a value") }
                i += 1
                line += 1
            }
        }

        mutating func document() throws -> [String: Any] {
            var root: [String: Any] = [:]
            var current: [String] = []
            while true {
                skipBlank()
                guard let c = peek else { break }
                if c == "[" {
                    i += 1
                    if peek == "[" { throw fail("arrays of tables are not supported in filter configs") }
                    current = try keyPath(until: "]")
                    i += 1
                    if try lookup(root, current) != nil { throw fail("table [\(current.joined(separator: "."))] defined twice") }
                    root = try insert(root, current, [String: Any]())
                    try endOfLine()
                } else {
                    let k = try keyPath(until: "=")
                    i += 1
                    skipSpaces()
                    let v = try value()
                    let full = current + k
                    if try lookup(root, full) != nil { throw fail("key \(full.joined(separator: ".")) defined twice") }
                    root = try insert(root, full, v)
                    try endOfLine()
                }
            }
            return root
        }

        mutating func keyPath(until end: Unicode.Scalar) throws -> [String] {
            var parts: [String] = []
            while true {
                skipSpaces()
                guard let c = peek else { throw fail("unexpected end of file in a key") }
                if c == "\"" || c == "'" {
                    parts.append(try string())
                } else {
                    var s = ""
                    while let d = peek, d.properties.isAlphabetic || ("0"..."9").contains(d) || d == "_" || d == "-" {
                        s.unicodeScalars.append(d); i += 1
                    }
                    guard !s.isEmpty else { throw fail("expected a key, found \"\(c)\"") }
                    parts.append(s)
                }
                skipSpaces()
                if peek == "." { i += 1; continue }
                guard peek == end else { throw fail("expected \"\(end)\" after the key \(parts.joined(separator: "."))") }
                return parts
            }
        }

        mutating func string() throws -> String {
            let q = chars[i]
            i += 1
            var s = String.UnicodeScalarView()
            while true {
                guard let c = peek, c != "\n" else { throw fail("unterminated string") }
                i += 1
                if c == q { return String(s) }
                if c == "\\" && q == "\"" {
                    guard let e = peek else { throw fail("unterminated string") }
                    i += 1
                    switch e {
                    case "n": s.append("\n")
                    case "t": s.append("\t")
                    case "r": s.append("\r")
                    case "\"": s.append("\"")
                    case "\\": s.append("\\")
                    case "u", "U":
                        let n = e == "u" ? 4 : 8
                        guard i + n <= chars.count, let v = UInt32(String(String.UnicodeScalarView(chars[i..<(i + n)])), radix: 16),
                              let u = Unicode.Scalar(v) else { throw fail("bad \\\(e) escape") }
                        s.append(u)
                        i += n
                    default: throw fail("unknown escape \\\(e)")
                    }
                } else {
                    s.append(c)
                }
            }
        }

        mutating func value() throws -> Any {
            guard let c = peek else { throw fail("expected a value") }
            if c == "\"" || c == "'" { return try string() }
            if c == "[" {
                i += 1
                var arr: [Any] = []
                while true {
                    skipBlank()
                    if peek == "]" { i += 1; return arr }
                    arr.append(try value())
                    skipBlank()
                    if peek == "," { i += 1; continue }
                    skipBlank()
                    guard peek == "]" else { throw fail("expected \",\" or \"]\" in an array") }
                }
            }
            var s = ""
            while let d = peek, !(d == " " || d == "\t" || d == "\n" || d == "\r" || d == "," || d == "]" || d == "#") {
                s.unicodeScalars.append(d); i += 1
            }
            if s == "true" { return true }
            if s == "false" { return false }
            let digits = s.replacingOccurrences(of: "_", with: "")
            if let n = Int(digits) { return n }
            if digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let d = Double(digits) { return d }
            throw fail("cannot read the value \"\(s)\"")
        }

        func lookup(_ root: [String: Any], _ path: [String]) throws -> Any? {
            var cur: Any = root
            for p in path {
                guard let t = cur as? [String: Any] else { throw fail("\(p) is inside a value that is not a table") }
                guard let next = t[p] else { return nil }
                cur = next
            }
            return cur
        }

        func insert(_ root: [String: Any], _ path: [String], _ v: Any) throws -> [String: Any] {
            var t = root
            if path.count == 1 { t[path[0]] = v; return t }
            let sub = t[path[0]] ?? [String: Any]()
            guard let subTable = sub as? [String: Any] else { throw fail("\(path[0]) is not a table") }
            t[path[0]] = try insert(subTable, Array(path.dropFirst()), v)
            return t
        }
    }
}
