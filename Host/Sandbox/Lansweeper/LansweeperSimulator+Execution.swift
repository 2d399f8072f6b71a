import Foundation
import JSONCore

extension LansweeperSimulator {
    /// Runs one operation's selections against the simulator's sites and assets, collecting GraphQL errors (with
    /// their paths) and the HTTP status an error forces (400 for invalid arguments, 403 for a site without access).
    struct Execution {
        let simulator: LansweeperSimulator
        let variables: [String: JSON]
        let mutation: Bool
        var errors: [JSON] = []
        var status: Int?

        mutating func run(_ selections: [GraphQLField]) -> JSON {
            var data: [String: JSON] = [:]
            for field in selections {
                switch (field.name, mutation) {
                case ("authorizedSites", false):
                    let sites = simulator.sites.filter { simulator.authorizedSites.contains($0.id) }
                    let value: JSON = ["sites": .array(sites.map { ["id": .string($0.id), "name": .string($0.name)] })]
                    data[field.responseKey] = project(value, field.selections)
                case ("site", _): data[field.responseKey] = site(field)
                case ("__typename", _): data[field.responseKey] = mutation ? "Mutation" : "Query"
                default:
                    fail(
                        400, "Cannot query field \"\(field.name)\" on type \"\(mutation ? "Mutation" : "Query")\".",
                        [field.responseKey])
                    data[field.responseKey] = .null
                }
            }
            return .object(data)
        }

        private mutating func site(_ field: GraphQLField) -> JSON {
            let id: String
            do {
                guard let value = try field.argument("id", variables)?.stringValue else {
                    fail(400, "Field \"site\" argument \"id\" of type \"ID!\" is required", [field.responseKey])
                    return .null
                }
                id = value
            } catch {
                fail(400, error.message, [field.responseKey])
                return .null
            }
            guard let site = simulator.sites.first(where: { $0.id == id }), simulator.authorizedSites.contains(id)
            else {
                fail(403, "You don't have access to this site", [field.responseKey])
                return .null
            }
            var out: [String: JSON] = [:]
            for selection in field.selections {
                let path = [field.responseKey, selection.responseKey]
                switch (selection.name, mutation) {
                case ("id", _): out[selection.responseKey] = .string(site.id)
                case ("name", _): out[selection.responseKey] = .string(site.name)
                case ("assetResources", false):
                    out[selection.responseKey] = assetResources(selection, site: id, path: path)
                case ("customFields", false):
                    out[selection.responseKey] = project(.array(Self.customFields), selection.selections)
                case ("editAsset", true): out[selection.responseKey] = editAsset(selection, site: id, path: path)
                default:
                    fail(400, "Cannot query field \"\(selection.name)\" on type \"Site\".", path)
                    out[selection.responseKey] = .null
                }
            }
            return .object(out)
        }

        /// The writable custom fields: Lansweeper's 20 asset custom fields.
        static let customFields: [JSON] = (1...20).map {
            ["name": .string("Custom\($0)"), "type": "Text", "key": .string("custom\($0)"), "props": [:]]
        }

