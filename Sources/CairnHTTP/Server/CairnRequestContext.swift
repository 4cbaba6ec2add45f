public import CairnService
public import Hummingbird

/// The per-request context: Hummingbird's core storage and the authenticated key.
public struct CairnRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set once the request's `Authorization` is accepted.
    public var principal: AccessKey?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }
}
