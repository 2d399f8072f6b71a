import Foundation
import JSONCore

/// The dictionary (classes and columns) and the CIs the instance starts with.
extension ServiceNowSimulator {
    /// Class → parent class.
    static let classes: [String: String?] = [
        "cmdb_ci": nil, "cmdb_ci_hardware": "cmdb_ci", "cmdb_ci_computer": "cmdb_ci_hardware",
        "cmdb_ci_server": "cmdb_ci_computer", "cmdb_ci_linux_server": "cmdb_ci_server",
        "cmdb_ci_win_server": "cmdb_ci_server", "cmdb_ci_netgear": "cmdb_ci_hardware",
        "cmdb_ci_lb_bigip": "cmdb_ci_netgear",
    ]

    static let systemColumns: Set<String> = ["sys_id", "sys_class_name", "sys_created_on", "sys_updated_on"]
    static let referenceColumns: Set<String> = ["manufacturer"]
    /// The columns of `cmdb_ci_hardware` and below, with the `u_` crypto columns the connector's README asks an
    /// administrator to create.
    static let columns: Set<String> = systemColumns.union([
        "name", "fqdn", "ip_address", "mac_address", "serial_number", "os", "os_version", "manufacturer",
        "model_number", "environment", "operational_status", "install_status", "discovery_source", "last_discovered",
        "correlation_id", "short_description", "u_crypto_risk_score", "u_crypto_protocol", "u_crypto_weakest_cipher",
        "u_crypto_certificate_expiry", "u_crypto_key_size", "u_crypto_compliance",
    ])

    /// `sys_dictionary` rows: every column of every class (inherited columns listed on each, for simplicity).
    static let dictionary: [[String: String]] = classes.keys.sorted().flatMap { table in
        columns.sorted().map { column in
            [
                "sys_id": referenceID("\(table).\(column)"), "name": table, "element": column,
                "internal_type": column == "u_crypto_risk_score" || column == "u_crypto_key_size"
                    ? "integer" : column.hasSuffix("_on") || column == "last_discovered" ? "glide_date_time" : "string",
            ]
        }
    }

    static func referenceID(_ displayValue: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in displayValue.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return String(format: "%016llx%016llx", hash, hash ^ 0xA5A5_A5A5_A5A5_A5A5)
    }

    /// Two thirds of the estate's hosts as CIs under their short names, plus servers the platform has not scanned.
    func seed() {
        for host in seedEstate.hosts where host.inCMDB {
            let className: String
            switch host.kind {
            case .linuxServer: className = "cmdb_ci_linux_server"
            case .windowsServer: className = "cmdb_ci_win_server"
            case .loadBalancer: className = "cmdb_ci_lb_bigip"
            case .networkDevice: className = "cmdb_ci_netgear"
            }
            _ = insert(
                className,
                [
                    "name": host.name, "fqdn": host.fqdn, "ip_address": host.ipAddress,
                    "serial_number": host.serialNumber,
                    "os": host.os, "manufacturer": host.manufacturer, "model_number": host.model,
                    "environment": host.environment == "production" ? "Production" : host.environment.capitalized,
                    "discovery_source": "ServiceNow", "operational_status": "1",
                ], source: nil)
        }
        for index in 0..<25 {
            let record = insert(
                "cmdb_ci_linux_server",
                [
                    "name": "legacy-\(String(format: "%03d", index))", "ip_address": "10.90.0.\(10 + index)",
                    "serial_number": "LG\(String(format: "%06d", 700_000 + index))", "os": "CentOS 7",
                    "manufacturer": "Dell Inc.", "environment": "Production", "discovery_source": "ServiceNow",
                    "operational_status": index % 5 == 0 ? "6" : "1",
                ], source: nil)
            // Four CIs an ACL keeps from the integration user, three of them side by side.
            if [6, 7, 8, 12].contains(index), let sysID = record["sys_id"] { restricted.insert(sysID) }
        }
    }

    func snapshot() -> JSON {
        lock.withLock {
            [
                "records": .array(order.compactMap { records[$0] }.map { .object($0.mapValues(JSON.string)) }),
                "sources": .object(sources.mapValues(JSON.string)), "sequence": JSON(Int(sequence)),
                "restricted": JSON(restricted.sorted()),
            ]
        }
    }

    func restore(_ state: JSON) {
        lock.withLock {
            records = [:]
            order = []
            for item in state["records"]?.arrayValue ?? [] {
                guard let record = item.objectValue?.compactMapValues(\.stringValue), let sysID = record["sys_id"]
                else { continue }
                records[sysID] = record
                order.append(sysID)
            }
            sources = (state["sources"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            sequence = UInt64(state["sequence"]?.intValue ?? Int(sequence))
            restricted = Set(state["restricted"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
    }
}
