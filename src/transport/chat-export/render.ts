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

const CSV_COLUMNS = ['id', 'workspace', 'thread', 'user', 'mode', 'created_at', 'prompt', 'response', 'feedback', 'comment', 'sources'] as const;

/** RFC 4180: quoted when needed, quotes doubled; a leading =+-@ is defused so spreadsheets do not run it as a formula. */
function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const sourceList = (c: PublicChat) => c.sources.map((s) => `${s.filename}${s.chunk === null ? '' : `#${s.chunk}`}`).join(', ');
const feedbackWord = (c: PublicChat) => (c.feedback === null ? '' : c.feedback ? 'helpful' : 'not helpful');

function toCsv(chats: PublicChat[]): string {
  const rows = chats.map((c) => CSV_COLUMNS.map((col) => csvCell(col === 'sources' ? sourceList(c) : c[col])).join(','));
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}

function toText(chats: PublicChat[]): string {
  return chats.map((c) => [
    `Chat ${c.id} · workspace ${c.workspace}${c.thread === null ? '' : ` · thread ${c.thread}`} · user ${c.user} · ${c.mode} · ${c.created_at}`,
    `Q: ${c.prompt}`,
    `A: ${c.response}`,
    ...(c.sources.length ? [`Sources: ${sourceList(c)}`] : []),
    ...(c.feedback !== null ? [`Feedback: ${feedbackWord(c)}${c.comment ? ` (${c.comment})` : ''}`] : []),
  ].join('\n')).join('\n\n---\n\n').concat(chats.length ? '\n' : '');
}

/** pdfkit (and its fonts) load on the first PDF export, not with every server start. */
async function toPdf(chats: PublicChat[], title: string): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  return new Promise((resolve, reject) => {
    // No creation date in the metadata: the same chats give the same file.
    const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: title, Producer: 'Chronicle', CreationDate: new Date(0) } });
    const parts: Buffer[] = [];
    doc.on('data', (b: Buffer) => parts.push(b));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
    doc.fontSize(16).text(title).moveDown();
    if (!chats.length) doc.fontSize(11).text('No chats in this period.');
    for (const c of chats) {
      doc.fontSize(9).fillColor('#555555')
        .text(`Chat ${c.id} · workspace ${c.workspace}${c.thread === null ? '' : ` · thread ${c.thread}`} · user ${c.user} · ${c.mode} · ${c.created_at}`);
      doc.fontSize(11).fillColor('#000000').text(`Q: ${c.prompt}`).text(`A: ${c.response}`);
      if (c.sources.length) doc.fontSize(9).fillColor('#555555').text(`Sources: ${sourceList(c)}`);
      if (c.feedback !== null) doc.fontSize(9).fillColor('#555555').text(`Feedback: ${feedbackWord(c)}${c.comment ? ` (${c.comment})` : ''}`);
      doc.moveDown();
    }
    doc.end();
  });
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
