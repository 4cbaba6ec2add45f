import Foundation

/// One invalid field of a command: where (`/emails/0`) and what is wrong with it.
public struct FieldIssue: Sendable, Hashable, CustomStringConvertible {
    /// JSON-pointer-like location in the command, e.g. `/phones/1`.
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Why a command was refused. `kind` tells the transport how to answer:
///
/// - `.invalid`: the command's shape is wrong — `issues` lists **every** invalid field (HTTP 400,
///   code `validation.failed`); nothing was checked against state.
/// - `.notFound`: the command targets an aggregate that does not exist (HTTP 404, `*.notFound`).
/// - `.conflict`: a business rule refused it against the current state (HTTP 409) — `code` is
///   stable and machine-readable, e.g. `opportunity.closed`. A command to a merged customer is a
///   conflict with code `customer.merged` whose `survivorId` points at the surviving customer.
public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case invalid
        case notFound
        case conflict
    }

    public let kind: Kind
    /// Stable, dotted, machine-readable rule code (`opportunity.closed`, `lead.converted`, …).
    public let code: String
    /// Human explanation; wording may change, `code` does not.
    public let message: String
    /// The command field the rule is about, when there is one.
    public let path: String?
    /// Every invalid field, for `kind == .invalid`; empty otherwise.
    public let issues: [FieldIssue]
    /// For `customer.merged`: the customer the merged one now lives on.
    public let survivorId: String?

    public init(kind: Kind, code: String, message: String, path: String? = nil, issues: [FieldIssue] = [], survivorId: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.path = path
        self.issues = issues
        self.survivorId = survivorId
    }

    /// Shape validation failed; `issues` holds every invalid field.
    public static func invalid(_ issues: [FieldIssue]) -> Rejection {
        Rejection(
            kind: .invalid, code: "validation.failed",
            message: "The command has \(issues.count) invalid field(s): " + issues.map(\.description).joined(separator: "; "),
            issues: issues)
    }

    static func notFound(_ aggregate: String, _ id: String) -> Rejection {
        Rejection(kind: .notFound, code: "\(aggregate).notFound", message: "No \(aggregate) with id '\(id)'.")
    }

    static func rule(_ code: String, _ message: String, path: String? = nil) -> Rejection {
        Rejection(kind: .conflict, code: code, message: message, path: path)
    }

    public var description: String { "\(code): \(message)" }
}

/// Collects field issues so a command reports all of them at once.
struct FieldValidator {
    private(set) var issues: [FieldIssue] = []

    mutating func add(_ path: String, _ message: String) { issues.append(FieldIssue(path: path, message: message)) }

    mutating func check(_ condition: Bool, _ path: String, _ message: @autoclosure () -> String) {
        if !condition { add(path, message()) }
    }

    mutating func id(_ value: String, _ path: String) {
        check(Identifier.isValid(value), path, "must be 1–100 characters of A–Z, a–z, 0–9, '_' or '-'")
    }

    mutating func text(_ value: String, _ path: String, max: Int = 500) {
        // ASCII without a carriage return (which joins a following line feed into one
        // character) is one character per byte: checked on bytes, as almost every value is.
        if value.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) {
            check(value.utf8.contains { !($0 == 0x20 || (0x09...0x0C).contains($0)) }, path, "must not be empty")
            check(value.utf8.count <= max, path, "must be at most \(max) characters")
            return
        }
        let trimmed = value.trimmingWhitespace
        check(!trimmed.isEmpty, path, "must not be empty")
        check(value.count <= max, path, "must be at most \(max) characters")
    }

    mutating func optionalText(_ value: String?, _ path: String, max: Int = 500) {
        if let value { text(value, path, max: max) }
    }

    mutating func email(_ value: String, _ path: String) {
        check(ContactValidation.isValidEmail(value), path, "must be a valid email address")
    }

    mutating func phone(_ value: String, _ path: String) {
        check(ContactValidation.isValidE164(value), path, "must be an E.164 phone number such as +14155550123")
    }

    mutating func currency(_ value: String, _ path: String) {
        check(CurrencyCode.isValid(value), path, "must be an ISO 4217 currency code")
    }

    mutating func money(_ value: Money, _ path: String) {
        check(value.amount >= 0, "\(path)/amount", "must be zero or more")
        currency(value.currency, "\(path)/currency")
    }

    /// Throws `Rejection.invalid` if anything was collected.
    func finish() throws(Rejection) {
        if !issues.isEmpty { throw Rejection.invalid(issues) }
    }
}

extension String {
    var trimmingWhitespace: Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}

extension FieldValidator {
    static func finish(_ issues: [FieldIssue]) throws(Rejection) {
        if !issues.isEmpty { throw Rejection.invalid(issues) }
    }
}
