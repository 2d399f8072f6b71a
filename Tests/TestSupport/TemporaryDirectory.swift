import Foundation

/// A directory under the system temporary folder, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    public init(_ label: String = "test") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cc-\(label)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Creates a sub-directory and returns its path.
    @discardableResult
    public func directory(_ relative: String) -> String {
        let sub = url.appendingPathComponent(relative)
        try! FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        return sub.path
    }

    /// Writes a file and returns its path.
    @discardableResult
    public func file(_ relative: String, _ contents: String) -> String {
        file(relative, Data(contents.utf8))
    }

    @discardableResult
    public func file(_ relative: String, _ contents: Data) -> String {
        let target = url.appendingPathComponent(relative)
        try! FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! contents.write(to: target)
        return target.path
    }

    /// Copies a file in and returns the new path.
    @discardableResult
    public func copy(_ source: String, to relative: String) -> String {
        let target = url.appendingPathComponent(relative)
        try! FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: target)
        try! FileManager.default.copyItem(atPath: source, toPath: target.path)
        return target.path
    }
}
