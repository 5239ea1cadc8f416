/**
 * JSON data as block-style YAML, for `GET /api/schema/?format=yaml` without a YAML package.
 * Only what JSON can hold arrives here, so the emitter stays small: every string and every key that
 * is not a plain identifier is written as a double-quoted scalar (JSON's escapes are YAML's too),
 * which can never be read back as a number, boolean, null or YAML syntax.
 */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Words YAML 1.1 readers take for booleans or null even as keys.
const RESERVED = /^(?:y|n|yes|no|on|off|true|false|null)$/i;

const quote = (s: string) =>
  JSON.stringify(s)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
const key = (k: string) => (PLAIN_KEY.test(k) && !RESERVED.test(k) ? k : quote(k));

function scalar(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  throw new TypeError(`Cannot write ${typeof value} as YAML`);
}

const entriesOf = (value: object) => Object.entries(value).filter(([, v]) => v !== undefined);

/** A non-empty array or object goes on its own indented lines; everything else fits after its key. */
function isBlock(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  return Array.isArray(value) ? value.length > 0 : entriesOf(value).length > 0;
}

function inline(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  return scalar(value);
}

function block(value: object, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isBlock(item)) {
        out.push(`${pad}-`);
        block(item, indent + 2, out);
      } else {
        out.push(`${pad}- ${inline(item)}`);
      }
    }
    return;
  }
  for (const [k, v] of entriesOf(value)) {
    if (isBlock(v)) {
      out.push(`${pad}${key(k)}:`);
      block(v, indent + 2, out);
    } else {
      out.push(`${pad}${key(k)}: ${inline(v)}`);
    }
  }
}

export function toYaml(value: unknown): string {
  if (!isBlock(value)) return `${inline(value)}\n`;
  const out: string[] = [];
  block(value, 0, out);
  return `${out.join('\n')}\n`;
}
