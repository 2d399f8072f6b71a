import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file read in 1 MiB blocks with plain read(2): Foundation's FileHandle and Data cost more than parsing here. A
/// NUL byte means binary data, which no text format holds.
struct FileBlocks {
    let path: String
    private var descriptor: Int32
    /// How many bytes were read before the last block.
    private(set) var offset = 0

    init(path: String) throws(IngestError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw IngestError(path, "cannot be read") }
        self.path = path
        self.descriptor = descriptor
    }

    /// Closes the file; nothing more is read.
    mutating func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// Appends the next block to `buffer`; false at the end of the file, which is then closed. `kind` names what
    /// the file should be, for the binary-data error: `an NDJSON file`.
    mutating func read(into buffer: inout [UInt8], kind: String) throws(IngestError) -> Bool {
        guard descriptor >= 0 else { return false }
        let old = buffer.count
        let block = 1 << 20
        var count = 0
        buffer.append(contentsOf: repeatElement(0, count: block))
        while true {
            count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + old, block) }
            if count >= 0 || errno != EINTR { break }
        }
        buffer.removeLast(block - max(count, 0))
        guard count >= 0 else { throw error("read failed: \(String(cString: strerror(errno)))") }
        guard count > 0 else {
            close()
            return false
        }
        defer { offset += count }
        if let zero = buffer.withUnsafeBytes({ memchr($0.baseAddress! + old, 0, count) }) {
            let position = buffer.withUnsafeBytes { UnsafeRawPointer(zero) - $0.baseAddress! } - old
            throw error("holds binary data (a NUL byte at offset \(offset + position)): not \(kind)")
        }
        return true
    }

    func error(_ message: String) -> IngestError { IngestError(path, message) }
}
