import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { expandedFieldCount } from '../../src/graphql/document-shape.js';
import { depthRule, MAX_DEPTH, MAX_FIELDS, tooManyFields } from '../../src/graphql/limits.js';

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

describe('depth limit with fragments', () => {
  it('counts depth through fragments, each worked out once', () => {
    const deep = `{ ...A } fragment A on Query { node { ...B } } fragment B on Node { ${'child { '.repeat(MAX_DEPTH)}id${' }'.repeat(MAX_DEPTH)} }`;
    const errors = validate(schema, parse(deep), [...specifiedRules, depthRule]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/exceeds maximum operation depth/)]);
  });

  it("leaves a fragment cycle to graphql's own rule instead of overflowing the stack", () => {
    const errors = validate(schema, parse('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'), [
      ...specifiedRules,
      depthRule,
    ]);
    expect(errors.map((e) => e.message)).toEqual(['Cannot spread fragment "A" within itself via "B".']);
  });

  it("answers an unknown fragment with graphql's own error", () => {
    const errors = validate(schema, parse('{ ...Missing }'), [...specifiedRules, depthRule]);
    expect(errors.map((e) => e.message)).toEqual(['Unknown fragment "Missing".']);
  });
});

describe('field count', () => {
  it('counts fields as execution would expand them, fragments wherever spread', () => {
    expect(expandedFieldCount(parse('{ node { id child { id } } }'))).toBe(4);
    expect(
      expandedFieldCount(parse('{ a: node { ...F } b: node { ...F } } fragment F on Node { id child { id } }')),
    ).toBe(8);
  });

  it('measures a fragment fan-out of 10^9 fields without expanding it', () => {
    const fanOut = `{ ...F0 } ${Array.from({ length: 9 }, (_, i) => `fragment F${i} on Query { ${`...F${i + 1} `.repeat(10)}}`).join(' ')} fragment F9 on Query { node { id } }`;
    expect(expandedFieldCount(parse(fanOut))).toBe(2 * 10 ** 9);
    expect(tooManyFields(parse(fanOut))?.extensions.code).toBe('QUERY_TOO_LARGE');
  });

  it(`lets the introspection query through (at most ${MAX_FIELDS} fields)`, () => {
    expect(
      tooManyFields(
        parse(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true })),
      ),
    ).toBeNull();
  });
});
