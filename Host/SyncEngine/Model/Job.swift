import Foundation
import JSONCore

/// A unit of sync work in the durable queue.
public struct Job: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Send changed inventory records to the target.
        case push
        /// Read asset context from the target.
        case pull
    }

    public enum Trigger: String, Sendable {
        case realtime
        case schedule
        case manual
        case replay
    }

    public enum State: String, Sendable {
        case queued
        case running
        case succeeded
        case failed
    }

    /// Critical alerts first, bulk refreshes last.
    public enum Priority {
        public static let critical = 100
        public static let high = 50
        public static let normal = 10
        public static let bulk = 0
    }

    public let id: Int64
    public let integration: String
    public let tenant: String
    public let kind: Kind
    public let trigger: Trigger
    /// Reconcile everything rather than only what changed.
    public let full: Bool
    public let priority: Int
    public let state: State
    /// The records a real-time or replay job is about; nil for a delta over the whole inventory.
    public let recordIDs: [String]?
    /// A full push's progress: the last record of the last batch whose acknowledgements are committed, after which
    /// the job goes on when it is taken up again; nil before any.
    public let pushCursor: String?
    public let attempts: Int
    public let notBefore: Date?
    public let createdAt: String
    public let startedAt: String?
    public let finishedAt: String?
    public let stats: JSON?
    public let error: String?
}
