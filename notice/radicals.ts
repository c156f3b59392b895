/**
 * CJK radicals written where the ideograph was meant. PDFs made by Chrome and other Skia-based tools map a
 * glyph that a font shares between a radical and an ideograph to the radical's code point, so 「大竹县人民」
 * comes out of the text layer as 「⼤⽵县⼈⺠」. Kangxi radicals (U+2F00–U+2FD5) become their ideographs by NFKC;
 * the supplement (U+2E80–U+2EF3) has no such decomposition, so its equivalents are listed here — Unicode's
 * Equivalent_Unified_Ideograph property, as printed by
 * `perl -MUnicode::UCD=charprop -CS -e 'for (0x2E80..0x2EFF) { my $v = charprop($_, "Equivalent_Unified_Ideograph"); print chr($_), $v if length $v }'`
 * (Perl 5.36).
 */

/** Radical, ideograph, radical, ideograph, … */
const SUPPLEMENT = '⺁厂⺂乛⺃乚⺄乙⺅亻⺆冂⺇𠘨⺈刀⺉刂⺊卜⺋㔾⺌小⺍小⺎兀⺏尣⺐尢⺑𡯂⺒巳⺓幺⺔彑⺕彐⺖忄⺗心⺘扌⺙攵⺛旡⺜日⺝月⺞歺⺟母⺠民⺡氵⺢氺⺣灬⺤爫⺥爫⺦丬⺧牛⺨犭⺩王⺪𤴔⺫目⺬示⺭礻⺮𥫗⺯糹⺰纟⺱罓⺲罒⺳㓁⺴冗⺵𦉫⺶羊⺷𦍌⺸𦍋⺹耂⺺肀⺻聿⺼肉⺽𦥑⺾艹⺿艹⻀艹⻁虎⻂衤⻃覀⻄西⻅见⻆角⻇𧢲⻈讠⻉贝⻊𧾷⻋车⻌辶⻍辶⻎辶⻏邑⻐钅⻑長⻒镸⻓长⻔门⻕𨸏⻖阝⻗雨⻘青⻙韦⻚页⻛风⻜飞⻝食⻞𩙿⻟飠⻠饣⻡𩠐⻢马⻣骨⻤鬼⻥鱼⻦鸟⻧卤⻨麦⻩黄⻪黾⻫斉⻬齐⻭歯⻮齿⻯竜⻰龙⻱龜⻲亀⻳龟';

// NFKC makes the Kangxi radical ⼾ the traditional 戶, but Simplified Chinese fonts draw 户 with the radical's
// glyph: rendering U+4E00–U+9FFF in Noto Serif/Sans CJK SC through Chromium gave ⼾ back for 户 and for nothing else.
const EQUIVALENT = new Map<string, string>([['\u2f3e', '户']]);
{
  const chars = Array.from(SUPPLEMENT);
  for (let i = 0; i + 1 < chars.length; i += 2) EQUIVALENT.set(chars[i]!, chars[i + 1]!);
}

/** Text with every CJK radical replaced by its ideograph; everything else (full-width punctuation too) kept. */
export function unifyRadicals(text: string): string {
  return text.replace(/[\u2e80-\u2eff\u2f00-\u2fdf]/g, (ch) => EQUIVALENT.get(ch) ?? ch.normalize('NFKC'));
}
