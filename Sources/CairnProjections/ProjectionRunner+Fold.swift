import CairnStore

extension ProjectionRunner {
    enum StepOutcome: Sendable {
        /// Folded through `checkpoint` (events that did not match the filter included).
        case advanced(checkpoint: UInt64)
        /// Nothing stored past the checkpoint yet.
        case atHead
        /// The fold threw on the event at `position`; everything before it is committed.
        case failed(position: UInt64, message: String, checkpoint: UInt64)
    }

    /// Starts folding. `onCaughtUp` runs (on this runner's task) the first time the runner
    /// reaches the head; `onFailed` when it stops at a poison event. A runner without a
    /// projector (frozen) does not fold.
    func start(
        onCaughtUp: @escaping @Sendable (ProjectionRunner) async -> Void,
        onFailed: @escaping @Sendable (ProjectionRunner, ProjectionError) -> Void
    ) {
        guard projector != nil else { return }
        setTask(Task { await self.run(onCaughtUp: onCaughtUp, onFailed: onFailed) })
    }

    private func run(
        onCaughtUp: @Sendable (ProjectionRunner) async -> Void,
        onFailed: @Sendable (ProjectionRunner, ProjectionError) -> Void
    ) async {
        var from = checkpoint + 1
        advance(to: from - 1)  // the first rate sample
        while !Task.isCancelled {
            let outcome: StepOutcome
            do {
                outcome = try await writer.run { [from] in try self.step(from: from) }
            } catch LMDBError.closed {
                return  // the log closed under us: the engine is shutting down
            } catch {
                outcome = .failed(position: from, message: "\(error)", checkpoint: from - 1)
            }
            switch outcome {
            case .advanced(let checkpoint):
                advance(to: checkpoint)
                from = checkpoint + 1
            case .failed(let position, let message, let checkpoint):
                advance(to: checkpoint)
                fail(at: position, message)
                onFailed(self, failedError(position, message))
                return
            case .atHead:
                if markCaughtUp() { await onCaughtUp(self) }
                // Park until something is committed at `from` (or the task is cancelled, or
                // the log closes), then read it in batches again.
                var iterator = log.subscribe(from: from, batchSize: 1).makeAsyncIterator()
                guard (try? await iterator.next()) != nil else { return }
            }
        }
    }

    /// Folds the events from `from` on — up to a batch, from the engine's shared decoded pages
    /// — with their checkpoint, in one transaction. Runs on the writer queue.
    func step(from: UInt64) throws -> StepOutcome {
        guard let projector else { return .atHead }
        var events: [ProjectedEvent] = []
        var next = from
        let prefixes = filter.typePrefixes
        fill: while events.count < batchSize, next - from < UInt64(batchSize) * 4 {
            guard let (page, start) = try feed.page(at: next, reader: ObjectIdentifier(self)) else { break }
            let wanted = page.distinctTypes.map { type in prefixes.isEmpty || prefixes.contains { type.hasPrefix($0) } }
            for index in start..<page.records.count {
                if events.count == batchSize { break fill }
                if wanted[page.typeIndices[index]] {
                    events.append(ProjectedEvent(page: page, index: index))
                }
                next += 1
            }
        }
        guard next > from else {
            feed.leave(ObjectIdentifier(self))
            return .atHead
        }
        let through = next - 1
        let batch = events[...]
        // Nothing to fold: move on without a commit and its fsync (live, most projections
        // skip most appends), until a whole step's span has passed unrecorded.
        if batch.isEmpty, through - persistedCheckpoint < maxStepSpan {
            return .advanced(checkpoint: through)
        }
        do {
            try env.write { txn in
                if !batch.isEmpty { try projector.fold(batch, into: model, txn) }
                try writeCheckpoint(through, txn)
            }
            committedCheckpoint(through)
            return .advanced(checkpoint: through)
        } catch {
            feed.leave(ObjectIdentifier(self))
            return try isolateFailure(batch, from: from, batchError: error, projector)
        }
    }

    /// The batch failed: find the first event that fails on its own, then commit everything
    /// before it, so the projection stops exactly there and never skips it.
    private func isolateFailure(
        _ events: ArraySlice<ProjectedEvent>, from: UInt64, batchError: any Error, _ projector: any Projector
    ) throws -> StepOutcome {
        struct Abandon: Error {}
        var culprit: (index: Int, error: any Error)?
        do {
            // Fold one event per call in a transaction that is always abandoned.
            try env.write { txn in
                culprit = nil
                for index in events.indices {
                    do {
                        try projector.fold(events[index...index], into: model, txn)
                    } catch {
                        if LMDBError.mapFull ~= error { throw error }  // let the map grow
                        culprit = (index, error)
                        break
                    }
                }
                throw Abandon()
            }
        } catch is Abandon {}
        guard let culprit else {
            // Every event folds alone but not together (or the checkpoint write failed):
            // stop before the batch rather than guess.
            let position = events.first?.position ?? from
            return .failed(position: position, message: "\(batchError)", checkpoint: from - 1)
        }
        let position = events[culprit.index].position
        if position > from {
            try env.write { txn in
                if culprit.index > events.startIndex {
                    try projector.fold(events[..<culprit.index], into: model, txn)
                }
                try writeCheckpoint(position - 1, txn)
            }
            committedCheckpoint(position - 1)
        }
        return .failed(position: position, message: "\(culprit.error)", checkpoint: position - 1)
    }
}
