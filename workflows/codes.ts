/**
 * Reply codes: what a unit types to name one of its duties. The task number alone when the unit holds one
 * duty of that task; the task number and a letter when it holds several (task 19 for 县乡村振兴局: 19a, 19b,
 * … in deadline order). Computed from all of a campaign's duties, which are fixed when it starts, so a code
 * never changes during its duty's life. Short, typeable on a phone keyboard, readable aloud. Pure: the
 * campaign (expansion), the bot and the CLI compute the same codes.
 */

export interface Codable {
  dutyId: string;
  unit: string;
  taskNumber: number;
  deadline: string;
  kind: string;
}

const KIND_ORDER: Record<string, number> = { deadline: 0, recurring: 1, progress: 2, quota: 3 };

function letters(n: number): string {
  // a … z, then aa, ab, … (no unit holds 26 duties of one task in any notice seen so far).
  let out = '';
  let k = n;
  do {
    out = String.fromCharCode(97 + (k % 26)) + out;
    k = Math.floor(k / 26) - 1;
  } while (k >= 0);
  return out;
}

/**
 * The letters a deployment's later campaigns put before their codes (b5, c19a): none for the first; no i, l or o,
 * easily misread beside digits. The registry picks them, the bot's grammar reads them.
 */
export const CODE_PREFIXES = 'bcdefghjkmnpqrstuvwxyz'.split('');

/** dutyId → code. */
export function assignCodes(duties: Codable[]): Map<string, string> {
  const groups = new Map<string, Codable[]>();
  for (const d of duties) {
    const key = `${d.unit}\u0000${d.taskNumber}`;
    const group = groups.get(key) ?? [];
    group.push(d);
    groups.set(key, group);
  }
  const codes = new Map<string, string>();
  for (const group of groups.values()) {
    if (group.length === 1) {
      const only = group[0];
      if (only) codes.set(only.dutyId, String(only.taskNumber));
      continue;
    }
    group.sort(
      (a, b) =>
        a.deadline.localeCompare(b.deadline) || (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9) || a.dutyId.localeCompare(b.dutyId),
    );
    group.forEach((d, i) => codes.set(d.dutyId, `${d.taskNumber}${letters(i)}`));
  }
  return codes;
}
