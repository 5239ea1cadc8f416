import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { depthRule, MAX_DEPTH } from '../../src/graphql/limits.js';

// Chronicle's own schema is shallow; a self-referential one shows the rule at work.
const schema = buildSchema('type Node { id: ID child: Node } type Query { node: Node }');
const nested = (depth: number) => `{ ${'node { '.repeat(1)}${'child { '.repeat(depth - 1)}id${' }'.repeat(depth)} }`;

describe('depth limit', () => {
  it(`accepts a query ${MAX_DEPTH} levels deep`, () => {
    expect(validate(schema, parse(nested(MAX_DEPTH)), [...specifiedRules, depthRule])).toEqual([]);
  });

  it(`refuses one ${MAX_DEPTH + 1} levels deep`, () => {
    const errors = validate(schema, parse(nested(MAX_DEPTH + 1)), [...specifiedRules, depthRule]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/exceeds maximum operation depth/)]);
  });
});
