/** Who a message reaches: the directory's people behind each (unit, role) a workflow addresses. */
import type { Directory, Person } from '../plan/directory';
import type { Recipient } from '../workflows/types';

export interface ResolvedPerson extends Person {
  unit: string;
  role: Recipient['role'];
}

export function resolveRecipients(dir: Directory, recipients: Recipient[]): ResolvedPerson[] {
  const out: ResolvedPerson[] = [];
  const seen = new Set<string>();
  for (const r of recipients) {
    const unit = dir.units[r.unit];
    if (!unit) continue;
    for (const p of unit[r.role]) {
      const id = `${r.unit}/${p.wechat ?? p.email ?? p.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ ...p, unit: r.unit, role: r.role });
    }
  }
  return out;
}

/** Units addressed, with the directory's WeChat group for each. */
export function groupsOf(dir: Directory, recipients: Recipient[]): { unit: string; group?: string }[] {
  const units = [...new Set(recipients.map((r) => r.unit))];
  return units.map((unit) => ({ unit, ...(dir.units[unit]?.wechatGroup ? { group: dir.units[unit].wechatGroup } : {}) }));
}
