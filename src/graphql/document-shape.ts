import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Size and depth of a parsed document, each fragment worked out once: following every spread afresh
 * costs fanout^levels on `fragment A { ...B ...B ...B }` chains. A fragment met again while it is
 * being measured (a cycle, which validation reports) counts as empty.
 */
function measure(
  document: DocumentNode,
  ofField: (field: FieldNode, nested: number | null) => number,
  combine: (a: number, b: number) => number,
) {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const known = new Map<string, number>();
  const ofSet = (set: SelectionSetNode | undefined): number => {
    let total = 0;
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) total = combine(total, ofField(s, s.selectionSet ? ofSet(s.selectionSet) : null));
      else if (s.kind === Kind.INLINE_FRAGMENT) total = combine(total, ofSet(s.selectionSet));
      else total = combine(total, ofSpread(s.name.value));
    }
    return total;
  };
  const ofSpread = (name: string): number => {
    const seen = known.get(name);
    if (seen !== undefined) return seen;
    known.set(name, 0);
    const value = ofSet(fragments.get(name)?.selectionSet);
    known.set(name, value);
    return value;
  };
  return (operation: OperationDefinitionNode) => ofSet(operation.selectionSet);
}

const operations = (document: DocumentNode) =>
  document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

/** Fields the document's operations select, fragments counted wherever they are spread. */
export function expandedFieldCount(document: DocumentNode): number {
  // A leaf is one field; a field with a selection is one plus what it selects.
  const count = measure(
    document,
    (_field, nested) => 1 + (nested ?? 0),
    (a, b) => a + b,
  );
  return operations(document).reduce((sum, op) => sum + count(op), 0);
}

/**
 * Each operation's depth as graphql-depth-limit counts it: a leaf is 0, a field with a selection one
 * more than its deepest child; introspection fields (`__schema`, `__type`) count 0.
 */
export function operationDepths(document: DocumentNode): { operation: OperationDefinitionNode; depth: number }[] {
  const depth = measure(
    document,
    (field, nested) => (nested === null || field.name.value.startsWith('__') ? 0 : 1 + nested),
    Math.max,
  );
  return operations(document).map((operation) => ({ operation, depth: depth(operation) }));
}
