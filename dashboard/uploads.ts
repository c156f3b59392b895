/**
 * multipart/form-data as browsers send a form with a file: the fields as text, each file as its bytes. Bounded:
 * past `limit` bytes the rest of the body is read and dropped (so the browser sees the answer, not a reset
 * connection) and the upload is refused as too large. Only what the desk's forms send is read: no nested parts.
 */
import type { IncomingMessage } from 'node:http';
import { checkUnzippedSize, macroOrFormulaProblem, OfficeFileError } from '../notice/zip';

/** The largest upload the desk takes: a notice or a directory is well under 1 MB; a scan is not a notice anyway. */
export const UPLOAD_LIMIT = 10 * 1024 * 1024;

export interface UploadedFile {
  field: string;
  filename: string;
  bytes: Buffer;
}

export type Upload = { ok: true; fields: URLSearchParams; files: UploadedFile[] } | { ok: false; status: number; why: string };

function boundaryOf(type: string | undefined): string | undefined {
  const m = /^multipart\/form-data;.*\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The bytes of a request, at most `limit`; `undefined` when it was longer (the rest read and dropped). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) over = true;
    if (!over) chunks.push(b);
  }
  return over ? undefined : Buffer.concat(chunks);
}

/** Parses a multipart body (pure, for tests). */
export function parseMultipart(body: Buffer, boundary: string): { fields: URLSearchParams; files: UploadedFile[] } | undefined {
  const fields = new URLSearchParams();
  const files: UploadedFile[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) return undefined;
  for (;;) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headEnd = body.indexOf('\r\n\r\n', start);
    if (headEnd < 0) return undefined;
    const next = body.indexOf(delimiter, headEnd + 4);
    if (next < 0) return undefined;
    const head = body.subarray(start, headEnd).toString('utf8');
    // The part's data ends with the CRLF before the next delimiter.
    const data = body.subarray(headEnd + 4, next - 2);
    const disposition = /content-disposition:([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined) {
      if (filename !== undefined) {
        if (filename || data.length) files.push({ field: name, filename: filename.replace(/^.*[\\/]/, ''), bytes: Buffer.from(data) });
      } else fields.append(name, data.toString('utf8'));
    }
    at = next;
  }
  return { fields, files };
}

/** Reads a form with files, or says in Chinese why it cannot. */
export async function readUpload(req: IncomingMessage, limit = UPLOAD_LIMIT): Promise<Upload> {
  const boundary = boundaryOf(req.headers['content-type']);
  if (!boundary) {
    await readBody(req, 0);
    return { ok: false, status: 400, why: '请通过页面上的「选择文件」上传（表单须为 multipart/form-data）。' };
  }
  const body = await readBody(req, limit);
  if (!body) return { ok: false, status: 413, why: `文件过大：上传的文件不能超过 ${Math.round(limit / 1024 / 1024)} MB。通知或通讯录通常不到 1 MB；扫描件请改用文字版本。` };
  const parsed = parseMultipart(body, boundary);
  if (!parsed) return { ok: false, status: 400, why: '上传的内容不完整，请重新选择文件上传。' };
  return { ok: true, ...parsed };
}

/**
 * Why an uploaded Office file (a zip) is refused before any reader opens it: it unpacks past the limit (a zip bomb),
 * or carries macros or formulas. A browser's upload is anyone's file; the CLI's files are the operator's own.
 */
export function officeUploadProblem(bytes: Buffer): string | undefined {
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) return undefined;
  try {
    return macroOrFormulaProblem(bytes, checkUnzippedSize(bytes))?.message;
  } catch (err) {
    if (err instanceof OfficeFileError) return err.message;
    throw err;
  }
}
