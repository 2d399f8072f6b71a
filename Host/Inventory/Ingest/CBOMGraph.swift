import JSONCore

/// A CycloneDX component, named in notices and rejections by where it sits in the document.
struct CBOMComponent {
    let reference: String
    let json: JSON
    /// `components[4] (bom-ref proto-tls)`, `components[2].components[0] (bom-ref …)` for a nested one.
    let label: String
    let isMetadata: Bool

    var name: String? { json["name"]?.stringValue }
    var type: String { json["type"]?.stringValue ?? "component" }
    var assetType: String? { json[path: "cryptoProperties.assetType"]?.stringValue }
    var isCrypto: Bool { type == "cryptographic-asset" }

    /// The values of the first-named property the component has, in document order.
    func properties(_ names: String...) -> [String] {
        for name in names {
            let values = (json["properties"]?.arrayValue ?? []).filter { $0["name"]?.stringValue?.lowercased() == name }
                .compactMap { $0["value"]?.stringValue }
            if !values.isEmpty { return values }
        }
        return []
    }

    func property(_ names: String...) -> String? {
        for name in names { if let value = properties(name).first { return value } }
        return nil
    }
}

/// The components by `bom-ref` (nested ones included) and the dependency graph between them.
struct CBOMGraph {
    var components: [String: CBOMComponent] = [:]
    var order: [CBOMComponent] = []
    var edges: [String: [String]] = [:]

    /// Reads the components and dependencies; a reference to a component that does not exist is a notice.
    init(_ document: JSON, path: String, notices: inout [String]) throws(IngestError) {
        if let metadata = document[path: "metadata.component"] {
            register(metadata, at: "metadata.component", isMetadata: true, notices: &notices)
        }
        for (index, json) in try Self.array(document, "components", path).enumerated() {
            register(json, at: "components[\(index)]", isMetadata: false, notices: &notices)
        }
        for (index, dependency) in try Self.array(document, "dependencies", path).enumerated() {
            guard let reference = dependency["ref"]?.stringValue else {
                notices.append("dependencies[\(index)]: has no \"ref\"; ignored")
                continue
            }
            guard components[reference] != nil else {
                notices.append(
                    "dependencies[\(index)]: \"\(reference)\" is no component's bom-ref; its dependencies are ignored")
                continue
            }
            for target in dependency["dependsOn"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                if components[target] == nil {
                    notices.append(
                        "dependencies[\(index)]: \"\(reference)\" depends on \"\(target)\", which no component has as its bom-ref; ignored"
                    )
                } else {
                    edges[reference, default: []].append(target)
                }
            }
        }
        // CycloneDX 1.6 also links a protocol to its certificates and keys inside the protocol itself.
        for component in order {
            guard let references = component.json[path: "cryptoProperties.protocolProperties.cryptoRefArray"] else {
                continue
            }
            for target in references.arrayValue?.compactMap(\.stringValue) ?? [] {
                if components[target] == nil {
                    notices.append(
                        "\(component.label): cryptoRefArray names \"\(target)\", which no component has as its bom-ref; ignored"
                    )
                } else if edges[component.reference]?.contains(target) != true {
                    edges[component.reference, default: []].append(target)
                }
            }
        }
        findParts()
    }

    /// A component and the ones nested in it (an assembly's parts, a firmware's libraries), each by its place.
    /// Returns the component's reference, or nil when it is not registered.
    @discardableResult
    private mutating func register(_ json: JSON, at place: String, isMetadata: Bool, notices: inout [String])
        -> String?
    {
        guard json.objectValue != nil else {
            notices.append("\(place): must be an object, got \(json.typeName); not imported")
            return nil
        }
        let reference = json["bom-ref"]?.stringValue ?? "#\(place)"
        if let first = components[reference] {
            // References to it could mean either: the first keeps it.
            notices.append(
                "\(place): bom-ref \"\(reference)\" is also \(first.label)'s; a bom-ref must be unique. Not imported")
            return nil
        }
        let component = CBOMComponent(
            reference: reference, json: json, label: "\(place) (bom-ref \(reference))", isMetadata: isMetadata)
        components[reference] = component
        order.append(component)
        for (index, nested) in (json["components"]?.arrayValue ?? []).enumerated() {
            // Nested in it, a component is part of it, as if it depended on it.
            if let part = register(nested, at: "\(place).components[\(index)]", isMetadata: false, notices: &notices) {
                edges[reference, default: []].append(part)
            }
        }
        return reference
    }

    /// `document[key]` as an array: absent is empty, anything else is an error naming it.
    private static func array(_ document: JSON, _ key: String, _ path: String) throws(IngestError) -> [JSON] {
        guard let value = document[key], !value.isNull else { return [] }
        guard let array = value.arrayValue else {
            throw IngestError(path, "\"\(key)\" must be an array, got \(value.typeName)")
        }
        return array
    }

    /// Crypto assets reached from `start`, breadth first, also through the parts of a device (the application on
    /// it, the application's libraries); the walk stops at any other component, whose assets are its own.
    func reachable(from start: String) -> [CBOMComponent] {
        var seen: Set<String> = [start]
        var queue = [start]
        var found: [CBOMComponent] = []
        var next = 0
        while next < queue.count {
            defer { next += 1 }
            for target in edges[queue[next]] ?? [] where !seen.contains(target) {
                seen.insert(target)
                guard let component = components[target] else { continue }
                if component.isCrypto {
                    found.append(component)
                    queue.append(target)
                } else if parts.contains(target) {
                    queue.append(target)
                }
            }
        }
        return found
    }

    /// The parts of devices: what a device depends on or nests that is neither a crypto asset nor a device (an
    /// application on it, that application's libraries), however deep. Their protocols are the device's, so they
    /// are no hosts themselves. Only a device has parts: an application that depends on another application or an
    /// operating system names a host of its own.
    private(set) var parts: Set<String> = []

    private mutating func findParts() {
        var queue = order.filter { $0.type == "device" }.map(\.reference)
        var next = 0
        while next < queue.count {
            defer { next += 1 }
            for target in edges[queue[next]] ?? [] where !parts.contains(target) {
                guard let component = components[target], !component.isCrypto, component.type != "device" else {
                    continue
                }
                parts.insert(target)
                queue.append(target)
            }
        }
    }

    /// What `start` depends on directly.
    func direct(_ start: String) -> [CBOMComponent] { (edges[start] ?? []).compactMap { components[$0] } }
}
