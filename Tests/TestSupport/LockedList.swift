import Foundation

/// Strings appended from several threads, read once they are done.
public final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    public init() {}

    public var items: [String] { lock.withLock { stored } }
    public func append(_ item: String) { lock.withLock { stored.append(item) } }
}