        private mutating func assetResources(_ field: GraphQLField, site: String, path: [String]) -> JSON {
            let pagination: JSON
            let fieldPaths: [String]
            let filters: JSON?
            do {
                pagination = try field.argument("assetPagination", variables) ?? [:]
                fieldPaths = (try field.argument("fields", variables)?.arrayValue ?? []).compactMap(\.stringValue)
                filters = try field.argument("filters", variables)
            } catch {
                fail(400, error.message, path)
                return .null
            }
            let limit = pagination["limit"]?.intValue ?? 100
            guard (1...500).contains(limit) else {
                fail(400, "assetPagination.limit must be between 1 and 500, got \(limit)", path)
                return .null
            }
            guard !fieldPaths.isEmpty, fieldPaths.count <= LansweeperSimulator.maximumFieldPaths else {
                fail(
                    400,
                    "fields must list 1 to \(LansweeperSimulator.maximumFieldPaths) field paths, got \(fieldPaths.count)",
                    path)
                return .null
            }
            let conditions = filters.map(Self.countConditions) ?? 0
            guard conditions <= LansweeperSimulator.maximumConditions else {
                fail(
                    400,
                    "filters may hold at most \(LansweeperSimulator.maximumConditions) conditions, got \(conditions)",
                    path)
                return .null
            }
            if let unknown = filters.flatMap(Self.unknownOperator) {
                fail(
                    400,
                    "Value \"\(unknown)\" does not exist in \"FilterOperator\" enum; use one of "
                        + Self.operators.joined(separator: ", "), path)
                return .null
            }
            let page = pagination["page"]?.stringValue ?? "FIRST"
            // Lansweeper counts only on the first page, and refuses the count on the others.
            guard page == "FIRST" || !field.selections.contains(where: { $0.name == "total" }) else {
                fail(
                    400,
                    "If the total parameter is specified, you cannot use the PREV, NEXT, or LAST pagination fields",
                    path)
                return .null
            }
            let all = simulator.lock.withLock { simulator.assets[site] ?? [] }
            let matching = filters.map { all.filter(Self.predicate($0)) } ?? all
            let start: Int
            switch page {
            case "FIRST": start = 0
            case "LAST": start = matching.isEmpty ? 0 : (matching.count - 1) / limit * limit
            case "NEXT", "PREV":
                guard let cursor = pagination["cursor"]?.stringValue, let offset = Self.offset(of: cursor) else {
                    fail(400, "assetPagination.cursor is missing or not a cursor this API issued (page \(page))", path)
                    return .null
                }
                start = page == "NEXT" ? offset : max(0, offset - limit)
            default:
                fail(400, "assetPagination.page must be FIRST, NEXT, PREV or LAST, got \(page)", path)
                return .null
            }
            let items = matching.dropFirst(start).prefix(limit).map { Self.projectPaths($0, fieldPaths) }
            let end = start + items.count
            let value: JSON = [
                "total": JSON(matching.count),
                "pagination": [
                    "limit": JSON(limit), "current": .string(Self.cursor(start)),
                    "next": end < matching.count ? .string(Self.cursor(end)) : .null, "page": .string(page),
                ],
                "items": .array(items),
            ]
            return project(value, field.selections, opaque: ["items"])
        }

        private mutating func editAsset(_ field: GraphQLField, site: String, path: [String]) -> JSON {
            let key: String
            let fields: JSON
            do {
                guard let value = try field.argument("key", variables)?.stringValue,
                    let edits = try field.argument("fields", variables), edits.objectValue != nil
                else {
                    fail(400, "editAsset needs key: ID! and fields: AssetEditInput!", path)
                    return .null
                }
                key = value
                fields = edits
            } catch {
                fail(400, error.message, path)
                return .null
            }
            var edits: [(section: String, field: String, value: String)] = []
            for (section, values) in fields.objectValue ?? [:] {
                for (name, wrapped) in values.objectValue ?? [:] {
                    let editable =
                        section == "assetCustom"
                        ? name.hasPrefix("custom") : section == "assetBasicInfo" && name == "description"
                    guard editable, let text = wrapped["value"]?.stringValue ?? (wrapped.isNull ? "" : nil) else {
                        fail(
                            200, "Field \(section).\(name) cannot be edited (or its value is not {value: String})", path
                        )
                        return .null
                    }
                    edits.append((section, name, text))
                }
            }
            let edited = simulator.lock.withLock { () -> JSON? in
                guard let index = simulator.assets[site]?.firstIndex(where: { $0["key"]?.stringValue == key }) else {
                    return nil
                }
                var asset = simulator.assets[site]![index].objectValue!
                for edit in edits {
                    var section = asset[edit.section]?.objectValue ?? [:]
                    section[edit.field] = .string(edit.value)
                    asset[edit.section] = .object(section)
                }
                simulator.assets[site]![index] = .object(asset)  // in place: a copy of the site's list per edit adds up
                return .object(asset)
            }
            guard let edited else {
                fail(200, "Asset with key \(key) was not found in site \(site)", path)
                return .null
            }
            return project(edited, field.selections)
        }

        private mutating func fail(_ status: Int, _ message: String, _ path: [String]) {
            errors.append(["message": .string(message), "path": JSON(path)])
            if status != 200 { self.status = max(self.status ?? 0, status) }
        }

        /// Keeps the selected keys of an object (or of each object in a list); `opaque` keys are JSON scalars,
        /// returned whole.
        private func project(_ value: JSON, _ selections: [GraphQLField], opaque: Set<String> = []) -> JSON {
            guard !selections.isEmpty else { return value }
            if let list = value.arrayValue { return .array(list.map { project($0, selections, opaque: opaque) }) }
            guard let object = value.objectValue else { return value }
            var out: [String: JSON] = [:]
            for selection in selections {
                let child = object[selection.name] ?? .null
                out[selection.responseKey] =
                    opaque.contains(selection.name) ? child : project(child, selection.selections)
            }
            return .object(out)
        }

