import ArgumentParser
import Inventory
import JSONCore
import PluginRuntime

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "Discover, inspect and call connector plugins.",
        subcommands: [List.self, Inspect.self, Call.self]
    )
}

extension Plugins {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every .so in the plugins directory, loaded or rejected (with the reason).")

        @OptionGroup var host: HostOptions
        @Flag(help: "Print JSON: an array of {path, status, id, version, abi, capabilities, sha256, error?}.")
        var json = false

        func run() throws {
            let plugins: [DiscoveredPlugin]
            do {
                plugins = try host.discovery.discover(in: host.resolvedPluginsDirectory)
            } catch {
                Console.error("error: \(error)")
                throw ExitCode(2)
            }
            if json {
                print(JSON.array(plugins.map(\.json)).prettyPrinted())
                return
            }
            if plugins.isEmpty {
                print("No plugins (.so files) in \(host.resolvedPluginsDirectory).")
                return
            }
            let rows = plugins.map { plugin -> [String] in
                let manifest = plugin.manifest
                return [
                    plugin.isLoaded ? "ok" : "rejected", manifest?.id ?? "-", manifest?.version ?? "-",
                    manifest?.abi ?? "-", manifest?.capabilities.names.joined(separator: ",") ?? "-", plugin.path,
                ]
            }
            print(Console.table(["STATUS", "PLUGIN", "VERSION", "ABI", "CAPABILITIES", "FILE"], rows))
            let rejected = plugins.compactMap(\.message)
            if !rejected.isEmpty {
                print("\nRejected:")
                rejected.forEach { print("  " + $0) }
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a plugin's whole manifest, configuration schema and default mapping included.")

        @OptionGroup var host: HostOptions
        @Argument(help: "The plugin .so file.") var file: String
        @Flag(help: "Print the manifest as JSON.") var json = false

        func run() throws {
            let plugin = host.discovery.inspect(file: file)
            guard let manifest = plugin.manifest else {
                Console.error(plugin.message ?? "\(file) was rejected")
                throw ExitCode(1)
            }
            // The default mapping is checked as `integrations add` checks it: a partner learns of a wrong path here,
            // not from the first customer who enables the plugin.
            var mappingProblems: [String] = []
            do throws(MappingProblems) {
                _ = try FieldMapping(json: manifest.defaultMapping)
            } catch {
                mappingProblems = error.problems.map { "default mapping: \($0)" }
            }
            defer {
                for problem in mappingProblems { Console.error(problem) }
            }
            if json {
                var document = manifest.json.objectValue ?? [:]
                document["path"] = .string(plugin.path)
                document["sha256"] = JSON(plugin.sha256)
                if !mappingProblems.isEmpty { document["problems"] = JSON(mappingProblems) }
                print(JSON.object(document).prettyPrinted())
                if !mappingProblems.isEmpty { throw ExitCode(1) }
                return
            }
            print(
                """
                \(manifest.name) (\(manifest.id)) \(manifest.version)
                  vendor:        \(manifest.vendor)
                  description:   \(manifest.description)
                  PluginAPI:     \(manifest.abi)
                  capabilities:  \(manifest.capabilities.names.joined(separator: ", "))
                  concurrent:    \(manifest.flags.contains(.concurrentInstances) ? "separate instances may run at once" : "calls are serialised")
                  secret fields: \(manifest.secretFields.isEmpty ? "none" : manifest.secretFields.joined(separator: ", "))
                  file:          \(plugin.path)
                  sha256:        \(plugin.sha256 ?? "-")

                Configuration schema:
                \(manifest.configSchema.prettyPrinted())

                Default mapping:
                \(manifest.defaultMapping.prettyPrinted())
                """)
            if !mappingProblems.isEmpty { throw ExitCode(1) }
        }
    }
}
