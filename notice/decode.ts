/** Notices arrive as UTF-8 or GBK/GB18030 (common in government offices): detect and decode both. */
import iconv from 'iconv-lite';

export type NoticeEncoding = 'utf-8' | 'gb18030';

export function decodeNotice(bytes: Uint8Array): { text: string; encoding: NoticeEncoding } {
  let body = bytes;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
  // A file cut off mid-character (a truncated download) is still UTF-8: allow up to 3 dangling bytes.
  for (let cut = 0; cut <= 3 && cut < body.length; cut++) {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, body.length - cut)), encoding: 'utf-8' };
    } catch {
      // try with one byte less
    }
  }
  // Not valid UTF-8: GB18030 is a superset of GBK and GB2312, so it decodes all three.
  return { text: iconv.decode(Buffer.from(body), 'gb18030'), encoding: 'gb18030' };
}
