/// The shape every aggregate follows: `decide` turns a command into events against the
/// current state (or refuses it), `evolve` folds one event into the state.
///
/// ```swift
/// let state = events.reduce(OpportunityDecider.initialState, OpportunityDecider.evolve)
/// let new = try OpportunityDecider.decide(.win(...), state, context)
/// ```
public protocol Decider {
    associatedtype Command: Sendable
    associatedtype Event: AggregateEvent
    associatedtype State: Sendable

    static var initialState: State { get }
    static func decide(_ command: Command, _ state: State, _ context: CommandContext) throws(Rejection) -> [Event]
    static func evolve(_ state: State, _ event: Event) -> State
}

extension Decider {
    /// Folds a stream's events, oldest first.
    public static func fold(_ events: some Sequence<Event>, from state: State = initialState) -> State {
        events.reduce(state, evolve)
    }
}
