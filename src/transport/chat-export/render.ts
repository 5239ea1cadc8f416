import type { PublicChat } from '../../projections/chats/queries.js';

export const EXPORT_FORMATS = ['json', 'csv', 'txt', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ChatExport {
  filename: string;
  contentType: string;
  body: Buffer;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  pdf: 'application/pdf',
};

/**
 * Most chat text (prompts, answers, comments) one export renders. PDF layout runs at about 200,000
 * characters a second on one core; the text formats are cheap to build but are held whole in memory
 * and, over GraphQL, sent inside a JSON answer. A larger period is refused: export it in parts.
 */
export const EXPORT_MAX_CHARACTERS: Record<ExportFormat, number> = {
  json: 5_000_000,
  csv: 5_000_000,
  txt: 5_000_000,
  pdf: 300_000,
};
/** Most chats one export reads from the read store, whatever their size. */
export const EXPORT_MAX_CHATS = 10_000;

const textOf = (c: PublicChat) => c.prompt.length + c.response.length + (c.comment?.length ?? 0);

/** Why `chats` (of `total` matching) cannot be exported as `format`, or null when they can. */
export function exportRefusal(chats: PublicChat[], total: number, format: ExportFormat): string | null {
  const max = EXPORT_MAX_CHARACTERS[format];
  if (total > EXPORT_MAX_CHATS)
    return `The period holds ${total} chats; one export holds at most ${EXPORT_MAX_CHATS}. Choose a shorter period or one workspace.`;
  const size = chats.reduce((sum, c) => sum + textOf(c), 0);
  return size > max
    ? `The period holds ${size} characters of chats; a ${format} export holds at most ${max}. Choose a shorter period or one workspace.`
    : null;
}

/** Text is laid out a slice at a time, giving the event loop a turn between slices (a slice takes a few ms). */
const PDF_SLICE = 2000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `text` in slices of about `size` characters, cut after a space where one is near. */
function slices(text: string, size: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (text.length - start > size) {
    const space = text.lastIndexOf(' ', start + size);
    const end = space > start + size / 2 ? space + 1 : start + size;
    out.push(text.slice(start, end));
    start = end;
  }
  out.push(text.slice(start));
  return out;
}

/** Writes one paragraph slice by slice (pdfkit's `continued` keeps it one paragraph), yielding between slices. */
async function paragraph(doc: PDFKit.PDFDocument, text: string): Promise<void> {
  const parts = slices(text, PDF_SLICE);
  for (let i = 0; i < parts.length; i++) {
    doc.text(parts[i], { continued: i < parts.length - 1 });
    if (parts.length > 1) await nextTurn();
  }
}

const CSV_COLUMNS = [
  'id',
  'workspace',
  'thread',
  'user',
  'mode',
  'created_at',
  'prompt',
  'response',
  'feedback',
  'comment',
  'sources',
] as const;

/** RFC 4180: quoted when needed, quotes doubled; a leading =+-@ is defused so spreadsheets do not run it as a formula. */
function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const sourceList = (c: PublicChat) =>
  c.sources.map((s) => `${s.filename}${s.chunk === null ? '' : `#${s.chunk}`}`).join(', ');
const feedbackWord = (c: PublicChat) => (c.feedback === null ? '' : c.feedback ? 'helpful' : 'not helpful');

function toCsv(chats: PublicChat[]): string {
  const rows = chats.map((c) =>
    CSV_COLUMNS.map((col) => csvCell(col === 'sources' ? sourceList(c) : c[col])).join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}

function toText(chats: PublicChat[]): string {
  return chats
    .map((c) =>
      [
        `Chat ${c.id} · workspace ${c.workspace}${c.thread === null ? '' : ` · thread ${c.thread}`} · user ${c.user} · ${c.mode} · ${c.created_at}`,
        `Q: ${c.prompt}`,
        `A: ${c.response}`,
        ...(c.sources.length ? [`Sources: ${sourceList(c)}`] : []),
        ...(c.feedback !== null ? [`Feedback: ${feedbackWord(c)}${c.comment ? ` (${c.comment})` : ''}`] : []),
      ].join('\n'),
    )
    .join('\n\n---\n\n')
    .concat(chats.length ? '\n' : '');
}

/** pdfkit (and its fonts) load on the first PDF export, not with every server start. */
async function toPdf(chats: PublicChat[], title: string): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  // No creation date in the metadata: the same chats give the same file.
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: title, Producer: 'Chronicle', CreationDate: new Date(0) },
  });
  const parts: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (b: Buffer) => parts.push(b));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
  });
  doc.fontSize(16).text(title).moveDown();
  if (!chats.length) doc.fontSize(11).text('No chats in this period.');
  for (const c of chats) {
    await nextTurn();
    doc
      .fontSize(9)
      .fillColor('#555555')
      .text(
        `Chat ${c.id} · workspace ${c.workspace}${c.thread === null ? '' : ` · thread ${c.thread}`} · user ${c.user} · ${c.mode} · ${c.created_at}`,
      );
    doc.fontSize(11).fillColor('#000000');
    await paragraph(doc, `Q: ${c.prompt}`);
    await paragraph(doc, `A: ${c.response}`);
    if (c.sources.length)
      doc
        .fontSize(9)
        .fillColor('#555555')
        .text(`Sources: ${sourceList(c)}`);
    if (c.feedback !== null)
      doc
        .fontSize(9)
        .fillColor('#555555')
        .text(`Feedback: ${feedbackWord(c)}${c.comment ? ` (${c.comment})` : ''}`);
    doc.moveDown();
  }
  doc.end();
  return done;
}

/** The chats as a file to download, named after what it holds. */
export async function renderExport(chats: PublicChat[], format: ExportFormat, label: string): Promise<ChatExport> {
  const filename = `chats-${label}.${format}`;
  const contentType = CONTENT_TYPES[format];
  switch (format) {
    case 'json':
      return { filename, contentType, body: Buffer.from(JSON.stringify(chats, null, 2)) };
    case 'csv':
      return { filename, contentType, body: Buffer.from(toCsv(chats)) };
    case 'txt':
      return { filename, contentType, body: Buffer.from(toText(chats)) };
    case 'pdf':
      return { filename, contentType, body: await toPdf(chats, `Chats: ${label}`) };
  }
}
