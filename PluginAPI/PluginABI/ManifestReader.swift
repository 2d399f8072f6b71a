import CCPluginAPI
import JSONCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads and validates a manifest in plugin memory. The order of the checks matters: the magic number says the
/// bytes are a manifest at all, the major version says how to read the rest, and `struct_size` says how much of
/// it exists. Nothing past `struct_size` is ever read.
public enum ManifestReader {
    public static let hostABIMajor = UInt16(CC_ABI_MAJOR)
    public static let hostABIMinor = UInt16(CC_ABI_MINOR)
    public static var hostABI: String { "\(hostABIMajor).\(hostABIMinor)" }

    /// The size of a PluginAPI 1.0 manifest: the smallest this host accepts.
    public static let minimumManifestSize =
        MemoryLayout.offset(of: \cc_plugin_manifest.handle_event)!
        + MemoryLayout<UnsafeRawPointer>.size

    public static func read(_ pointer: UnsafeRawPointer?) throws(PluginRejection) -> PluginManifest {
        guard let pointer else { throw .invalid(field: "manifest", "is NULL: cc_plugin_entry returned no manifest") }
        let magic = pointer.loadUnaligned(as: UInt32.self)
        guard magic == CC_PLUGIN_MAGIC else {
            throw PluginRejection(
                code: "bad_magic",
                detail: "does not start with the PluginAPI magic number: found 0x\(hex(magic)), expected "
                    + "0x\(hex(CC_PLUGIN_MAGIC)) (CC_PLUGIN_MAGIC)")
        }
        let size = Int(pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let major = pointer.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        let minor = pointer.loadUnaligned(fromByteOffset: 10, as: UInt16.self)
        guard major == hostABIMajor else {
            throw PluginRejection(
                code: "abi_major_mismatch",
                detail: "was built for PluginAPI \(major).\(minor); this host speaks \(hostABI)")
        }
        guard minor <= hostABIMinor else {
            throw PluginRejection(
                code: "abi_minor_too_new",
                detail: "was built for PluginAPI \(major).\(minor); this host speaks \(hostABI) "
                    + "(a plugin may be built for an older minor than its host, never a newer one)")
        }
        guard size >= minimumManifestSize else {
            throw PluginRejection(
                code: "manifest_too_small",
                detail: "declares a manifest of \(size) bytes; PluginAPI \(major).\(minor) needs at least "
                    + "\(minimumManifestSize)")
        }
        return try validate(pointer.assumingMemoryBound(to: cc_plugin_manifest.self).pointee)
    }

    private static func validate(_ raw: cc_plugin_manifest) throws(PluginRejection) -> PluginManifest {
        let id = try text(raw.id, field: "id", limit: 64)
        guard isPluginID(id) else {
            throw .invalid(field: "id", "\"\(id)\" must be lowercase letters, digits and single dashes")
        }
        let name = try text(raw.name, field: "name", limit: 128)
        let version = try text(raw.version, field: "version", limit: 64)
        guard SemanticVersion(version) != nil else {
            throw .invalid(field: "version", "\"\(version)\" is not a semantic version (MAJOR.MINOR.PATCH)")
        }
        let vendor = try text(raw.vendor, field: "vendor", limit: 128)
        let description = try text(raw.description, field: "description", limit: 4096, allowEmpty: true)

        let capabilities = PluginCapabilities(rawValue: raw.capabilities)
        guard PluginCapabilities.known.isSuperset(of: capabilities) else {
            throw .invalid(
                field: "capabilities",
                "has unknown bits 0x\(hex(raw.capabilities & ~PluginCapabilities.known.rawValue))")
        }
        let flags = PluginFlags(rawValue: raw.flags)
        guard PluginFlags.known.isSuperset(of: flags) else {
            throw .invalid(field: "flags", "has unknown bits 0x\(hex(raw.flags & ~PluginFlags.known.rawValue))")
        }
        let schema = try document(raw.config_schema_json, field: "config_schema_json")
        try checkConfigSchema(schema)
        let mapping = try document(raw.default_mapping_json, field: "default_mapping_json")
        try checkDefaultMapping(mapping)

        let functions: [(String, Bool, PluginCapabilities?)] = [
            ("create", raw.create != nil, nil), ("destroy", raw.destroy != nil, nil),
            ("test_connection", raw.test_connection != nil, nil),
            ("describe_schema", raw.describe_schema != nil, .schema), ("push_batch", raw.push_batch != nil, .push),
            ("pull_page", raw.pull_page != nil, .pull), ("handle_event", raw.handle_event != nil, .events),
        ]
        for (field, present, capability) in functions where !present {
            if let capability {
                if capabilities.contains(capability) {
                    throw .invalid(field: field, "is NULL but the capability \(capability.names[0]) is declared")
                }
            } else {
                throw .invalid(field: field, "is NULL; every plugin must implement it")
            }
        }
        return PluginManifest(
            id: id, name: name, version: version, vendor: vendor, description: description,
            abiMajor: raw.abi_major, abiMinor: raw.abi_minor, capabilities: capabilities, flags: flags,
            configSchema: schema, defaultMapping: mapping)
    }

    public static func isPluginID(_ id: String) -> Bool {
        guard !id.isEmpty, id.count <= 64, !id.hasPrefix("-"), !id.hasSuffix("-"), !id.contains("--") else {
            return false
        }
        return id.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    private static func text(
        _ pointer: UnsafePointer<CChar>?, field: String, limit: Int, allowEmpty: Bool = false
    ) throws(PluginRejection) -> String {
        guard let pointer else { throw .invalid(field: field, "is NULL") }
        let length = strnlen(pointer, limit + 1)
        guard length <= limit else { throw .invalid(field: field, "is longer than \(limit) bytes") }
        guard allowEmpty || length > 0 else { throw .invalid(field: field, "is empty") }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: length).bindMemory(to: UInt8.self)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw .invalid(field: field, "is not valid UTF-8")
        }
        return string
    }

