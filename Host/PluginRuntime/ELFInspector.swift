import Foundation

/// Tells a shared object from anything else before the host copies or loads a file.
enum ELFInspector {
    /// nil when `path` is an ELF shared object; otherwise what it is instead.
    static func problem(at path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot be read" }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 18)) ?? Data()
        guard header.count >= 18, header.prefix(4) == Data([0x7F, 0x45, 0x4C, 0x46]) else {
            return header.isEmpty ? "is empty, not a shared object" : "is not a shared object (no ELF header)"
        }
        let littleEndian = header[5] == 1
        let type =
            littleEndian ? UInt16(header[16]) | UInt16(header[17]) << 8 : UInt16(header[16]) << 8 | UInt16(header[17])
        switch type {
        case 3: return nil  // ET_DYN
        case 1: return "is an ELF relocatable object (.o), not a shared object"
        case 2: return "is an ELF executable, not a shared object"
        case 4: return "is an ELF core dump, not a shared object"
        default: return "is an ELF file of type \(type), not a shared object"
        }
    }
}
