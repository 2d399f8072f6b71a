/// Paths into JSON documents, read in one pass over a document's bytes: the values under them are built, everything
/// else is stepped over without being built. A push maps thousands of stored records a second and reads a handful
/// of fields of each; building each whole document first cost more than the mapping itself.
public final class JSONPaths: Sendable {
    public let paths: [[String]]
    /// The tree of the paths' member names, one object level after another, in `Int`s only, so that reading a
    /// document touches no reference count: see `Levels`.
    let levels: [Int]
    /// The members' names in UTF-8, one after another.
    let names: [UInt8]
    /// The members' names as strings, by their ordinal: compared with a name written with escapes or beyond ASCII.
    let nameStrings: [String]

    /// `paths`: member names from the top, one per object level.
    public init(_ paths: [[String]]) {
        final class Node {
            var ends: [Int] = []
            var below: [Int] = []
            var children: [(name: String, node: Node)] = []
        }
        let root = Node()
        for (path, keys) in paths.enumerated() {
            var current = root
            root.below.append(path)
            for name in keys {
                if let child = current.children.first(where: { $0.name == name }) {
                    current = child.node
                } else {
                    let child = Node()
                    current.children.append((name, child))
                    current = child
                }
                current.below.append(path)
            }
            current.ends.append(path)
        }
        var levels: [Int] = []
        var names: [UInt8] = []
        var nameStrings: [String] = []
        // A level: its ends (count, then paths), the paths at or below it (count, then paths), then its children
        // (count, then for each: where its name starts and its length, its level, whether a path goes on past it,
        // its name's ordinal, whether the name is ASCII).
        func emit(_ node: Node) -> Int {
            let start = levels.count
            levels += [node.ends.count] + node.ends + [node.below.count] + node.below + [node.children.count]
            let first = levels.count
            for (name, child) in node.children {
                levels += [
                    names.count, name.utf8.count, 0, child.children.isEmpty ? 0 : 1, nameStrings.count,
                    name.utf8.allSatisfy { $0 < 0x80 } ? 1 : 0,
                ]
                names += name.utf8
                nameStrings.append(name)
            }
            for (position, (_, child)) in node.children.enumerated() {
                let level = emit(child)
                levels[first + position * Levels.childSize + 2] = level
            }
            return start
        }
        _ = emit(root)
        self.paths = paths
        self.levels = levels
        self.names = names
        self.nameStrings = nameStrings
    }

