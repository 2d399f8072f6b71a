import Foundation

/// Compiles the C fixture plugins with the system C compiler, once per variant per test run.
public enum CFixtures {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: [String: String] = [:]
    private static let output = TemporaryDirectory("c-fixtures")

    /// Builds `Tests/Fixtures/CPlugins/fixture_plugin.c` with `defines` (e.g. `FIXTURE_ABI_MAJOR=2`) and returns the
    /// path of the `.so`. `name` names the variant and the file.
    public static func build(
        _ name: String, defines: [String] = [], source: String = "fixture_plugin.c", linkFlags: [String] = []
    ) throws -> String {
        try lock.withLock {
            if let path = built[name] { return path }
            let path = output.path + "/\(name).so"
            try compile(
                ["-shared", "-fPIC", "-std=gnu11", "-Wall", "-Werror", "-O1", "-I", PackagePaths.headerDirectory]
                    + defines.map { "-D" + $0 } + ["-o", path, PackagePaths.fixture("CPlugins/" + source)] + linkFlags)
            built[name] = path
            return path
        }
    }

    /// Compiles arbitrary C source (for a dependency library, an executable) into `output`.
    public static func compileSource(_ source: String, arguments: [String], output name: String) throws -> String {
        let sourcePath = output.file("\(name).c", source)
        let path = output.path + "/" + name
        try compile(arguments + ["-o", path, sourcePath])
        return path
    }

    public static var workDirectory: String { output.path }

    private static func compile(_ arguments: [String]) throws {
        let result = try Command.run("/usr/bin/env", ["cc"] + arguments)
        guard result.status == 0 else {
            throw CompileFailure(message: "cc \(arguments.joined(separator: " ")) failed:\n\(result.stderr)")
        }
    }

    public struct CompileFailure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