    private static func document(_ pointer: UnsafePointer<CChar>?, field: String) throws(PluginRejection) -> JSON {
        let source = try text(pointer, field: field, limit: 1 << 20)
        do {
            return try JSON.parse(source)
        } catch {
            throw .invalid(field: field, "is not valid JSON: \(error)")
        }
    }

    private static func checkConfigSchema(_ schema: JSON) throws(PluginRejection) {
        guard schema["type"]?.stringValue == "object" else {
            throw .invalid(field: "config_schema_json", "must be a JSON Schema with \"type\": \"object\"")
        }
        if let properties = schema["properties"] {
            guard let fields = properties.objectValue else {
                throw .invalid(field: "config_schema_json", "has `properties` that is not an object")
            }
            for (name, property) in fields {
                guard property.objectValue != nil else {
                    throw .invalid(field: "config_schema_json", "property `\(name)` is not an object")
                }
                if let secret = property["x-secret"], secret.boolValue == nil {
                    throw .invalid(field: "config_schema_json", "property `\(name)` has a non-boolean x-secret")
                }
            }
        }
    }

    private static func checkDefaultMapping(_ mapping: JSON) throws(PluginRejection) {
        guard let entries = mapping.arrayValue ?? mapping["mapping"]?.arrayValue else {
            throw .invalid(
                field: "default_mapping_json", "must be a JSON array, or an object with a \"mapping\" array")
        }
        if let unit = mapping["one_item_per"], unit != "asset", unit != "record" {
            throw .invalid(field: "default_mapping_json", "`one_item_per` must be \"asset\" or \"record\"")
        }
        for (index, entry) in entries.enumerated() {
            for key in ["source_field", "target_field"] where entry[key]?.stringValue?.isEmpty != false {
                throw .invalid(field: "default_mapping_json", "entry [\(index)] needs a string `\(key)`")
            }
            for key in ["target_table", "transform"] {
                if let value = entry[key], value.stringValue == nil {
                    throw .invalid(field: "default_mapping_json", "entry [\(index)] has a non-string `\(key)`")
                }
            }
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