    /// The value under each path, in the order given, null where there is none (as `JSON[keys:]` finds them); a
    /// repeated member name's last value counts, as in `JSON.parse`. Nil when only the whole document can settle
    /// them: a path ends where another goes on, or a member's name holds a dot and begins with a name a path goes
    /// on through (`"cmdb.owner"` beside the path `cmdb` → `owner`), which a reader may take for that path.
    /// What is stepped over is checked as `JSON.parse` checks it.
    public func values(in bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> [JSON]? {
        guard let ranges = try ranges(in: bytes) else { return nil }
        var values = [JSON](repeating: .null, count: paths.count)
        for (index, range) in ranges.enumerated() {
            guard let range else { continue }
            var parser = JSONParser(bytes: UnsafeBufferPointer(rebasing: bytes[range]))
            values[index] = try parser.parseValue()
        }
        return values
    }

    /// Where the value under each path is written in `bytes`, in the order given; nil for a path with none. Nil
    /// altogether when only the whole document can settle them, as for `values(in:)`. What lies in a range was
    /// checked as `JSON.parse` checks it.
    public func ranges(in bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> [Range<Int>?]? {
        var ranges = [Range<Int>?](repeating: nil, count: paths.count)
        var parser = JSONParser(bytes: bytes)
        let complete = try levels.withUnsafeBufferPointer { (levels) throws(JSONParseError) in
            try names.withUnsafeBufferPointer { (names) throws(JSONParseError) in
                try parser.readDocument(Levels(levels: levels, names: names, strings: nameStrings), into: &ranges)
            }
        }
        return complete ? ranges : nil
    }
}

/// The flattened tree of `JSONPaths`, read in place.
struct Levels {
    static let childSize = 6
    let levels: UnsafeBufferPointer<Int>
    let names: UnsafeBufferPointer<UInt8>
    let strings: [String]

    struct Child {
        let name: UnsafeBufferPointer<UInt8>
        let level: Int
        let goesOn: Bool
        let ordinal: Int
        let isASCII: Bool
    }

    /// The paths that end at the level starting at `level`.
    func ends(_ level: Int) -> UnsafeBufferPointer<Int> {
        UnsafeBufferPointer(rebasing: levels[level + 1..<level + 1 + levels[level]])
    }

    /// The paths that end at the level or below it.
    func below(_ level: Int) -> UnsafeBufferPointer<Int> {
        let start = level + 1 + levels[level]
        return UnsafeBufferPointer(rebasing: levels[start + 1..<start + 1 + levels[start]])
    }

    /// Where the level's children are described, and how many there are.
    func children(_ level: Int) -> (first: Int, count: Int) {
        let below = level + 1 + levels[level]
        let count = below + 1 + levels[below]
        return (count + 1, levels[count])
    }

    func child(_ first: Int, _ position: Int) -> Child {
        let at = first + position * Self.childSize
        return Child(
            name: UnsafeBufferPointer(rebasing: names[levels[at]..<levels[at] + levels[at + 1]]),
            level: levels[at + 2], goesOn: levels[at + 3] != 0, ordinal: levels[at + 4], isASCII: levels[at + 5] != 0)
    }
}

extension JSONParser {
    mutating func readDocument(_ paths: Levels, into ranges: inout [Range<Int>?]) throws(JSONParseError) -> Bool {
        skipWhitespace()
        if index == bytes.count { throw error("empty document") }
        guard try read(paths, level: 0, into: &ranges) else { return false }
        skipWhitespace()
        if index != bytes.count { throw error("unexpected \(describe(bytes[index])) after the end of the document") }
        return true
    }

    /// Reads the value at the parser's position for `level` of `paths`; false when only the whole document settles
    /// it.
    private mutating func read(_ paths: Levels, level: Int, into ranges: inout [Range<Int>?]) throws(JSONParseError)
        -> Bool
    {
        let ends = paths.ends(level)
        let children = paths.children(level)
        if !ends.isEmpty {
            guard children.count == 0 else { return false }
            let start = index
            try skipValue()
            for path in ends { ranges[path] = start..<index }
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
            let name = index
            let member = try memberName(among: children, of: paths)
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw missingColon(afterNameAt: name) }
            index += 1
            skipWhitespace()
            switch member {
            case .child(let child):
                for path in paths.below(child) { ranges[path] = nil }
                guard try read(paths, level: child, into: &ranges) else { return false }
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
        /// The name of the child level given.
        case child(Int)
        case other
        /// A name with a dot that begins with a name a path goes on through: only the whole document settles it.
        case unsettled
    }

    /// Reads the member name at the parser's position, and which of `children` it names. A name written plainly in
    /// ASCII is compared as it is written with names that are ASCII too; any other is compared as strings are, as
    /// the parsed document's dictionary compares them (canonically equivalent names are equal: `K` and the Kelvin
    /// sign). Where a path goes on through one of `children`, such a name with a dot in it is left unsettled.
    private mutating func memberName(among children: (first: Int, count: Int), of paths: Levels)
        throws(JSONParseError) -> MemberName
    {
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
            bytes[end] >= 0x20, bytes[end] < 0x80
        {
            end += 1
        }
        let isPlain = end < bytes.count && bytes[end] == UInt8(ascii: "\"")
        var allASCII = true
        for position in 0..<children.count where !paths.child(children.first, position).isASCII { allASCII = false }
        guard isPlain, allASCII else {
            let name: String
            if isPlain {
                name = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                index = end + 1
            } else {
                name = try parseString()
            }
            var goesOn = false
            for position in 0..<children.count {
                let child = paths.child(children.first, position)
                if name == paths.strings[child.ordinal] { return .child(child.level) }
                goesOn = goesOn || child.goesOn
            }
            return goesOn && name.utf8.contains(UInt8(ascii: ".")) ? .unsettled : .other
        }
        index = end + 1
        let name = UnsafeBufferPointer(rebasing: bytes[start..<end])
        var unsettled = false
        for position in 0..<children.count {
            let child = paths.child(children.first, position)
            if name.count == child.name.count, name.elementsEqual(child.name) { return .child(child.level) }
            unsettled =
                unsettled
                || (child.goesOn && name.count > child.name.count && name[child.name.count] == UInt8(ascii: ".")
                    && name.starts(with: child.name))
        }
        return unsettled ? .unsettled : .other
    }
}
