public import CairnStore

/// Signs the log's tree head on a schedule — whenever the log has grown since the last signed
/// head — so there is always a recent commitment that later proofs and exports can point to
/// and that consistency proofs can chain. On-demand heads go through
/// ``EventLog/signTreeHead(with:)`` directly.
public actor TreeHeadNotary {
    private let log: EventLog
    private let signer: TreeHeadSigner
    /// What went wrong at the last scheduled signing, if it failed.
    public private(set) var lastFailure: String?

    public init(log: EventLog, signer: TreeHeadSigner) {
        self.log = log
        self.signer = signer
    }

    /// Signs the head if it is past the latest signed head (or none is signed yet); returns
    /// the new signed head, or nil when there was nothing new to commit to.
    @discardableResult
    public func signIfGrown() async throws -> SignedTreeHead? {
        let head = try log.head()
        if let latest = try log.latestSignedTreeHead(), latest.treeSize >= head { return nil }
        return try await log.signTreeHead(with: signer)
    }

    /// Signs every `interval` until the task is cancelled. A failure is kept in
    /// ``lastFailure`` and retried at the next interval. `sleep` is injectable.
    public func run(
        interval: Duration, sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async {
        while !Task.isCancelled {
            do {
                try await signIfGrown()
                lastFailure = nil
            } catch {
                lastFailure = "\(error)"
            }
            do { try await sleep(interval) } catch { return }
        }
    }
}
