/**
 * The unit directory: who speaks for each unit (coordinators, leaders, WeChat ids, email), which units
 * supervise, the discipline inspection office, and group names (各乡镇(街道)) that expand to members.
 */
import { z } from 'zod';

/**
 * A platform's account id (WeCom userid, DingTalk userid or unionId): one token of letters, digits and signs, as the
 * platform reports who spoke; both platforms allow at most 64 characters. A space or a Chinese character is a typing
 * mistake (two ids in one cell, the person's name in the id column) that would never match, so it is refused.
 */
const platformId = (what: string) =>
  z
    .string()
    .min(1)
    .max(64, `${what}最多 64 个字符 (at most 64 characters)`)
    .regex(/^[\x21-\x7e]+$/, `${what}只能含字母、数字和符号，不能含空格或汉字；每格只填一个账号 (letters, digits and signs only, no spaces)`);

const person = z.object({
  name: z.string().min(1, '姓名不能为空 (name is required)'),
  wechat: z.string().min(1).optional(),
  email: z.email({ message: '邮箱格式不正确 (malformed email address)' }).optional(),
  /** Mobile number, for @mentions by the county group's WeCom robot. */
  mobile: z.string().regex(/^1\d{10}$/, '手机号须为 11 位数字 (mobile must be 11 digits)').optional(),
  /** WeCom userid (企业微信成员账号), as the smart robot reports who spoke. */
  wecom: platformId('企业微信账号').optional(),
  /** DingTalk userid or unionId (钉钉), as the stream robot reports who spoke. */
  dingtalk: platformId('钉钉账号').optional(),
});

/** A WeCom group robot: its webhook key (or the whole webhook address). */
const wecomWebhook = z.string().min(8, '企业微信机器人 key 过短 (WeCom robot key too short)');

/**
 * An office clerk (办公室文员 / 督查室): reviews notices and starts campaigns on the dashboard's 「新建督办」 page,
 * signed in by a personal link. `unit` is the office they work in, for the audit log (optional).
 */
const clerk = person.extend({ unit: z.string().min(1).optional() });

const unit = z.object({
  coordinators: z.array(person).min(1, '每个单位至少一名联络员 (each unit needs a coordinator)'),
  leaders: z.array(person).default([]),
  /** WeChat group the unit's reminders go to, with @mentions; omitted = direct messages. */
  wechatGroup: z.string().min(1).optional(),
  /**
   * The group's id (as the bot logs it, e.g. 12345@chatroom): found by id, a group stays found when someone
   * renames it, and two groups with the same topic cannot be confused. Omitted = the group whose topic is
   * wechatGroup, if exactly one of the account's groups has it.
   */
  wechatGroupId: z.string().min(1).optional(),
  /** The unit's own WeCom group robot: its messages come there, with codes and action links. */
  wecomWebhook: wecomWebhook.optional(),
});

export const directorySchema = z
  .object({
    units: z.record(z.string().min(1), unit),
    groups: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).default({}),
    /** Supervising offices in escalation order: 县乡村振兴局, then 县委农办. */
    supervisors: z.array(z.string().min(1)).min(1),
    /** The county rural work office (县委农办), second step of the ladder. */
    ruralWorkOffice: z.string().min(1),
    disciplineOffice: z.string().min(1),
    admins: z.array(person).default([]),
    /** Office clerks who may use 「新建督办」 (absent in directories written before 0.9.1: none). */
    clerks: z.array(clerk).default([]),
    /** The county's WeCom group robot: units without their own robot are @mentioned there by mobile. */
    wecomWebhook: wecomWebhook.optional(),
  })
  .superRefine((dir, ctx) => {
    const known = (name: string) => name in dir.units;
    for (const [group, members] of Object.entries(dir.groups)) {
      members.forEach((m, i) => {
        if (!known(m)) ctx.addIssue({ code: 'custom', path: ['groups', group, i], message: `未知单位「${m}」：请先在 units 中登记 (unknown unit)` });
      });
    }
    dir.supervisors.forEach((s, i) => {
      if (!known(s)) ctx.addIssue({ code: 'custom', path: ['supervisors', i], message: `未知单位「${s}」(unknown unit)` });
    });
    for (const key of ['ruralWorkOffice', 'disciplineOffice'] as const) {
      if (!known(dir[key])) ctx.addIssue({ code: 'custom', path: [key], message: `未知单位「${dir[key]}」(unknown unit)` });
    }
    // A WeChat id or an email belongs to one person: a duplicate would let one person speak for two units.
    const seen = new Map<string, string>();
    for (const [unitName, u] of Object.entries(dir.units)) {
      for (const role of ['coordinators', 'leaders'] as const) {
        u[role].forEach((p, i) => {
          for (const key of ['wechat', 'email', 'wecom', 'dingtalk'] as const) {
            const value = p[key];
            if (!value) continue;
            const id = `${key}:${value.toLowerCase()}`;
            const where = `units.${unitName}.${role}[${i}].${key}`;
            const first = seen.get(id);
            if (first) {
              ctx.addIssue({ code: 'custom', path: ['units', unitName, role, i, key], message: `联系人重复：${value} 已登记在 ${first}，同一微信号、邮箱、企业微信或钉钉账号只能登记一次 (duplicate contact)` });
            }
            if (!first) seen.set(id, where);
          }
        });
      }
    }
  });

export type Directory = z.output<typeof directorySchema>;
export type Person = z.output<typeof person>;
export type Clerk = z.output<typeof clerk>;

/** A unit name, or a group name expanded to its members. */
export function expandUnits(dir: Directory, names: string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const members = dir.groups[name];
    for (const n of members ?? [name]) if (!out.includes(n)) out.push(n);
  }
  return out;
}

export function isKnownUnitOrGroup(dir: Directory, name: string): boolean {
  return name in dir.units || name in dir.groups;
}
