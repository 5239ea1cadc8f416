// What the first three passes of normalizeWhitespace rewrite: carriage returns, page and other breaks, control and zero-width
// characters. Ordinary text has none, and one scan finding none is cheaper than three passes scanning for them.
const RARE_CHARACTERS = /[\r\f\v\u2028\u2029\u0000-\u0008\u000e-\u001f\u007f\u200b\u2060\ufeff]/;

/**
 * One space between words, one blank line between paragraphs, no trailing
 * spaces, no control or zero-width characters; line breaks inside a
 * paragraph are kept (they matter in CSV and Markdown).
 */
export function normalizeWhitespace(text: string): string {
  const plain = RARE_CHARACTERS.test(text)
    ? text
        .replace(/\r\n?/g, '\n')
        .replace(/[\f\v\u2028\u2029]/g, '\n\n')
        .replace(/[\u0000-\u0008\u000e-\u001f\u007f\u200b\u2060\ufeff]/g, '')
    : text;
  return (
    plain
      // Only runs that change: a lone space or a bare line break matches nothing, so ordinary prose is
      // scanned without being rebuilt (replacing every space with itself cost ~7x more on plain text).
      .replace(/[^\S\n ][^\S\n]*| [^\S\n]+/g, ' ')
      .replace(/ +\n *|\n +/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}
