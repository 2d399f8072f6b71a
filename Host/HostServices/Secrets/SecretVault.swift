import Crypto
import Foundation
import Store

/// Integration secrets at rest: sealed with AES-256-GCM under the master key, the owner and name bound in as
/// authenticated data (a sealed value moved to another row does not open). Opening with the wrong key fails with
/// a message that says so; nothing is ever stored or returned in plaintext by mistake.
public final class SecretVault: Sendable {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    private let store: Store
    private let key: MasterKey
    public let redactor: Redactor

    public init(store: Store, key: MasterKey, redactor: Redactor = Redactor()) {
        self.store = store
        self.key = key
        self.redactor = redactor
    }

    public func save(owner: String, secrets: [String: String]) throws {
        for secret in try seal(owner: owner, secrets: secrets) { try store.saveSecret(secret) }
    }

    /// Throws unless the store's secrets are sealed under this vault's key (or there are none): one sealed under
    /// another key would leave no key that opens them all, and every job of the others would fail.
    public func checkKeyMatchesStore() throws {
        let others = try store.secretKeyIDs().subtracting([key.id]).sorted()
        guard others.isEmpty else { throw KeyMismatch(stored: others, configured: key.id) }
    }

    /// The secrets sealed for `owner`, for a caller that stores them in its own transaction (where a key other than
    /// the one the other owners' secrets are sealed under is refused).
    public func seal(owner: String, secrets: [String: String]) throws -> [SealedSecret] {
        redactor.register(secrets.values)
        return try secrets.sorted { $0.key < $1.key }.map {
            try seal(owner: owner, name: $0.key, value: $0.value, with: key)
        }
    }

    /// The secrets of an owner, opened. Registers them with the redactor before returning them.
    public func secrets(owner: String) throws -> [String: String] {
        var opened: [String: String] = [:]
        for sealed in try store.secrets(owner: owner) { opened[sealed.name] = try open(sealed, with: key) }
        redactor.register(opened.values)
        return opened
    }

    public func delete(owner: String) throws { try store.deleteSecrets(owner: owner) }

    /// Re-seals every secret under `newKey` in one transaction; returns how many. The vault keeps the old key, so
    /// the caller switches configuration to the new key afterwards.
    @discardableResult
    public func rotate(to newKey: MasterKey) throws -> Int {
        try store.resealSecrets { all in
            let foreign = all.filter { $0.keyID != key.id }
            // The wrong key: none opens with it.
            guard foreign.count < all.count || all.isEmpty else {
                throw KeyMismatch(stored: Set(foreign.map(\.keyID)).sorted(), configured: key.id)
            }
            // A store an earlier release left under two keys: whose secrets this key cannot open, and the way out.
            guard foreign.isEmpty else {
                throw Problem(
                    description:
                        "the secrets of \(Set(foreign.map(\.owner)).sorted().joined(separator: ", ")) are sealed under "
                        + "another master key than the configured one (\(key.id)): enter their credentials again "
                        + "(`cryptoconnect integrations update INTEGRATION --config FILE` seals them under this key), or "
                        + "configure the key they were sealed with, then rotate")
            }
            return try all.map { sealed in
                try seal(owner: sealed.owner, name: sealed.name, value: try open(sealed, with: key), with: newKey)
            }
        }
    }

    private func seal(owner: String, name: String, value: String, with key: MasterKey) throws -> SealedSecret {
        let box = try AES.GCM.seal(Data(value.utf8), using: key.key, authenticating: Data("\(owner)\n\(name)".utf8))
        guard let combined = box.combined else { throw Problem(description: "AES-GCM sealing failed") }
        return SealedSecret(owner: owner, name: name, keyID: key.id, sealed: Array(combined))
    }

    private func open(_ sealed: SealedSecret, with key: MasterKey) throws -> String {
        guard sealed.keyID == key.id else {
            throw Problem(
                description: "secret \(sealed.name) of \(sealed.owner) was sealed with master key \(sealed.keyID), but "
                    + "the configured master key is \(key.id): configure the key it was stored with")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: Data(sealed.sealed))
            let plain = try AES.GCM.open(
                box, using: key.key, authenticating: Data("\(sealed.owner)\n\(sealed.name)".utf8))
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw Problem(
                description: "secret \(sealed.name) of \(sealed.owner) does not open: it was altered or moved")
        }
    }
}
