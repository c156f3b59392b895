/**
 * Registers duban's search attributes on a Temporal server (workflows/search-attributes.ts), so duties can set
 * them and `temporal workflow list --query "DubanUnit='县财政局' AND DubanLevel='red'"` finds them.
 */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DUBAN_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** The type names `temporal server start-dev --search-attribute NAME=TYPE` takes. */
export const DEV_SERVER_TYPE_NAMES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

const INDEXED: Record<SearchAttributeType, number> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export type SearchAttributesCheck = { ok: true; added: string[] } | { ok: false; reason: string };

/**
 * Adds whichever of duban's search attributes the namespace lacks. Never throws: a server that refuses (no
 * operator permission, a hosted namespace, an attribute of the same name with another type) is reported, and
 * the caller starts its campaign without search attributes rather than not at all.
 */
export async function ensureSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<SearchAttributesCheck> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const have = customAttributes ?? {};
    const wrongType = DUBAN_SEARCH_ATTRIBUTES.filter((k) => k.name in have && have[k.name] !== INDEXED[k.type]);
    if (wrongType.length) {
      return { ok: false, reason: `命名空间 ${namespace} 已有同名但类型不同的搜索属性：${wrongType.map((k) => k.name).join('、')}` };
    }
    const missing = DUBAN_SEARCH_ATTRIBUTES.filter((k) => !(k.name in have));
    if (missing.length) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED[k.type]])),
      });
    }
    return { ok: true, added: missing.map((k) => k.name) };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