        /// `["key", "assetBasicInfo.name"]` → `{"key": …, "assetBasicInfo": {"name": …}}`.
        static func projectPaths(_ asset: JSON, _ paths: [String]) -> JSON {
            var out: [String: JSON] = [:]
            for path in paths {
                let parts = path.split(separator: ".").map(String.init)
                let value = asset[path: path] ?? .null
                if parts.count == 1 {
                    out[parts[0]] = value
                } else {
                    var section = out[parts[0]]?.objectValue ?? [:]
                    section[parts.dropFirst().joined(separator: ".")] = value
                    out[parts[0]] = .object(section)
                }
            }
            return .object(out)
        }

        /// Compiles a `filters` argument once per query into a predicate (paths split, values lowercased, OR and
        /// AND short-circuited): a lookup of 33 hosts is about 100 conditions over every asset of a site. Under OR,
        /// the EQUAL conditions on one path become one set, so an asset's value is read once per path, not once per
        /// condition.
        static func predicate(_ filter: JSON) -> (JSON) -> Bool {
            let or = filter["conjunction"]?.stringValue == "OR"
            var conditions = filter["conditions"]?.arrayValue ?? []
            var equalities: [String: Set<String>] = [:]
            if or {
                conditions.removeAll { condition in
                    guard (condition["operator"]?.stringValue ?? "EQUAL") == "EQUAL" else { return false }
                    let path = condition["path"]?.stringValue ?? ""
                    equalities[path, default: []].insert((condition["value"]?.stringValue ?? "").lowercased())
                    return true
                }
            }
            var parts: [(JSON) -> Bool] = conditions.map(condition)
            parts += equalities.map { path, wanted in
                let keys = path.split(separator: ".").map(String.init)
                return { wanted.contains(value(at: keys, in: $0)) }
            }
            parts += (filter["groups"]?.arrayValue ?? []).map(predicate)
            if parts.isEmpty { return { _ in true } }
            return or ? { asset in parts.contains { $0(asset) } } : { asset in parts.allSatisfy { $0(asset) } }
        }

        /// The asset's value at `keys`, lowercased as filters compare it; "" when absent.
        private static func value(at keys: [String], in asset: JSON) -> String {
            var current: JSON? = asset
            for key in keys { current = current?[key] }
            return current?.stringValue?.lowercased() ?? ""
        }

        private static func condition(_ condition: JSON) -> (JSON) -> Bool {
            let keys = (condition["path"]?.stringValue ?? "").split(separator: ".").map(String.init)
            let wanted = (condition["value"]?.stringValue ?? "").lowercased()
            let value = { (asset: JSON) -> String in Self.value(at: keys, in: asset) }
            switch condition["operator"]?.stringValue ?? "EQUAL" {
            case "EQUAL": return { value($0) == wanted }
            case "NOT_EQUAL": return { value($0) != wanted }
            case "LIKE": return { value($0).contains(wanted) }
            case "NOT_LIKE": return { !value($0).contains(wanted) }
            case "GREATER_THAN": return { value($0) > wanted }
            case "LESS_THAN": return { value($0) < wanted }
            case "EXISTS": return { !value($0).isEmpty }
            case "NOT_EXISTS": return { value($0).isEmpty }
            default: return { _ in false }
            }
        }

        static let operators = [
            "EQUAL", "NOT_EQUAL", "LIKE", "NOT_LIKE", "GREATER_THAN", "LESS_THAN", "EXISTS", "NOT_EXISTS",
        ]

        static func unknownOperator(_ filter: JSON) -> String? {
            for condition in filter["conditions"]?.arrayValue ?? [] {
                let name = condition["operator"]?.stringValue ?? "EQUAL"
                if !operators.contains(name) { return name }
            }
            return (filter["groups"]?.arrayValue ?? []).lazy.compactMap(unknownOperator).first
        }

        static func countConditions(_ filter: JSON) -> Int {
            (filter["conditions"]?.arrayValue?.count ?? 0)
                + (filter["groups"]?.arrayValue ?? []).reduce(0) { $0 + countConditions($1) }
        }

        static func cursor(_ offset: Int) -> String { Data("cursor:\(offset)".utf8).base64EncodedString() }

        static func offset(of cursor: String) -> Int? {
            guard let data = Data(base64Encoded: cursor) else { return nil }
            let text = String(decoding: data, as: UTF8.self)
            guard text.hasPrefix("cursor:") else { return nil }
            return Int(text.dropFirst(7))
        }
    }
}
