import CSystemShims
import Foundation
import JSONCore
import PluginABI

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a plugin's manifest in a throwaway process, so a plugin that crashes or hangs while loading (a bad static
/// initialiser, an entry point that dereferences garbage) costs one child process, never the host.
public struct ManifestScanner: Sendable {
    public static let defaultTimeout: Duration = .seconds(10)
    /// The hidden command the child runs: `cryptoconnect __scan-plugin FILE --report-fd 3`.
    public static let command = "__scan-plugin"

    public var timeout: Duration
    /// Confines the scan as a worker is confined (loading a plugin runs its code): nil leaves it as the host.
    public var sandbox: FileSandbox?

    public init(timeout: Duration = ManifestScanner.defaultTimeout, sandbox: FileSandbox? = nil) {
        self.timeout = timeout
        self.sandbox = sandbox
    }

    /// Scans `path` (a cache copy) and returns its validated manifest or why it was refused.
    public func scan(_ path: String) -> Result<PluginManifest, PluginRejection> {
        do {
            return try run(path)
        } catch {
            return .failure(PluginRejection(code: "load_failed", detail: "could not be scanned: \(error)"))
        }
    }

    private func run(_ path: String) throws -> Result<PluginManifest, PluginRejection> {
        let report = try FileDescriptors.pipe()
        let output = try TemporaryFile()
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                HostExecutable.path,
                arguments: [Self.command, path, "--report-fd", "3", "--parent-pid", "\(getpid())"]
                    + (sandbox == nil ? [] : ["--sandbox"]),
                descriptors: [
                    (0, output.descriptor), (1, output.descriptor), (2, output.descriptor), (3, report.write),
                ], withoutHostVariables: true)
        } catch {
            close(report.read)
            close(report.write)
            throw error
        }
        close(report.write)
        defer { close(report.read) }
        let deadline = ContinuousClock.now + timeout
        let bytes = FileDescriptors.readAll(report.read, deadline: deadline)
        guard let status = child.waitUntil(deadline) else {
            child.terminate()
            return .failure(
                PluginRejection(
                    code: "load_timeout",
                    detail:
                        "did not finish loading within \(timeout.wholeMilliseconds) ms; the scanner process was killed")
            )
        }
        if case .signaled = status {
            return .failure(
                PluginRejection(
                    code: "load_crashed",
                    detail: "crashed while loading: \(status)\(output.tail(prefix: "; last output: "))"))
        }
        guard let bytes, let document = try? JSON.parse(bytes) else {
            return .failure(
                PluginRejection(
                    code: "load_crashed",
                    detail: "ended the scanner with \(status) before reporting a manifest"
                        + output.tail(prefix: "; last output: ")))
        }
        return Self.decodeReport(document)
    }

    static func decodeReport(_ document: JSON) -> Result<PluginManifest, PluginRejection> {
        if let error = document["error"], let code = error["code"]?.stringValue {
            return .failure(PluginRejection(code: code, detail: error["detail"]?.stringValue ?? ""))
        }
        do {
            return .success(try PluginManifest(json: document["manifest"] ?? .null))
        } catch {
            return .failure(error)
        }
    }

    /// The child's side: load, validate, report, exit. Returns the process exit code. With `sandbox`, confined
    /// before anything else starts, as a worker is.
    public static func runChild(path: String, reportDescriptor: Int32, parent: pid_t, sandbox: FileSandbox? = nil)
        -> Int32
    {
        let report: JSON
        do {
            try sandbox?.apply(plugin: path)
            ParentWatchdog.start(parent: parent)
            CrashSignals.restoreDefaults()
            let library = try PluginLibrary.open(path)
            report = ["manifest": library.manifest.json]
        } catch {
            report = ["error": ["code": .string(error.code), "detail": .string(error.detail)]]
        }
        return FileDescriptors.writeAll(reportDescriptor, report.serializedBytes()) ? 0 : 1
    }
}

/// An unlinked temporary file for a child's output: nothing to clean up, and it cannot fill a pipe and block.
final class TemporaryFile {
    let descriptor: Int32

    init() throws(HostSystemError) {
        var template = Array((NSTemporaryDirectory() + "/cryptoconnect-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { cc_temporary_file($0.baseAddress!) }
        guard fd >= 0 else { throw HostSystemError(operation: "mkostemp") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// The last few hundred bytes written, for error messages; empty when nothing was written.
    func tail(prefix: String, limit: Int = 400) -> String {
        let size = lseek(descriptor, 0, SEEK_END)
        guard size > 0 else { return "" }
        let start = max(0, Int(size) - limit)
        var buffer = [UInt8](repeating: 0, count: Int(size) - start)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(start)) }
        guard count > 0 else { return "" }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\n", with: " | ")
        return text.isEmpty ? "" : prefix + text
    }
}
