import JSZip from 'jszip';
import { detectFormat, sanitizeFilename } from '../../../src/commands/documents/formats.js';

const text = (s: string) => Buffer.from(s, 'utf8');

async function zip(entries: Record<string, string>): Promise<Buffer> {
  const archive = new JSZip();
  for (const [name, content] of Object.entries(entries)) archive.file(name, content);
  return archive.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

describe('detectFormat', () => {
  it.each([
    ['notes.txt', 'plain words', 'txt'],
    ['README.md', '# Title\n\nBody', 'md'],
    ['data.csv', 'a,b\n1,2\n', 'csv'],
    ['data.json', '{"a": [1, 2]}', 'json'],
    ['page.html', '<p>hi</p>', 'html'],
    ['page.HTM', '<p>hi</p>', 'html'],
    ['with-bom.txt', '\ufeffhello', 'txt'],
    ['bom.json', '\ufeff{"a":1}', 'json'],
    ['unicode.txt', 'Grüße, 日本語, emoji 🎉', 'txt'],
  ])('accepts %s', (name, content, expected) => {
    expect(detectFormat(name, text(content))).toBe(expected);
  });

  it('recognises HTML content saved under a text name', () => {
    expect(detectFormat('saved.txt', text('<!DOCTYPE html><html><body>x</body></html>'))).toBe('html');
    expect(detectFormat('saved.md', text('  \n<html lang="en"><body>x</body></html>'))).toBe('html');
    expect(detectFormat('notes.txt', text('the <html> tag starts a page'))).toBe('txt');
  });

  it('accepts a PDF only when its bytes are a PDF', () => {
    expect(detectFormat('a.pdf', text('%PDF-1.7\n...'))).toBe('pdf');
    expect(detectFormat('a.pdf', text('just text pretending'))).toBeNull();
    expect(detectFormat('a.pdf', Buffer.alloc(0))).toBeNull();
  });

  it('accepts a DOCX only when it is a ZIP holding word/document.xml', async () => {
    const docx = await zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>' });
    expect(detectFormat('report.docx', docx)).toBe('docx');
    expect(detectFormat('report.docx', await zip({ 'xl/workbook.xml': '<workbook/>' }))).toBeNull();
    // The name appearing in a file's content is not enough: only the central directory counts.
    expect(detectFormat('report.docx', await zip({ 'notes.txt': 'see word/document.xml' }))).toBeNull();
    expect(detectFormat('report.docx', text('%PDF-1.4'))).toBeNull();
    expect(detectFormat('report.docx', docx.subarray(0, docx.length - 30))).toBeNull(); // truncated: no directory
  });

  it('refuses JSON that does not parse', () => {
    expect(detectFormat('bad.json', text('{"a": '))).toBeNull();
  });

  it('refuses binary content under a text name', () => {
    expect(detectFormat('binary.txt', Buffer.from([0x68, 0x69, 0x00, 0x01, 0x02]))).toBeNull();
    expect(detectFormat('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBeNull(); // "café" in Latin-1
    expect(detectFormat('image.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBeNull();
  });

  it.each(['program.exe', 'archive.zip', 'sheet.xlsx', 'old.doc', 'script.js', 'photo.png'])(
    'refuses unknown type %s',
    (name) => {
      expect(detectFormat(name, text('anything'))).toBeNull();
    },
  );

  it('judges a name without extension by signature only', async () => {
    expect(detectFormat('upload', text('%PDF-1.5'))).toBe('pdf');
    expect(detectFormat('upload', await zip({ 'word/document.xml': '<w:document/>' }))).toBe('docx');
    expect(detectFormat('upload', text('<!doctype html><p>x'))).toBe('html');
    expect(detectFormat('upload', text('plain words'))).toBeNull();
  });

  it('looks at the last path segment only', () => {
    expect(detectFormat('dir.pdf/notes.txt', text('hello'))).toBe('txt');
    expect(detectFormat('C:\\docs.txt\\evil', text('hello'))).toBeNull();
  });
});

describe('sanitizeFilename', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system32\\cmd.exe', 'cmd.exe'],
    ['/abs/path/notes.txt', 'notes.txt'],
    ['my   file\t\tname.md', 'my file_name.md'],
    ['a<b>c:d"e|f?g*h.txt', 'a_b_c_d_e_f_g_h.txt'],
    ['bell\u0007and\u0000null.txt', 'bell_and_null.txt'],
    ['right\u202eto\u202cleft.txt', 'right_to_left.txt'],
    ['.hidden.txt', 'hidden.txt'],
    ['-rf.txt', 'rf.txt'],
    ['name...txt', 'name.txt'],
    ['trailing. .', 'trailing'],
    ['Résumé 2024 (final).docx', 'Résumé 2024 (final).docx'],
    ['CON.txt', '_CON.txt'],
    ['', 'file'],
    ['.', 'file'],
    ['..', 'file'],
    ['...', 'file'],
    ['.pdf', 'file.pdf'],
    ['////', 'file'],
    ['$$$.csv', 'file.csv'],
  ])('%p → %p', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });

  it('limits the length in bytes and keeps the extension', () => {
    const long = sanitizeFilename(`${'日本'.repeat(200)}.pdf`);
    expect(long.endsWith('.pdf')).toBe(true);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(200);
    expect(long).not.toContain('\ufffd');
    expect(sanitizeFilename(`${'a'.repeat(500)}.txt`)).toBe(`${'a'.repeat(196)}.txt`);
  });

  it('treats an implausible extension as part of the name', () => {
    const name = sanitizeFilename(`x.${'y'.repeat(300)}`);
    expect(name.startsWith('x.yyy')).toBe(true);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
  });

  it('is idempotent and never yields a dangerous name', () => {
    const nasty = [
      '../x',
      'a/../../b',
      '..\\..',
      ' . . ',
      '\u0000',
      'a\nb.txt',
      'x'.repeat(1000),
      '😀😀.md',
      'NUL',
      'com1.pdf',
    ];
    for (const name of nasty) {
      const once = sanitizeFilename(name);
      expect(sanitizeFilename(once)).toBe(once);
      expect(once).not.toMatch(/[\\/\u0000-\u001f]/);
      expect(once).not.toMatch(/^\.|\.\./);
      expect(once.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(once)).toBeLessThanOrEqual(200);
    }
  });
});
