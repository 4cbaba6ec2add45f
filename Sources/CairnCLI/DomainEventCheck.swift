import CairnDomain
import CairnStore

/// Events of the CRM's own contexts must be what the domain would have written: a payload the
/// read models cannot decode would stop them at that event. Appending them by hand is for
/// repairs and imports; anything else belongs in other contexts (`ops.`, `demo.`, …).
enum DomainEventCheck {
    static let contexts: Set<Substring> = ["customers", "sales", "marketing", "service"]

    static func validate(_ event: NewEvent) throws {
        guard let context = event.type.split(separator: ".").first, contexts.contains(context) else { return }
        do {
            _ = try EventCatalogue.decode(type: event.type, schemaVersion: Int(event.schemaVersion), payload: event.payload)
        } catch {
            throw CLIError("\(event.type) v\(event.schemaVersion) is a domain event and its payload does not decode: \(error)")
        }
    }
}
