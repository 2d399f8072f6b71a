import CSystemShims
import Foundation
import PluginABI

/// What a worker may open, with `serve --plugin-sandbox` (Linux landlock): its plugin, the system's libraries, the
/// Swift runtime's folder and a few files of `/etc`, `/dev` and `/proc/self`, and the folders an operator grants
/// (read and write); never the host's store, master key or anything else of the host's. It may not open TCP
/// connections (its HTTP goes through the host), nor signal the host. Applied before the plugin is loaded, so none
/// of the plugin's code runs outside it.
public struct FileSandbox: Sendable, Equatable {
    /// Folders the plugin may also write in (a connector that writes files).
    public var writable: [String]

    public init(writable: [String] = []) { self.writable = writable }

    /// Whether this kernel can confine a process's file access, truncation included (landlock ABI 3: Linux 6.2
    /// and later, with landlock enabled).
    public static var isAvailable: Bool { cc_landlock_version() >= 3 }
    /// Whether a sandboxed worker is refused TCP (landlock ABI 4), and signals to the host (ABI 6).
    public static var refusesNetwork: Bool { cc_landlock_version() >= 4 }
    public static var refusesSignals: Bool { cc_landlock_version() >= 6 }

    /// What every sandboxed worker may read.
    public static var readable: [String] {
        [
            "/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/localtime",
            "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/hosts", "/dev/null", "/dev/zero",
            "/dev/random", "/dev/urandom", "/proc/self", "/sys/devices/system/cpu",
        ] + [runtimeFolder].compactMap { $0 }
    }

    /// Where the Swift runtime was loaded from (a toolchain outside /usr): its other libraries load from there later.
    static var runtimeFolder: String? {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8),
            let line = maps.split(separator: "\n").first(where: { $0.hasSuffix("/libswiftCore.so") }),
            let start = line.firstIndex(of: "/")
        else { return nil }
        return (String(line[start...]) as NSString).deletingLastPathComponent
    }

    /// The first of `paths` a sandboxed worker could read, if any: such a path is not kept from plugins.
    public static func readablePath(among paths: [String]) -> String? {
        let readable = readable  // read from /proc once, not once a path
        return paths.first { path in
            let path = (path as NSString).standardizingPath
            return readable.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
    }

    /// Confines this process, which may then read `plugin` too; throws when it cannot, naming why. Landlock confines
    /// the calling thread and those it starts after: the process must have no other thread yet.
    func apply(plugin: String) throws(PluginRejection) {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
        guard threads == 1 else {
            throw PluginRejection(
                code: "sandbox_unavailable",
                detail: "the worker has \(threads) threads where the sandbox needs one, so it could not be confined")
        }
        guard Self.isAvailable else {
            throw PluginRejection(code: "sandbox_unavailable", detail: "the kernel has no landlock of ABI 3 or later")
        }
        let readable = Self.readable + [plugin]
        let writable = writable + ["/dev/null"]
        let result = withCStrings(readable) { read in
            withCStrings(writable) { write in
                cc_restrict_filesystem(read, Int32(readable.count), write, Int32(writable.count))
            }
        }
        guard result == 0 else {
            throw PluginRejection(
                code: "sandbox_unavailable",
                detail: "the plugin sandbox could not be applied (landlock: \(String(cString: strerror(errno))))")
        }
    }
}

/// Runs `body` with `strings` as an array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
