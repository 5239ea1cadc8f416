import { analyze, queryTerms } from '../retrieval/bm25-index.js';
import type { CompletionRequest, ContextPassage, LlmProvider } from './port.js';

export const NOTHING_FOUND = "I found nothing relevant to your question in this workspace's documents.";
const NO_MATCH_LEAD =
  "None of the workspace's documents use the words of your question; these are the passages it was given:";

const MAX_PASSAGES = 3;
const MAX_SENTENCES_PER_PASSAGE = 3;
const MAX_SENTENCE_CHARS = 400;
// An answer is produced in one go; yielding to the event loop now and then lets a client's disconnect be seen.
const TOKENS_BETWEEN_BREATHS = 32;

interface Sentence {
  text: string;
  terms: Set<string>;
  position: number;
}

/**
 * The answerer used when no language model is configured: it quotes the sentences of the context's
 * passages that share most with the question, naming their documents, and says so plainly when the
 * context is empty. It writes nothing of its own beyond those lead-ins.
 */
export class ExtractiveAnswerer implements LlmProvider {
  readonly name = 'extractive';

  async *stream(request: CompletionRequest): AsyncIterable<string> {
    const question = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const answer = composeAnswer(question, request.context);
    let sinceBreath = 0;
    for (const token of answer.match(/\s*\S+\s*/g) ?? []) {
      if (request.signal.aborted) return;
      yield token;
      if (++sinceBreath === TOKENS_BETWEEN_BREATHS) {
        sinceBreath = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
}

/** The answer's text: per document, "From <filename>:" and its best sentences in their own order. */
export function composeAnswer(question: string, context: readonly ContextPassage[]): string {
  const passages = context.filter((p) => p.text.trim() !== '');
  if (passages.length === 0) return NOTHING_FOUND;

  const terms = queryTerms(question);
  const split = passages.map((p) => sentencesOf(p.text));
  // Rarer terms (within the context) weigh more: "refund" tells more than "policy" in a policy handbook.
  const df = new Map<string, number>();
  let total = 0;
  for (const sentences of split) {
    for (const s of sentences) {
      total += 1;
      for (const t of terms) if (s.terms.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
    }
  }
  const weight = (t: string) => (df.has(t) ? Math.log(1 + total / df.get(t)!) : 0);
  const scoreOf = (s: Sentence) => terms.reduce((sum, t) => (s.terms.has(t) ? sum + weight(t) : sum), 0);

  const ranked = passages.map((passage, index) => {
    const scored = split[index].map((s) => ({ s, score: scoreOf(s) })).filter((x) => x.score > 0);
    scored.sort((a, b) => b.score - a.score || a.s.position - b.s.position);
    const best = scored.slice(0, MAX_SENTENCES_PER_PASSAGE);
    return { passage, index, best, score: best.reduce((sum, x) => sum + x.score, 0) };
  });
  const matching = ranked
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, MAX_PASSAGES);

  const chosen =
    matching.length > 0
      ? matching.map((r) => ({
          filename: r.passage.filename,
          sentences: r.best.map((x) => x.s).sort((a, b) => a.position - b.position),
        }))
      : ranked
          .slice(0, MAX_PASSAGES)
          .map((r) => ({ filename: r.passage.filename, sentences: split[r.index].slice(0, 2) }));

  // One paragraph per document, in the order its best passage ranks.
  const byFile = new Map<string, string[]>();
  for (const { filename, sentences } of chosen) {
    const quoted = sentences.map((s) => s.text).join(' ');
    if (!quoted) continue;
    const list = byFile.get(filename) ?? [];
    list.push(quoted);
    byFile.set(filename, list);
  }
  const paragraphs = [...byFile].map(([filename, quotes]) => `From ${filename}:\n${quotes.join(' ... ')}`);
  if (paragraphs.length === 0) return NOTHING_FOUND;
  return matching.length > 0 ? paragraphs.join('\n\n') : `${NO_MATCH_LEAD}\n\n${paragraphs.join('\n\n')}`;
}

/** Sentences of a passage: paragraphs and lines end one, as do . ! ? before a capital or digit. */
function sentencesOf(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    // A line break before a lower-case word is a wrapped line, not a new sentence.
    const joined = paragraph.replace(/\s*\n\s*(?=\p{Ll})/gu, ' ');
    for (const line of joined.split(/\s*\n\s*/)) {
      for (const piece of line.split(/(?<=[.!?…])\s+(?=["'“([]?[\p{Lu}\d])/u)) {
        const clean = piece.replace(/\s+/g, ' ').trim();
        if (!clean) continue;
        const textOut =
          clean.length > MAX_SENTENCE_CHARS
            ? `${clean.slice(0, MAX_SENTENCE_CHARS).replace(/\s+\S*$/, '')} ...`
            : clean;
        sentences.push({ text: textOut, terms: new Set(analyze(clean)), position: sentences.length });
      }
    }
  }
  return sentences;
}
