import { ExtractionAborted, ExtractionError, extractChunks, extractText } from '../../../src/jobs/ingestion/extract.js';
import { MAX_DOCX_TAGS, MAX_HTML_TAGS, MAX_JSON_VALUES } from '../../../src/jobs/ingestion/extraction-limits.js';
import { detectFormat } from '../../../src/commands/documents/formats.js';
import { makeDocxBomb } from '../../support/docx-bomb.js';

/** The reason a document would show, or the error when extraction did not fail as an ExtractionError. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ExtractionError) return err.reason;
    throw err;
  }
  throw new Error('extraction succeeded');
}

describe('extraction budget', () => {
  it('given a DOCX bomb (3,000,000 paragraphs, ~100 MB of XML from ~300 KB), when read, then it is refused by its element count', async () => {
    const bomb = makeDocxBomb();
    expect(bomb.length).toBeLessThan(400 * 1024);
    expect(detectFormat('bomb.docx', bomb)).toBe('docx');
    expect(await refusal(extractText('docx', bomb))).toBe(
      `Could not extract text from this DOCX file: it holds more than ${MAX_DOCX_TAGS.toLocaleString('en')} XML elements.`,
    );
  });

  it('given a DOCX that inflates past the unpacked limit in few elements, when read, then it is refused by size', async () => {
    const docx = makeDocxBomb(1, `<w:p><w:r><w:t>${'a'.repeat(65 * 1024 * 1024)}</w:t></w:r></w:p>`);
    expect(await refusal(extractText('docx', docx))).toMatch(
      /^Could not extract text from this DOCX file: its content is larger than 64 MB once unpacked\.$/,
    );
  });

  it('given a parser that needs more memory than the worker has, when read, then the worker is stopped and the reason says so', async () => {
    // 60,000 paragraphs is within the element limit; 16 MB of heap is not enough for mammoth's tree of them.
    const docx = makeDocxBomb(60_000);
    expect(await refusal(extractText('docx', docx, { heapMb: 16 }))).toBe(
      'Could not extract text from this DOCX file: reading it needs more than 16 MB of memory.',
    );
  });

  it('given a deadline shorter than the reading, when read, then the worker is stopped at the deadline', async () => {
    const docx = makeDocxBomb(60_000);
    expect(await refusal(extractText('docx', docx, { timeoutMs: 1 }))).toBe(
      'Could not extract text from this DOCX file: reading it took longer than 0 s.',
    );
  });

  it('given HTML with more tags than the limit, when read, then it is refused', async () => {
    const html = Buffer.from(`<html><body>${'<b></b>'.repeat(MAX_HTML_TAGS / 2 + 1)}</body></html>`);
    expect(await refusal(extractText('html', html))).toBe(
      `Could not extract text from this HTML file: it holds more than ${MAX_HTML_TAGS.toLocaleString('en')} tags.`,
    );
  });

  it('given JSON with more values than the limit, when read, then it is refused before parsing', async () => {
    const json = Buffer.from(`[${'0,'.repeat(MAX_JSON_VALUES)}0]`);
    expect(await refusal(extractText('json', json))).toBe(
      `Could not extract text from this JSON file: it holds more than ${MAX_JSON_VALUES.toLocaleString('en')} values.`,
    );
  });

  it('given JSON whose commas and brackets sit inside strings, when read, then they are not counted as values', async () => {
    const json = Buffer.from(JSON.stringify({ note: `${',[{'.repeat(MAX_JSON_VALUES)} \\" done` }));
    await expect(extractText('json', json)).resolves.toMatch(/^note: ,\[\{/);
  });

  it("given text of millions of one-letter words, when split, then the splitting runs under the worker's heap cap too", async () => {
    // The splitter keeps a piece per word while it works: 5,000,000 of them do not fit in 32 MB.
    const words = Buffer.from('a '.repeat(5_000_000));
    const options = { chunkSize: 100, chunkOverlap: 0 };
    expect(await refusal(extractChunks('txt', words, options, { heapMb: 32 }))).toBe(
      'Could not extract text from this TXT file: reading it needs more than 32 MB of memory.',
    );
    const { characters, chunks } = await extractChunks('txt', Buffer.from('a '.repeat(1000)), options);
    expect(characters).toBe(1999);
    expect(chunks.map((c) => c.text).join(' ')).toBe('a '.repeat(1000).trim());
  });

  it('given an abort while reading, when the signal fires, then extraction stops with ExtractionAborted', async () => {
    const controller = new AbortController();
    const reading = extractText('docx', makeDocxBomb(60_000), { signal: controller.signal });
    controller.abort();
    await expect(reading).rejects.toBeInstanceOf(ExtractionAborted);
  });
});
