import Foundation
import JSONCore
import LoopbackHTTP

/// Device42's REST API v1.0: devices with limit/offset paging and `total_count`, and device custom fields set one
/// key or many (`bulk_fields`) at a time, answering `code` 0 on success and non-zero on failure.
final class Device42Simulator: VendorSimulator, @unchecked Sendable {
    let name = "device42"
    static let username = "crypto-sync"
    static let password = "sandbox-device42-password"

    private let lock = NSLock()
    private var devices: [JSON] = []
    private var nextID = 1

    init(estate: SampleEstate) {
        for host in estate.hosts {
            add(
                name: host.fqdn, serial: host.serialNumber, ip: host.ipAddress,
                type: host.kind == .networkDevice || host.kind == .loadBalancer ? "physical" : "virtual", os: host.os,
                manufacturer: host.manufacturer, model: host.model, serviceLevel: host.environment.capitalized)
        }
        for asset in estate.others {
            add(
                name: asset.name.lowercased(), serial: asset.serialNumber, ip: asset.ipAddress, type: "physical",
                os: asset.type == "Printer" ? "" : "Windows 11 Enterprise", manufacturer: "Lenovo",
                model: asset.type == "Printer" ? "" : "ThinkPad T14", serviceLevel: "Production")
        }
    }

    private func add(
        name: String, serial: String, ip: String, type: String, os: String, manufacturer: String, model: String,
        serviceLevel: String
    ) {
        let id = nextID
        nextID += 1
        devices.append([
            "device_id": JSON(id), "name": .string(name), "serial_no": .string(serial),
            "uuid": .string(String(format: "4c4c4544-%04x-4010-8030-%012x", id, id * 7919)), "type": .string(type),
            "os": .string(os), "hw_model": .string(model), "manufacturer": .string(manufacturer),
            "ip_addresses": [["ip": .string(ip), "subnet": .string(Self.subnet(ip)), "label": "eth0", "type": 1]],
            "mac_addresses": [], "aliases": [], "tags": [], "service_level": .string(serviceLevel), "in_service": true,
            "last_updated": "2026-11-01T08:00:00.000Z", "custom_fields": [],
        ])
    }

    private static func subnet(_ ip: String) -> String {
        ip.split(separator: ".").prefix(3).joined(separator: ".") + ".0/24"
    }

    var credentials: JSON {
        ["auth": ["type": "basic", "username": .string(Self.username), "password": .string(Self.password)]]
    }

    func serves(_ path: String) -> Bool { path.hasPrefix("/api/1.0/") }

    func isAuthorized(_ request: HTTPServerRequest) -> Bool {
        request.basicCredentials.map { $0 == (Self.username, Self.password) } ?? false
    }

    func failure(status: Int, message: String) -> HTTPServerResponse {
        .json(status, ["msg": .string(message), "code": "1"])
    }

    func respond(to request: HTTPServerRequest) -> HTTPServerResponse {
        switch (request.method, request.path) {
        case ("GET", "/api/1.0/devices/all/"), ("GET", "/api/1.0/devices/all"): return list(request)
        case ("PUT", "/api/1.0/device/custom_field/"), ("PUT", "/api/1.0/device/custom_field"):
            return setCustomFields(request)
        default: return failure(status: 404, message: "The requested resource \(request.path) was not found.")
        }
    }

    private func list(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let parameters = request.queryItems
        guard let limit = Int(parameters["limit"] ?? "1000"), (1...1000).contains(limit),
            let offset = Int(parameters["offset"] ?? "0"), offset >= 0
        else { return failure(status: 400, message: "limit must be 1 to 1000 and offset 0 or more") }
        let (page, total) = lock.withLock { (Array(devices.dropFirst(offset).prefix(limit)), devices.count) }
        return .json(
            200, ["total_count": JSON(total), "offset": JSON(offset), "limit": JSON(limit), "Devices": .array(page)])
    }

    /// `name`, `device_id` or `serial` picks the device; `key`+`value` or `bulk_fields="k1:v1,k2:v2"` set fields.
    private func setCustomFields(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard request.header("Content-Type")?.contains("application/x-www-form-urlencoded") == true else {
            return failure(status: 400, message: "Send the fields form-encoded (application/x-www-form-urlencoded).")
        }
        let form = request.formFields
        var pairs: [(String, String)] = []
        if let bulk = form["bulk_fields"] {
            for pair in bulk.split(separator: ",") {
                guard let colon = pair.firstIndex(of: ":") else {
                    return .json(200, ["msg": .string("bulk_fields: \"\(pair)\" is not key:value"), "code": 5])
                }
                pairs.append((String(pair[..<colon]), String(pair[pair.index(after: colon)...])))
            }
        } else if let key = form["key"] {
            pairs.append((key, form["value"] ?? ""))
        }
        guard !pairs.isEmpty else {
            return .json(200, ["msg": "key (with value) or bulk_fields is required", "code": 5])
        }
        return lock.withLock {
            guard
                let index = devices.firstIndex(where: { device in
                    if let name = form["name"] { return device["name"]?.stringValue == name }
                    if let id = form["device_id"] { return device["device_id"]?.intValue == Int(id) }
                    if let serial = form["serial"] { return device["serial_no"]?.stringValue == serial }
                    return false
                })
            else {
                let wanted = form["name"] ?? form["device_id"] ?? form["serial"] ?? "(none given)"
                return .json(200, ["msg": .string("Device \(wanted) not found."), "code": 2])
            }
            var fields = devices[index]["custom_fields"]?.arrayValue ?? []
            for (key, value) in pairs {
                let entry: JSON = ["key": .string(key), "value": .string(value), "notes": .string(form["notes"] ?? "")]
                if let existing = fields.firstIndex(where: { $0["key"]?.stringValue == key }) {
                    fields[existing] = entry
                } else {
                    fields.append(entry)
                }
            }
            var device = devices[index].objectValue!
            device["custom_fields"] = .array(fields)
            device["last_updated"] = .string(ISO8601DateFormatter().string(from: Date()))
            devices[index] = .object(device)
            return .json(
                200,
                [
                    "msg": [
                        "custom key pair values added or updated", device["device_id"]!, device["name"]!, false, false,
                    ],
                    "code": 0,
                ])
        }
    }

    func snapshot() -> JSON { lock.withLock { ["devices": .array(devices), "next_id": JSON(nextID)] } }

    func restore(_ state: JSON) {
        lock.withLock {
            devices = state["devices"]?.arrayValue ?? []
            nextID = state["next_id"]?.intValue ?? devices.count + 1
        }
    }
}
