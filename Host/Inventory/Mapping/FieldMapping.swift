import Foundation
import JSONCore

/// A field mapping in the product document's form: a list of `{source_field, target_field, target_table?,
/// transform?}`. Validated when built (an unknown source field or transform is an error naming it), compiled once,
/// then applied to many records.
public struct FieldMapping: Sendable {
    public final class Entry: Sendable {
        public let sourceField: String
        public let targetField: String
        public let targetTable: String?
        public let transformText: String?
        let path: [String]
        let steps: [Transform]
        /// The schema type of the value each step is given: the source field's, then what each step makes of it.
        let inputTypes: [String?]
        /// The schema type of what the chain makes (the source field's type when there are no steps).
        let outputType: String?

        init(
            sourceField: String, targetField: String, targetTable: String?, transformText: String?, steps: [Transform]
        ) {
            self.sourceField = sourceField
            self.targetField = targetField
            self.targetTable = targetTable
            self.transformText = transformText
            self.steps = steps
            path = FieldMapping.keys(of: sourceField)
            var type = StandardSchema.fields[sourceField]
            var types: [String?] = []
            for step in steps {
                types.append(type)
                type = step.outputType(from: type)
            }
            inputTypes = types
            outputType = type
        }

        /// Whether the value can be carried back from the target to the standard schema.
        public var isInvertible: Bool { zip(steps, inputTypes).allSatisfy { $0.isInvertible(from: $1) } }
    }

    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let location: String
        public let message: String
        public var description: String { "\(location): \(message)" }
    }

    public let entries: [Entry]
    /// The target holds one item per asset (a CMDB's CI, an ITAM system's asset), not one per endpoint: the
    /// records of an asset are pushed as one item, made of its riskiest record (`"one_item_per": "asset"`).
    public let onePerAsset: Bool
    /// The entries whose value depends on the clock, not only on the record.
    private let clockedEntries: [Int]
    /// The entries' source fields, read from a stored document's bytes without building the rest of it; nil when
    /// a step reads other fields of the record (`format`).
    private let sourcePaths: JSONPaths?
    /// The entries in the canonical order of their target fields, each with its member name written out: `write`
    /// goes through them in turn, with nothing to sort or hash.
    private let canonicalEntries: [(index: Int, name: Range<Int>)]
    /// The member names `canonicalEntries` point into, each written out with its colon, one after another.
    private let memberNames: [UInt8]

    /// The table the mapping writes to: the one its entries name (all that name one name the same).
    public var targetTable: String? { entries.lazy.compactMap(\.targetTable).first }

    /// Accepts `[...]` or `{"mapping": [...], "one_item_per": "asset"|"record"}`. Reports every problem at once.
    /// A mapping being saved (`stored: false`) gets every check; one saved by an earlier release is read as that
    /// release accepted it (a step given a type it cannot take fails record by record at push time instead), so an
    /// upgrade never stops its integration.
    public init(json: JSON, stored: Bool = false) throws(MappingProblems) {
        let unit = json["one_item_per"]
        guard unit == nil || unit == "asset" || unit == "record" else {
            throw MappingProblems(problems: [
                Problem(
                    location: "one_item_per",
                    message:
                        "must be \"asset\" (the target holds one item per host) or \"record\", got \(unit!.serialized())"
                )
            ])
        }
        onePerAsset = unit == "asset"
        // A misspelt option (`one_item_pre`) would otherwise be ignored, and the mapping behave otherwise unseen.
        if !stored,
            let options = json.objectValue?.keys.sorted().filter({ !["mapping", "one_item_per"].contains($0) }),
            !options.isEmpty
        {
            throw MappingProblems(
                problems: options.map {
                    Problem(location: $0, message: "is not a mapping option (known: mapping, one_item_per)")
                })
        }
        guard let list = json.arrayValue ?? json["mapping"]?.arrayValue else {
            throw MappingProblems(problems: [
                Problem(
                    location: "mapping",
                    message: "must be a JSON array of {source_field, target_field, target_table?, transform?}")
            ])
        }
        var problems: [Problem] = []
        var entries: [Entry] = []
        var targets: [String: Int] = [:]
        var table: (name: String, index: Int)?
        for (index, item) in list.enumerated() {
            let location = "mapping[\(index)]"
            guard let object = item.objectValue else {
                problems.append(Problem(location: location, message: "must be an object, got \(item.typeName)"))
                continue
            }
            for key in object.keys.sorted()
            where !["source_field", "target_field", "target_table", "transform"].contains(key) {
                problems.append(Problem(location: "\(location).\(key)", message: "is not a mapping field"))
            }
            guard let source = object["source_field"]?.stringValue, !source.isEmpty else {
                problems.append(Self.missingText(object["source_field"], at: "\(location).source_field"))
                continue
            }
            guard StandardSchema.allows(source) else {
                // A field named without its section (`risk_score`) is that field; else the nearest path.
                let sections = StandardSchema.fields.keys.filter { $0.hasSuffix("." + source) }.sorted()
                let suggestion =
                    sections.first
                    ?? StandardSchema.fields.keys.sorted().min { distance($0, source) < distance($1, source) } ?? ""
                problems.append(
                    Problem(
                        location: "\(location).source_field",
                        message:
                            "\"\(source)\" is not a field of the standard crypto schema (did you mean \"\(suggestion)\"?)"
                    ))
                continue
            }
            // Stored in lower case (`PCI` is kept as `pci`): a path naming a framework otherwise would map nothing.
            let compliance = "crypto_implementation.compliance_status."
            if source.hasPrefix(compliance), source != source.lowercased() {
                problems.append(
                    Problem(
                        location: "\(location).source_field",
                        message: "framework names are stored in lower case: use \"\(source.lowercased())\""))
                continue
            }
            guard let target = object["target_field"]?.stringValue,
                !(stored ? target : target.trimmingCharacters(in: .whitespaces)).isEmpty
            else {
                problems.append(Self.missingText(object["target_field"], at: "\(location).target_field"))
                continue
            }
            if !stored, target.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                problems.append(
                    Problem(location: "\(location).target_field", message: "must not contain control characters"))
                continue
            }
            if !stored, let table = object["target_table"], !table.isNull, table.stringValue?.isEmpty != false {
                problems.append(Self.missingText(table, at: "\(location).target_table", optional: true))
                continue
            }
            if let first = targets[target] {
                problems.append(
                    Problem(
                        location: "\(location).target_field",
                        message: "\"\(target)\" is already mapped by mapping[\(first)]"))
            }
            targets[target] = index
            // A pushed record goes to one table: the first an entry names, the others' default.
            if let named = object["target_table"]?.stringValue {
                if let table, table.name != named {
                    problems.append(
                        Problem(
                            location: "\(location).target_table",
                            message:
                                "\"\(named)\" differs from \"\(table.name)\" named by mapping[\(table.index)]: a mapping "
                                + "writes one table; map another in an integration of its own"))
                } else if table == nil {
                    table = (named, index)
                }
            }
            var transformText: String?
            var steps: [Transform] = []
            if let transform = object["transform"], !transform.isNull {
                // Every element must be a string: one that is not would otherwise vanish from the chain unseen.
                let texts = transform.arrayValue.map { $0.map(\.stringValue) } ?? [transform.stringValue]
                guard !texts.isEmpty, !texts.contains(nil) else {
                    problems.append(
                        Problem(location: "\(location).transform", message: "must be a string or an array of strings"))
                    continue
                }
                let parts = texts.compactMap { $0 }
                transformText = parts.joined(separator: " | ")
                do {
                    for part in parts { steps += try Transform.chain(part, strict: !stored) }
                } catch {
                    problems.append(Problem(location: "\(location).transform", message: error.description))
                    continue
                }
                // Each step takes what the one before gives, starting from the source field's type.
                var type = StandardSchema.fields[source]
                for step in steps where !stored {
                    if let refusal = step.refusal(of: type) {
                        let given = type == StandardSchema.fields[source] ? "\(source) is" : "the step before gives"
                        problems.append(
                            Problem(
                                location: "\(location).transform",
                                message: "\(refusal), but \(given) \(Self.describe(type))"))
                        break
                    }
                    type = step.outputType(from: type)
                }
            }
            entries.append(
                Entry(
                    sourceField: source, targetField: target, targetTable: object["target_table"]?.stringValue,
                    transformText: transformText, steps: steps))
        }
        guard problems.isEmpty else { throw MappingProblems(problems: problems) }
        self.entries = entries
        clockedEntries = entries.indices.filter { entries[$0].steps.contains(.dateToDaysRemaining) }
        let readsOtherFields = entries.contains { $0.steps.contains { if case .format = $0 { true } else { false } } }
        sourcePaths = readsOtherFields ? nil : JSONPaths(entries.map(\.path))
        var names: [UInt8] = []
        canonicalEntries = entries.indices.sorted {
            entries[$0].targetField.utf8.lexicographicallyPrecedes(entries[$1].targetField.utf8)
        }.map { index in
            let start = names.count
            JSON.writeString(entries[index].targetField, to: &names)
            names.append(UInt8(ascii: ":"))
            return (index, start..<names.count)
        }
        memberNames = names
    }

    /// Why a field that must be text is not: absent (`is required`, unless `optional`), or of another type.
    private static func missingText(_ value: JSON?, at location: String, optional: Bool = false) -> Problem {
        guard let value, !value.isNull else { return Problem(location: location, message: "is required") }
        if value.stringValue != nil { return Problem(location: location, message: "must not be empty") }
        return Problem(location: location, message: "must be a string, got \(value.typeName) \(value.serialized())")
    }

    /// A schema type in words, for messages.
    private static func describe(_ type: String?) -> String {
        switch type {
        case "integer": "an integer"
        case "iso_date": "a date"
        case "array": "a list"
        case "object": "an object"
        case let other?: "a \(other)"
        case nil: "of any type"
        }
    }

    /// Maps one standard-schema record to the target's fields. A transform that fails (an unparseable date, say)
    /// is a problem naming the field; the record is not half-mapped.
    public func apply(to record: JSON, now: Date = Date()) throws(MappingProblems) -> [String: JSON] {
        var fields: [String: JSON] = [:]
        fields.reserveCapacity(entries.count)
        var problems: [Problem] = []
        for entry in entries {
            let value: JSON
            do {
                value = try entry.value(of: record, now: now)
            } catch {
                // Named by both ends: several entries may read one source field.
                problems.append(
                    Problem(location: "\(entry.sourceField) → \(entry.targetField)", message: error.description))
                continue
            }
            if !value.isNull { fields[entry.targetField] = value }
        }
        guard problems.isEmpty else { throw MappingProblems(problems: problems) }
        return fields
    }

    /// The fields `apply` makes of `record`, written to `output` as the JSON object `apply`'s would serialise to
    /// (members in canonical order, nulls left out) without building it: a push writes its batches this way. On a
    /// problem nothing is left written.
    public func write(_ record: JSON, now: Date = Date(), to output: inout [UInt8]) throws(MappingProblems) {
        try write(record: record, sources: nil, now: now, to: &output)
    }

    /// As `write(_:now:to:)` for a document as the store keeps it: only the fields the mapping reads are built.
    /// Returns what `nextChange` gives for it, from the same reading (a push needs both).
    @discardableResult
    public func write(_ document: StoredDocument, now: Date = Date(), to output: inout [UInt8]) throws(MappingProblems)
        -> Date?
    {
        guard let sourcePaths, let sources = document.sources(at: sourcePaths) else {
            let record = document.json
            try write(record, now: now, to: &output)
            return nextChange(of: record, after: now)
        }
        // No step reads other fields of the record (`sourcePaths` is nil if one does): it is not needed.
        try write(record: [:], sources: sources, now: now, to: &output)
        return clockedEntries.isEmpty ? nil : nextChange(after: now, record: [:]) { sources.value($0) }
    }

    /// Writes what each entry makes of `record`, or of its source field's value in `sources` when given. Nothing
    /// here copies the mapping or captures it in a closure: it runs for every record a push sends.
    private func write(record: JSON, sources: StoredDocument.Sources?, now: Date, to output: inout [UInt8])
        throws(MappingProblems)
    {
        let start = output.count
        var problems: [(index: Int, problem: Problem)] = []
        var first = true
        output.append(UInt8(ascii: "{"))
        for (index, name) in canonicalEntries {  // the names are read in place, like everything per record here
            if let sources, entries[index].steps.isEmpty {
                // Forwarded as it is: copied from the stored bytes, unless a problem means nothing is written.
                guard problems.isEmpty else { continue }
                let member = output.count
                if !first { output.append(UInt8(ascii: ",")) }
                memberNames.withUnsafeBufferPointer {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: $0[name]))
                }
                if sources.write(index, to: &output) {
                    first = false
                } else {
                    output.removeSubrange(member...)  // null, or nothing there: left out
                }
                continue
            }
            let value: JSON
            do {
                if let sources {
                    value = try entries[index].value(from: sources.value(index), record: record, now: now)
                } else {
                    value = try entries[index].value(of: record, now: now)
                }
            } catch {
                let location = "\(entries[index].sourceField) → \(entries[index].targetField)"
                problems.append((index, Problem(location: location, message: error.description)))
                continue
            }
            guard !value.isNull, problems.isEmpty else { continue }
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            memberNames.withUnsafeBufferPointer { output.append(contentsOf: UnsafeBufferPointer(rebasing: $0[name])) }
            value.write(to: &output)
        }
        output.append(UInt8(ascii: "}"))
        guard problems.isEmpty else {
            output.removeSubrange(start...)
            // In the order of the entries, as `apply` lists them.
            throw MappingProblems(problems: problems.sorted { $0.index < $1.index }.map(\.problem))
        }
    }

    /// When the fields this mapping makes of `record` next change by the clock alone (a `date_to_days_remaining`
    /// count going down), or nil if they never do. A push sends such a record again once that moment has passed, so
    /// a target never keeps a count that stopped being true.
    public func nextChange(of record: JSON, after now: Date) -> Date? {
        nextChange(after: now, record: record) { Self.lookup(record, entries[$0].path) }
    }

    /// As `nextChange(of:after:)` for a document as the store keeps it.
    public func nextChange(of document: StoredDocument, after now: Date) -> Date? {
        guard !clockedEntries.isEmpty else { return nil }
        guard let sourcePaths, let sources = document.sources(at: sourcePaths) else {
            return nextChange(of: document.json, after: now)
        }
        return nextChange(after: now, record: [:]) { sources.value($0) }
    }

    /// The earliest moment a clocked entry's value changes, its source value given by `sourceOf` its index.
    private func nextChange(after now: Date, record: JSON, sourceOf: (Int) -> JSON) -> Date? {
        var earliest: Date?
        for index in clockedEntries {
            let entry = entries[index]
            var value = sourceOf(index)
            for step in entry.steps {
                if let moment = step.nextChange(of: value, after: now), moment < earliest ?? .distantFuture {
                    earliest = moment
                }
                guard let next = try? step.apply(value, record: record, now: now) else { break }
                value = next
            }
        }
        return earliest
    }

    /// Maps target fields back to the standard schema, for pulled records. Fields whose transforms lose information
    /// are one-way and listed in `skipped`. With `stored`, a field this mapping makes of the stored record as the
    /// target holds it is left out: a two-way step that rounds (`scale_to_100`) or drops the time (`iso_date`)
    /// would otherwise bring back a value that differs from the stored one by that loss alone.
    public func reverse(_ target: JSON, over stored: JSON? = nil, now: Date = Date()) -> (
        record: JSON, skipped: [String], problems: [Problem]
    ) {
        var record: JSON = [:]
        var skipped: [String] = []
        var problems: [Problem] = []
        for entry in entries {
            // A blank field in the target is unknown there, not a value to carry back.
            guard let value = target[entry.targetField], !value.isNull, value.stringValue?.isEmpty != true else {
                continue
            }
            guard entry.isInvertible else {
                skipped.append(entry.targetField)
                continue
            }
            var restored = Self.coerced(value, to: entry.outputType)
            if let stored, (try? entry.value(of: stored, now: now)) == restored { continue }
            do {
                for (step, type) in zip(entry.steps, entry.inputTypes).reversed() {
                    restored = try step.applyInverse(restored, to: type)
                }
            } catch {
                // A value no step could have made (text where a score goes): named, by the field it would fill.
                skipped.append(entry.targetField)
                problems.append(Problem(location: entry.sourceField, message: "\(entry.targetField): \(error)"))
                continue
            }
            // Under the keys the stored record has it (a flat `cmdb.owner` stays flat), else one per dot.
            let keys = stored.flatMap { Self.storedKeys($0, entry.path) } ?? entry.path
            record = record.setting(
                keys: keys[...], to: Self.coerced(restored, to: StandardSchema.fields[entry.sourceField]))
        }
        return (record, skipped, problems)
    }

    /// A pulled value as the schema types its field: targets such as ServiceNow's Table API give every value as
    /// text (`"4096"` for a key size), others give numbers for text fields.
    static func coerced(_ value: JSON, to type: String?) -> JSON {
        switch (type, value) {
        case ("integer", .string(let text)):
            return Int64(text.trimmingCharacters(in: .whitespaces)).map(JSON.integer) ?? value
        case ("number", .string(let text)):
            return Transform.number(from: text) ?? value
        case ("string", .integer), ("string", .number):
            return .string(value.serialized())
        default:
            return value
        }
    }

    /// Target fields that cannot be mapped back.
    public var oneWayFields: [String] { entries.filter { !$0.isInvertible }.map(\.targetField) }

    /// The keys a source path names, one per object level. A framework's name is one key whatever it holds
    /// (`compliance_status.pci_dss_4.0`).
    static func keys(of path: String) -> [String] {
        let compliance = "crypto_implementation.compliance_status."
        if path.hasPrefix(compliance), path.count > compliance.count {
            return ["crypto_implementation", "compliance_status", String(path.dropFirst(compliance.count))]
        }
        return path.split(separator: ".").map(String.init)
    }

    /// The value under `path`, or null.
    static func lookup(_ record: JSON, _ path: [String]) -> JSON { walk(record, path) { _ in } }

    /// The keys `path` is found under in `record` (`["extensions", "cmdb.owner"]` for a key with a dot), or nil.
    static func storedKeys(_ record: JSON, _ path: [String]) -> [String]? {
        var keys: [String] = []
        return walk(record, path) { keys.append($0) }.isNull ? nil : keys
    }

    /// Follows `path`, telling `visit` each key taken; a key the record holds with a dot in it is found when no
    /// object lies under its first part.
    private static func walk(_ record: JSON, _ path: [String], _ visit: (String) -> Void) -> JSON {
        var current = record
        var index = path.startIndex
        while index < path.endIndex {
            guard case .object(let fields) = current else { return .null }
            if let next = fields[path[index]] {
                visit(path[index])
                current = next
                index += 1
                continue
            }
            guard
                let end = (index + 1..<path.endIndex).first(where: { end in
                    fields[path[index...end].joined(separator: ".")] != nil
                })
            else { return .null }
            let key = path[index...end].joined(separator: ".")
            visit(key)
            current = fields[key]!
            index = end + 1
        }
        return current
    }

}

extension FieldMapping.Entry {
    /// The target value this entry makes of `record`.
    func value(of record: JSON, now: Date) throws(Transform.Problem) -> JSON {
        try value(from: FieldMapping.lookup(record, path), record: record, now: now)
    }

    /// The target value this entry makes of its source field's value `source`.
    func value(from source: JSON, record: JSON, now: Date) throws(Transform.Problem) -> JSON {
        var value = source
        for step in steps { value = try step.apply(value, record: record, now: now) }
        return value
    }
}

/// Every problem of a mapping, so the wizard shows them all.
public struct MappingProblems: Error, Sendable, CustomStringConvertible {
    public let problems: [FieldMapping.Problem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Edit distance, for "did you mean" suggestions.
private func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
        var current = [i + 1]
        for (j, y) in b.enumerated() {
            current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
        }
        previous = current
    }
    return previous[b.count]
}
