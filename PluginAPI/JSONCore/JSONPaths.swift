/// Paths into JSON documents, read in one pass over a document's bytes: the values under them are built, everything
/// else is stepped over without being built. A push maps thousands of stored records a second and reads a handful
/// of fields of each; building each whole document first cost more than the mapping itself.
public struct JSONPaths: Sendable {
    /// One object level of the paths: those that end here, and the members they go on through.
    struct Node: Sendable {
        var ends: [Int] = []
        var children: [(name: String, node: Int)] = []
        /// The children's names as UTF-8, compared with a member's name as it is written.
        var childNames: [[UInt8]] = []
        /// The names a path goes on through, past the child: a member named one of them and a dot may be read as
        /// part of that path.
        var throughNames: [[UInt8]] = []
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
                    nodes[current].childNames.append(Array(name.utf8))
                    current = nodes.count - 1
                }
                nodes[current].endsBelow.append(path)
            }
            nodes[current].ends.append(path)
        }
        for number in nodes.indices {
            nodes[number].throughNames = nodes[number].children.filter { !nodes[$0.node].children.isEmpty }.map {
                Array($0.name.utf8)
            }
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
        if !paths.nodes[number].ends.isEmpty {
            guard paths.nodes[number].children.isEmpty else { return false }
            let value = try parseValue()
            for path in paths.nodes[number].ends { values[path] = value }
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
            let member = try memberName(among: paths.nodes[number])
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
            index += 1
            skipWhitespace()
            switch member {
            case .child(let child):
                for path in paths.nodes[child].endsBelow { values[path] = .null }
                guard try read(paths, node: child, into: &values) else { return false }
            case .other: try skipValue()
            case .unsettled: return false
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

    private enum MemberName {
        /// The name of the child node given.
        case child(Int)
        case other
        /// A name with a dot that begins with a name a path goes on through: only the whole document settles it.
        case unsettled
    }

    /// Reads the member name at the parser's position, and which of `node`'s children it names. A name written
    /// plainly in ASCII is compared as it is written; one with escapes or other characters is decoded and compared
    /// as strings are (canonically equivalent names are equal, as in the parsed document's dictionary).
    private mutating func memberName(among node: JSONPaths.Node) throws(JSONParseError) -> MemberName {
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
            bytes[end] >= 0x20, bytes[end] < 0x80
        {
            end += 1
        }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else {
            let name = try parseString()
            if let position = node.children.firstIndex(where: { $0.name == name }) {
                return .child(node.children[position].node)
            }
            let unsettled = node.throughNames.contains { name.hasPrefix(String(decoding: $0, as: UTF8.self) + ".") }
            return unsettled ? .unsettled : .other
        }
        index = end + 1
        let name = UnsafeBufferPointer(rebasing: bytes[start..<end])
        for (position, childName) in node.childNames.enumerated() where name.elementsEqual(childName) {
            return .child(node.children[position].node)
        }
        let unsettled = node.throughNames.contains { through in
            name.count > through.count && name[through.count] == UInt8(ascii: ".") && name.starts(with: through)
        }
        return unsettled ? .unsettled : .other
    }
}
