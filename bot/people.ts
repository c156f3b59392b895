/** Who a person is in the unit directory, found by what an administrator types: name, WeChat id or email. */
import type { Directory } from '../plan/directory';
import type { Actor } from '../workflows/messages';

/**
 * The person and the role they act in: a coordinator or leader of their unit, or for a supervisor's decision
 * a supervisor, if their unit is a supervising office. A name shared by two people finds nobody.
 */
export function personActor(dir: Directory, who: string, supervising = false): Actor | undefined {
  const key = who.trim();
  const found: Actor[] = [];
  for (const [unit, u] of Object.entries(dir.units)) {
    for (const role of ['coordinators', 'leaders'] as const) {
      for (const p of u[role]) {
        const names = [p.name, p.name.replace(/（[^）]*）$/, ''), p.wechat, p.email].filter(Boolean);
        if (!names.includes(key)) continue;
        if (supervising && dir.supervisors.includes(unit)) found.push({ person: p.name, unit, role: 'supervisor' });
        else found.push({ person: p.name, unit, role: role === 'leaders' ? 'leader' : 'coordinator' });
      }
    }
  }
  return found.length === 1 ? found[0] : undefined;
}
