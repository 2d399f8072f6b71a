import JSONCore

/// A validated manifest, copied out of plugin memory. This is what the host keeps and shows; it never holds a
/// pointer into the plugin.
public struct PluginManifest: Sendable, Equatable {
    public var id: String
    public var name: String
    public var version: String
    public var vendor: String
    public var description: String
    public var abiMajor: UInt16
    public var abiMinor: UInt16
    public var capabilities: PluginCapabilities
    public var flags: PluginFlags
    /// JSON Schema of the configuration; properties with `"x-secret": true` hold credentials.
    public var configSchema: JSON
    /// The default field mapping, a JSON array of `{source_field, target_field, target_table?, transform?}`.
    public var defaultMapping: JSON

    public init(
        id: String, name: String, version: String, vendor: String, description: String, abiMajor: UInt16,
        abiMinor: UInt16, capabilities: PluginCapabilities, flags: PluginFlags, configSchema: JSON,
        defaultMapping: JSON
    ) {
        self.id = id
        self.name = name
        self.version = version
        self.vendor = vendor
        self.description = description
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.capabilities = capabilities
        self.flags = flags
        self.configSchema = configSchema
        self.defaultMapping = defaultMapping
    }

    /// "1.0"
    public var abi: String { "\(abiMajor).\(abiMinor)" }

    /// `id@version`, how the host names one build of a plugin.
    public var reference: String { "\(id)@\(version)" }

    /// Dotted paths of the configuration properties marked `"x-secret": true`, e.g. `auth.password`.
    public var secretFields: [String] { Self.secretPaths(in: configSchema) }

    /// Dotted paths of the properties a JSON Schema marks `"x-secret": true`, at any depth.
    public static func secretPaths(in schema: JSON) -> [String] {
        var paths: [String] = []
        func collect(_ schema: JSON, _ path: String) {
            if schema["x-secret"]?.boolValue == true, !path.isEmpty { paths.append(path) }
            for (name, property) in schema["properties"]?.objectValue ?? [:] {
                collect(property, path.isEmpty ? name : path + "." + name)
            }
        }
        collect(schema, "")
        return paths.sorted()
    }

    public var json: JSON {
        [
            "id": .string(id), "name": .string(name), "version": .string(version), "vendor": .string(vendor),
            "description": .string(description), "abi": .string(abi), "capabilities": JSON(capabilities.names),
            "concurrent_instances": .bool(flags.contains(.concurrentInstances)), "config_schema": configSchema,
            "default_mapping": defaultMapping,
        ]
    }

    /// Reads back what `json` wrote (the scanner process reports a manifest this way).
    public init(json: JSON) throws(PluginRejection) {
        func string(_ key: String) throws(PluginRejection) -> String {
            guard let value = json[key]?.stringValue else { throw .invalid(field: key, "is missing") }
            return value
        }
        let abiParts = try string("abi").split(separator: ".").compactMap { UInt16($0) }
        guard abiParts.count == 2 else { throw .invalid(field: "abi", "is not MAJOR.MINOR") }
        var capabilities: PluginCapabilities = []
        for name in json["capabilities"]?.arrayValue ?? [] {
            switch name.stringValue {
            case "push": capabilities.insert(.push)
            case "pull": capabilities.insert(.pull)
            case "schema": capabilities.insert(.schema)
            case "events": capabilities.insert(.events)
            default: throw .invalid(field: "capabilities", "has an unknown entry \(name)")
            }
        }
        self.init(
            id: try string("id"), name: try string("name"), version: try string("version"),
            vendor: try string("vendor"), description: try string("description"), abiMajor: abiParts[0],
            abiMinor: abiParts[1], capabilities: capabilities,
            flags: json["concurrent_instances"]?.boolValue == true ? .concurrentInstances : [],
            configSchema: json["config_schema"] ?? [:], defaultMapping: json["default_mapping"] ?? [])
    }
}

/// Why a manifest was refused. `code` is stable; `detail` completes a sentence that starts with the file's path.
public struct PluginRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let detail: String

    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }

    public static func invalid(field: String, _ problem: String) -> PluginRejection {
        PluginRejection(code: "invalid_manifest", detail: "has an invalid manifest: field `\(field)` \(problem)")
    }

    public var description: String { "\(code): \(detail)" }
}
