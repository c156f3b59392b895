/**
 * Who a task names as responsible, when a notice says it in words rather than in a 「责任单位：」 clause:
 * 「（A、B分工负责；C）」, 「县林业局负责督导……」, 「由X牵头，Y配合」, 「X要……」. And which names are not units
 * at all but stand-ins a person must replace (「县政府有关部门」, 「各主管部门」, 「项目所在乡镇」).
 *
 * Pure: the parser calls it on width-normalized text. Without a directory a name is taken for a unit by its form
 * (it ends as a unit's name does: 局, 委, 办, 中心, 乡镇…); with one, a subject must be a unit or group it knows,
 * so that 「各级党委要……」 or 「专项资金要……」 never become a lead.
 */

/** Ends of unit names as Chinese local governments write them (longest first where one contains another). */
const UNIT_END = /(委员会|办公室|人民政府|政府|局|委|办|中心|部|院|所|站|队|公司|社|联|会|处|科|署|厅|乡镇\(街道\)|乡镇|街道|镇|乡|村)$/;
/** Characters a unit's name is made of: CJK, and brackets as in 各乡镇(街道). */
const UNIT_CHARS = /^[\u4e00-\u9fff()]{2,24}$/;
/** Words that open a clause, not a name: 「要加强……」 is no unit, nor 「全面开展……」. */
const NOT_A_NAME_START = /^(要|将|由|对|在|以|按|把|从|自|各级|全面|进一步|切实|认真|加强|加快|积极|严格|落实|推进|开展|做好|完善|建立|健全|强化)/;

/**
 * Names that stand for whoever is concerned, not for a unit: kept as written, flagged for a person to replace.
 * 「各乡镇」 is a group the directory expands, so it is not here.
 */
const VAGUE = /(有关|相关|其他|其它)(部门|单位|乡镇)|主管部门|行业部门|所在(乡镇|地|单位|部门)|属地|^各(有关|相关)?(部门|单位)$|等(有关|相关)?(部门|单位)?$/;

export function isVagueUnit(name: string): boolean {
  return VAGUE.test(name);
}

/** What tells a unit from another noun: the directory when there is one, else the name's form. */
export type UnitTest = (name: string) => boolean;

export function looksLikeUnit(name: string): boolean {
  return UNIT_CHARS.test(name) && !NOT_A_NAME_START.test(name) && (UNIT_END.test(name) || isVagueUnit(name));
}

/** 「A、B和C」 → [A, B, C] when every piece is a unit by `isUnit`; undefined when any is not. */
export function unitList(text: string, isUnit: UnitTest): string[] | undefined {
  const pieces = text
    .split(/[、,]|(?<=[\u4e00-\u9fff)])(?:和|与|及)(?=[\u4e00-\u9fff])/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (pieces.length === 0) return undefined;
  return pieces.every((p) => isUnit(p) || isVagueUnit(p)) ? pieces : undefined;
}

export interface NamedResponsibility {
  leads: string[];
  coUnits: string[];
  /** The words that named them (「县林业局负责」), shown to the person checking. */
  phrase: string;
  /** Several units share the lead (分工负责 or a list): each gets the duty. */
  joint: boolean;
}

/** 分工负责 and its kin name joint leads; 负责 / 牵头 / 要 a lead (several when listed). */
const LEAD_VERB = '(分工负责|共同负责|分别负责|牵头负责|负总责|负责|牵头|要)';
/** What co-units do after a lead: 「，县公安局、县应急局配合」. */
const CO_VERB = '(配合|参与|协助|协同|协办)';

/**
 * A responsibility said as the subject of a sentence: 「由X牵头」, 「X负责…」, 「A、B分工负责」, 「X要…」, with co-units
 * that follow as 「，Y配合」. Only at the start of the sentence, where the subject stands.
 */
export function subjectResponsibility(sentence: string, isUnit: UnitTest): NamedResponsibility | undefined {
  const s = sentence.trim();
  const m = new RegExp(`^(由)?([^,;:。]{2,120}?)${LEAD_VERB}`).exec(s);
  if (!m) return undefined;
  const [, by, list = '', verb = ''] = m;
  // 「X要……」 is a subject only without 由 (「由X要」 is not Chinese), and 牵头 / 负责 may follow 由.
  if (by && verb === '要') return undefined;
  const leads = unitList(list, isUnit);
  if (!leads) return undefined;
  let phrase = m[0];
  let coUnits: string[] = [];
  const rest = s.slice(m[0].length);
  const co = new RegExp(`^[,，]\\s*([^,;:。]{2,120}?)${CO_VERB}`).exec(rest);
  if (co) {
    const listed = unitList(co[1] ?? '', isUnit);
    if (listed) {
      coUnits = listed;
      phrase += co[0];
    }
  }
  return { leads, coUnits, phrase, joint: leads.length > 1 || /分工|共同|分别/.test(verb) };
}

/**
 * A bracketed clause without 「责任单位：」 that names the responsible: 「（县发展改革局、县经信局分工负责；各乡镇）」,
 * 「（县财政局等有关部门负责）」, 「（A牵头，B、C配合）」. `body` is the clause without its outer brackets.
 */
export function bracketResponsibility(body: string, isUnit: UnitTest): NamedResponsibility | undefined {
  const b = body.trim();
  const m = new RegExp(`^([^;:]{2,200}?)${LEAD_VERB}(?:[;,]\\s*(.*))?$`).exec(b);
  if (!m || m[2] === '要') return undefined;
  const leads = unitList(m[1] ?? '', isUnit);
  if (!leads) return undefined;
  let coUnits: string[] = [];
  const rest = (m[3] ?? '').replace(/^(配合单位|参与单位|协办单位|责任单位)\s*:/, '').replace(new RegExp(`${CO_VERB}$`), '').trim();
  if (rest) {
    const listed = unitList(rest.replace(/;/g, '、'), isUnit);
    if (!listed) return undefined;
    coUnits = listed;
  }
  return { leads, coUnits, phrase: b, joint: leads.length > 1 || /分工|共同|分别/.test(m[2] ?? '') };
}
