/**
 * What the person wrote, without what they quoted. A quote-reply carries our own message (「…请回复「完成 4
 * 情况说明」」) and an email reply carries the whole thread below it: read as a command, the quote would act on
 * words nobody said (a 「收到」 under a quoted 「完成 4」 recorded a completion). Pure; every channel calls it
 * before the grammar (bot/commands.ts), and platforms with a quote field of their own pass only the reply text.
 */

/** WeChat's separator between a quoted message and the reply: a line of spaced dashes. */
const WECHAT_SEPARATOR = /^[ \t]*(?:[-－—][ \t]*){6,}$/m;

/** A quoted block as WeChat renders it: 「sender：text」 (the text may hold 「」 of its own). */
function isWeChatQuote(part: string): boolean {
  const t = part.trim();
  return t.startsWith('「') && t.endsWith('」');
}

/**
 * A WeChat quote-reply: 「name：quoted」 + the dashed line + the reply (clients put the reply first or last).
 * Anything else is returned as it came.
 */
export function withoutWeChatQuote(text: string): string {
  const m = WECHAT_SEPARATOR.exec(text);
  if (!m) return text;
  const before = text.slice(0, m.index);
  const after = text.slice(m.index + m[0].length);
  if (isWeChatQuote(before)) return after.trim();
  if (isWeChatQuote(after)) return before.trim();
  // A dashed line with no quote on either side (a coordinator's own divider): what is above it is the reply.
  return before.trim();
}

/**
 * Where an email's own text ends: a quoted line, an "On … wrote:" / 「在…写道：」 header, a forwarded or original
 * message banner (Outlook, Foxmail, QQ Mail, NetEase, Coremail), the signature delimiter, or a phone's or mail
 * app's sent-from line.
 */
const EMAIL_TEXT_ENDS: RegExp[] = [
  /^>/,
  /^On .{4,200} wrote:\s*$/i,
  /^在.{2,200}(写道|wrote)[:：]\s*$/,
  /^.{0,200}于.{0,60}写道[:：]\s*$/,
  // QQ Mail's 「------------------ Original ------------------」, NetEase's 「---- 回复的原邮件 ----」 / "---- Replied
  // Message ----", 「-------- 转发邮件信息 --------」, Outlook's 「-----原始邮件-----」.
  /^-{2,}\s*(原始邮件|Original Message|Original|Forwarded message|转发邮件|回复的原邮件|Replied Message)[^-]{0,8}-{2,}/i,
  /^_{5,}\s*$/,
  /^(发件人|From)\s*[:：]/i,
  /^-- ?$/,
  /^(发自我的|Sent from my|来自我的|发自网易邮箱|发自 ?QQ ?邮箱|发自手机|Get Outlook for)/i,
];

/**
 * A quote header the client wrapped, or that starts with its date (Apple Mail: 「2022年5月5日 10:00，督办系统
 * <duban@…> 写道：」; Gmail breaks long "On … <\naddress> wrote:" lines): it ends with 写道： / wrote:.
 */
const QUOTE_HEADER_END = /(写道|wrote)\s*[:：]\s*$/i;
/** The first half of a wrapped quote header, on the line above its 「…写道：」. */
const QUOTE_HEADER_START = /^(On\s|在)|于|<[^>]*$/;

/** The lines an email's author wrote, before the quoted thread and the signature. */
export function withoutEmailQuote(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    const t = line.trimStart();
    if (EMAIL_TEXT_ENDS.some((re) => re.test(t))) break;
    if (QUOTE_HEADER_END.test(t)) {
      if (kept.length && QUOTE_HEADER_START.test((kept[kept.length - 1] ?? '').trim())) kept.pop();
      break;
    }
    kept.push(line);
  }
  return kept.join('\n').trim();
}
