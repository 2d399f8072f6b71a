import Foundation
import PluginRuntime

/// Where the tests find the package's sources and the products `swift build` made. Tests never run `swift build`
/// themselves (`swift test` holds the build lock); the README's test command builds first.
public enum PackagePaths {
    /// The package root, found from this file's location.
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TestSupport/PackagePaths.swift
        return url
    }()

    /// The build products folder (`swift build --show-bin-path`): the test runner lives in it.
    public static let binDirectory: String = {
        if let configured = ProcessInfo.processInfo.environment["CRYPTOCONNECT_BIN_DIR"], !configured.isEmpty {
            return configured
        }
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var directory = URL(fileURLWithPath: runner).deletingLastPathComponent()
        // The runner may sit inside a bundle folder (…/debug/X.xctest/…); climb to the folder holding products.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("cryptoconnect").path),
            directory.path != "/"
        {
            directory.deleteLastPathComponent()
        }
        return directory.path
    }()

    public static var hostExecutable: String { binDirectory + "/cryptoconnect" }

    public static var headerDirectory: String { root.appendingPathComponent("PluginAPI/CCPluginAPI/include").path }

    public static func fixture(_ relative: String) -> String {
        root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relative).path
    }

    /// A first-party plugin product built by `swift build`, e.g. `plugin("file-export")`.
    public static func plugin(_ product: String) -> String { binDirectory + "/lib\(product).so" }

    /// Points scanner and worker processes at the built `cryptoconnect` binary. Call before using the runtime.
    public static func useBuiltHost() {
        precondition(
            FileManager.default.isExecutableFile(atPath: hostExecutable),
            "\(hostExecutable) is missing: run `swift build` before `swift test`")
        HostExecutable.path = hostExecutable
    }
}
