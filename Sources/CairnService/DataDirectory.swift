/// What the service keeps where in a data directory.
public enum DataDirectory {
    /// Top-level directories whose environments are derived from the log and hold positions
    /// into it (read models, consumer checkpoints, answered commands): a backup copies them
    /// before the log, so a restored copy is never ahead of its log.
    public static let derivedFromLog: Set<String> = ["projections", "consumers", "idempotency"]
}
