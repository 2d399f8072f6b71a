/// Paths into JSON documents, read in one pass over a document's bytes: the values under them are built, everything
/// else is stepped over without being built. A push maps thousands of stored records a second and reads a handful
/// of fields of each; building each whole document first cost more than the mapping itself.
public struct JSONPaths: Sendable {
    /// One object level of the paths: those that end here, and the members they go on through.
    struct Node: Sendable {
        var ends: [Int] = []
        var children: [(name: String, node: Int)] = []
        /// Every path ending here or below, cleared when a repeated member name starts over.
        var endsBelow: [Int] = []
    }

    public let paths: [[String]]
    let nodes: [Node]

    /// `paths`: member names from the top, one per object level.
    public init(_ paths: [[String]]) {
        var nodes = [Node()]
        for (path, keys) in paths.enumerated() {
            var current = 0
            nodes[0].endsBelow.append(path)
            for name in keys {
                if let child = nodes[current].children.first(where: { $0.name == name }) {
                    current = child.node
                } else {
                    nodes.append(Node())
                    nodes[current].children.append((name, nodes.count - 1))
                    current = nodes.count - 1
                }
                nodes[current].endsBelow.append(path)
            }
            nodes[current].ends.append(path)
        }
        self.paths = paths
        self.nodes = nodes
    }

    /// The value under each path, in the order given, null where there is none (as `JSON[keys:]` finds them); a
    /// repeated member name's last value counts, as in `JSON.parse`. Nil when only the whole document can settle
    /// them: a path ends where another goes on, or a member's name holds a dot and begins with a name a path goes
    /// on through (`"cmdb.owner"` beside the path `cmdb` → `owner`), which a reader may take for that path.
    /// What is stepped over is checked for its structure, not for its strings' escapes and encoding.
    public func values(in bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> [JSON]? {
        var values = [JSON](repeating: .null, count: paths.count)
        var parser = JSONParser(bytes: bytes)
        guard try parser.readDocument(self, into: &values) else { return nil }
        return values
    }
}

extension JSONParser {
    mutating func readDocument(_ paths: JSONPaths, into values: inout [JSON]) throws(JSONParseError) -> Bool {
        skipWhitespace()
        if index == bytes.count { throw error("empty document") }
        guard try read(paths, node: 0, into: &values) else { return false }
        skipWhitespace()
        if index != bytes.count { throw error("unexpected \(describe(bytes[index])) after the end of the document") }
        return true
    }

    /// Reads the value at the parser's position for `node` of `paths`; false when only the whole document settles it.
    private mutating func read(_ paths: JSONPaths, node number: Int, into values: inout [JSON]) throws(JSONParseError)
        -> Bool
    {
        let node = paths.nodes[number]
        if !node.ends.isEmpty {
            guard node.children.isEmpty else { return false }
            let value = try parseValue()
            for path in node.ends { values[path] = value }
            return true
        }
        guard peek() == UInt8(ascii: "{") else {
            try skipValue()  // not an object: no path goes on through it
            return true
        }
        try enterContainer()
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return true
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a quoted member name") }
            let name = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after member name \"\(name)\"") }
            index += 1
            skipWhitespace()
            if let child = node.children.first(where: { $0.name == name }) {
                for path in paths.nodes[child.node].endsBelow { values[path] = .null }
                guard try read(paths, node: child.node, into: &values) else { return false }
            } else {
                if name.utf8.contains(UInt8(ascii: ".")),
                    node.children.contains(where: { child in
                        !paths.nodes[child.node].children.isEmpty && name.hasPrefix(child.name + ".")
                    })
                {
                    return false
                }
                try skipValue()
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return true
            case nil: throw error("unexpected end of input inside an object")
            default: throw error("expected ',' or '}' after an object member")
            }
        }
    }

    /// Steps over the value at the parser's position, building nothing.
    private mutating func skipValue() throws(JSONParseError) {
        guard let opening = peek() else { throw error("unexpected end of input, expected a value") }
        switch opening {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = opening == UInt8(ascii: "{")
            let closing = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            try enterContainer()
            index += 1
            skipWhitespace()
            if peek() == closing {
                index += 1
                depth -= 1
                return
            }
            while true {
                skipWhitespace()
                if isObject {
                    guard peek() == UInt8(ascii: "\"") else { throw error("expected a quoted member name") }
                    try skipString()
                    skipWhitespace()
                    guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
                    index += 1
                    skipWhitespace()
                }
                try skipValue()
                skipWhitespace()
                switch peek() {
                case UInt8(ascii: ","): index += 1
                case closing:
                    index += 1
                    depth -= 1
                    return
                case nil: throw error("unexpected end of input inside \(isObject ? "an object" : "an array")")
                default: throw error("expected ',' or '\(Character(Unicode.Scalar(closing)))' after an element")
                }
            }
        default:
            _ = try parseValue()  // a number or a literal: nothing to allocate
        }
    }

    private mutating func skipString() throws(JSONParseError) {
        let start = index
        index += 1  // opening quote
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"): index += 2
            case 0..<0x20: throw error("control character \(describe(bytes[index])) inside a string; escape it")
            default: index += 1
            }
        }
        throw error("unterminated string", at: start)
    }
}
