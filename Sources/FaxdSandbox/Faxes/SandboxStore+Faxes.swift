import Foundation

extension SandboxStore {
    /// Creates a fax: places a one-page hold, stores the record and starts its lifecycle.
    ///
    /// - Returns: the new record, or why nothing was created.
    func createFax(
        environment: EnvironmentHandle,
        to: String,
        document: FaxDocument,
        options: FaxOptions,
        idempotencyKey: String?,
        resentFrom: String?
    ) -> FaxCreation {
        let now = clock.now()
        let hold = configuration.pricePerPageCents
        let (creation, generation) = withState { state -> (FaxCreation, Int) in
            let index = environment.index
            guard state.environments[index].balance.hold(hold) else {
                return (.insufficientBalance(available: state.environments[index].balance.available, required: hold), state.generation)
            }
            let record = FaxRecord(
                id: Identifier.fax(),
                sequence: state.environments[index].faxOrder.count,
                to: to,
                document: document,
                options: options,
                idempotencyKey: idempotencyKey,
                resentFrom: resentFrom,
                holdCents: hold,
                createdAt: now
            )
            state.environments[index].faxes[record.id] = record
            state.environments[index].faxOrder.append(record.id)
            for (key, value) in options.tags {
                state.environments[index].faxSequencesByTag[SandboxEnvironment.tagKey(key, value), default: []].append(record.sequence)
            }
            return (.created(record), state.generation)
        }
        if case .created(let record) = creation {
            startLifecycle(FaxLifecycleJob(generation: generation, environmentIndex: environment.index, faxID: record.id))
        }
        return creation
    }

    /// The fax with `id` in the environment, or `nil`.
    func fax(environment: EnvironmentHandle, id: String) -> FaxRecord? {
        withState { $0.environments[environment.index].faxes[id] }
    }

    /// Whether the environment keeps nothing of `fax` by now but its id, status and timestamps.
    func isStripped(_ fax: FaxRecord, environment: EnvironmentHandle) -> Bool {
        Self.isStripped(fax, configuration.environments[environment.index], now: clock.now())
    }

    private static func isStripped(_ fax: FaxRecord, _ environment: EnvironmentConfiguration, now: Date) -> Bool {
        guard environment.zeroFootprint, fax.status.isTerminal else { return false }
        return now.timeIntervalSince(fax.completedAt ?? fax.updatedAt) >= environment.zeroFootprintGraceSeconds
    }

    /// One page of the environment's faxes, newest first.
    ///
    /// - Returns: `nil` when the query's cursor names no fax of this environment.
    func listFaxes(environment: EnvironmentHandle, query: FaxListQuery) -> FaxPage? {
        let now = clock.now()
        return withState { state -> FaxPage? in
            let faxes = state.environments[environment.index].faxes
            let order = state.environments[environment.index].faxOrder
            var position = order.count - 1
            if let cursor = query.cursor {
                guard let after = faxes[cursor] else { return nil }
                position = after.sequence - 1
            }
            var page: [FaxRecord] = []
            var hasMore = false
            let configuration = state.environments[environment.index].configuration
            // Newest first from `position`: of the faxes with the query's rarest tag, or of all.
            let byTag = state.environments[environment.index].faxSequencesByTag
            let candidates = query.tags.map { tag in byTag[SandboxEnvironment.tagKey(tag.key, tag.value)] ?? [] }.min {
                $0.count < $1.count
            }
            var next = candidates.map { sequences in sequences.lastIndex { $0 <= position } ?? -1 } ?? position
            while next >= 0 {
                let sequence = candidates?[next] ?? next
                if let fax = faxes[order[sequence]], query.matches(fax), !Self.isStripped(fax, configuration, now: now) {
                    if page.count == query.perPage {
                        hasMore = true
                        break
                    }
                    page.append(fax)
                }
                next -= 1
            }
            return FaxPage(data: page, nextCursor: hasMore ? page.last?.id : nil, hasMore: hasMore)
        }
    }

    /// The current balance of the environment.
    func balance(environment: EnvironmentHandle) -> Balance {
        withState { $0.environments[environment.index].balance }
    }
}
