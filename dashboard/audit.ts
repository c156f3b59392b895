/**
 * The clerk's desk's audit log: every plan upload and edit, every start and stop, every directory upload — who,
 * when, what changed — one JSON line each in data/audit.jsonl. Appended, never rewritten; a line that does not
 * parse (a torn last write) is skipped when read, not fatal.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export const auditEntrySchema = z.object({
  /** ms since epoch. */
  at: z.number().int(),
  /** The person, as the page names them: 「管理员」 or a clerk's name and office. */
  who: z.string().min(1),
  action: z.enum(['plan.upload', 'plan.edit', 'campaign.start', 'campaign.stop', 'directory.upload', 'clerk.link']),
  /** The plan's file name, the campaign's workflow id, or the directory. */
  subject: z.string(),
  /** What changed, in words (「任务8 牵头单位：（空）→ 县住建局」). */
  changes: z.array(z.string()).default([]),
});
export type AuditEntry = z.output<typeof auditEntrySchema>;

export const AUDIT_ACTION_CN: Record<AuditEntry['action'], string> = {
  'plan.upload': '上传通知',
  'plan.edit': '修改计划',
  'campaign.start': '启动督办',
  'campaign.stop': '停止督办',
  'directory.upload': '上传通讯录',
  'clerk.link': '生成登录链接',
};

export class AuditLog {
  constructor(readonly file: string) {}

  append(entry: z.input<typeof auditEntrySchema>): AuditEntry {
    const parsed = auditEntrySchema.parse(entry);
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify(parsed)}\n`);
    return parsed;
  }

  /** The newest entries first; `subject`: only those about it. */
  read(o: { subject?: string; limit?: number } = {}): AuditEntry[] {
    if (!existsSync(this.file)) return [];
    const out: AuditEntry[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let data: unknown;
      try {
        data = JSON.parse(line);
      } catch {
        continue;
      }
      const parsed = auditEntrySchema.safeParse(data);
      if (parsed.success && (o.subject === undefined || parsed.data.subject === o.subject)) out.push(parsed.data);
    }
    return out.reverse().slice(0, o.limit ?? 200);
  }
}
