import { clientToolDeclarations } from '../../../src/domain/agents/tools.js';
import { DomainError } from '../../../src/domain/shared/errors.js';

const tool = (over: Record<string, unknown> = {}) => ({
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  ...over,
});

const refusal = (tools: unknown) => {
  try {
    clientToolDeclarations(tools);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('validation');
    return (err as DomainError).message;
  }
  throw new Error('accepted');
};

describe('client tool declarations', () => {
  it('accepts well-formed tools and none at all', () => {
    expect(clientToolDeclarations([tool()])).toEqual([tool()]);
    expect(clientToolDeclarations(undefined)).toEqual([]);
    expect(clientToolDeclarations([tool({ description: undefined })])).toEqual([tool({ description: '' })]);
  });

  it.each([
    ['a name with a space', [tool({ name: 'get weather' })], /name must be/],
    ['a name of 65 characters', [tool({ name: 'x'.repeat(65) })], /name must be/],
    ['an empty name', [tool({ name: '' })], /name must be/],
    ['a name twice', [tool(), tool()], /declared twice/],
    ['a server tool name', [tool({ name: 'search_documents' })], /server tool/],
    ['parameters that are no object schema', [tool({ parameters: { type: 'string' } })], /"type": "object"/],
    ['parameters missing', [tool({ parameters: undefined })], /parameters must be/],
    [
      'an unknown type',
      [tool({ parameters: { type: 'object', properties: { a: { type: 'date' } } } })],
      /type must be/,
    ],
    ['properties of no schema', [tool({ parameters: { type: 'object', properties: { a: 3 } } })], /JSON Schema object/],
    ['required not a list', [tool({ parameters: { type: 'object', required: 'city' } })], /required/],
    ['an empty anyOf', [tool({ parameters: { type: 'object', anyOf: [] } })], /anyOf/],
    ['a tool that is no object', ['get_weather'], /must be an object/],
    ['tools that are no list', { name: 'x' }, /must be a list/],
    [
      'more than 64,000 characters of declarations in all',
      Array.from({ length: 10 }, (_, i) =>
        tool({
          name: `t${i}`,
          description: 'x'.repeat(1900),
          parameters: { type: 'object', description: 'y'.repeat(5000) },
        }),
      ),
      /in all/,
    ],
  ])('refuses %s', (_what, tools, message) => expect(refusal(tools)).toMatch(message));
});
