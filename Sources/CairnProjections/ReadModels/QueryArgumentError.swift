/// A query refused an argument its caller gave — a cursor it did not issue, a page size out of
/// range: the caller's mistake (HTTP 400), never a fault of the read model.
package protocol QueryArgumentError: Error, CustomStringConvertible {
    /// The parameter at fault (`cursor`, `limit`).
    var parameter: String { get }
}
