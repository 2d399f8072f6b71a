import JSONCore
import Synchronization

/// A push record's fields, as the bytes of a JSON object or as values: whichever is asked for first is built from
/// the other, once. Records from the host come as bytes, and a connector that sends them on unchanged never builds
/// the values.
final class MappedFields: Sendable {
    private let state: Mutex<(json: [UInt8]?, fields: [String: JSON]?)>

    init(_ fields: [String: JSON]) { state = Mutex((nil, fields)) }

    /// `json`: one JSON object's bytes, as the host writes them.
    init(json: [UInt8]) { state = Mutex((json, nil)) }

    var fields: [String: JSON] {
        state.withLock { state in
            if let fields = state.fields { return fields }
            let fields = (try? JSON.parse(state.json ?? [])).flatMap(\.objectValue) ?? [:]
            state.fields = fields
            return fields
        }
    }

    var json: [UInt8] {
        state.withLock { state in
            if let json = state.json { return json }
            let json = JSON.object(state.fields ?? [:]).serializedBytes()
            state.json = json
            return json
        }
    }
}
