/// An integration's configuration as the connector receives it: a JSON object without secrets. The accessors
/// throw `ConnectorError.config` errors that name the field.
public struct Configuration: Sendable {
    public let json: JSON

    public init(_ json: JSON) { self.json = json }

    public func string(_ path: String) -> String? { json[path: path]?.stringValue }

    public func requiredString(_ path: String) throws(ConnectorError) -> String {
        guard let value = json[path: path] else { throw .config("configuration field `\(path)` is required") }
        guard let string = value.stringValue, !string.isEmpty else {
            throw .config("configuration field `\(path)` must be a non-empty string, got \(value.typeName)")
        }
        return string
    }

    public func int(_ path: String, default fallback: Int) throws(ConnectorError) -> Int {
        guard let value = json[path: path], !value.isNull else { return fallback }
        guard let number = value.intValue else {
            throw .config("configuration field `\(path)` must be an integer, got \(value.typeName)")
        }
        return number
    }

    public func bool(_ path: String, default fallback: Bool) throws(ConnectorError) -> Bool {
        guard let value = json[path: path], !value.isNull else { return fallback }
        guard let flag = value.boolValue else {
            throw .config("configuration field `\(path)` must be true or false, got \(value.typeName)")
        }
        return flag
    }
}
