import type { Decider, DomainEvent } from '../../src/domain/shared/decider.js';
import { DomainError } from '../../src/domain/shared/errors.js';

/** given(past events).when(command) → then(expected events) | thenThrows(kind) */
export function specFor<S, C, E extends DomainEvent>(decider: Decider<S, C, E>) {
  return (given: E[]) => ({
    when: (command: C) => {
      const decide = () => decider.decide(command, given.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected: E[]) => expect(decide()).toEqual(expected),
        thenThrows: (kind: DomainError['kind'], field?: string) => {
          let error: unknown;
          try {
            decide();
          } catch (err) {
            error = err;
          }
          expect(error).toBeInstanceOf(DomainError);
          expect((error as DomainError).kind).toBe(kind);
          if (field) expect(Object.keys((error as DomainError).fieldErrors ?? {})).toContain(field);
        },
      };
    },
  });
}
