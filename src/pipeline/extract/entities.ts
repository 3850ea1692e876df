/** Named character references the HTML extractor decodes (a common subset of the HTML5 table). */
const NAMED: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'",
  // A no-break space is emitted as a plain space so it collapses with other whitespace.
  nbsp: " ", ensp: " ", emsp: " ", thinsp: " ",
  copy: "©", reg: "®", trade: "™", hellip: "…", mdash: "—", ndash: "–",
  lsquo: "‘", rsquo: "’", sbquo: "‚", ldquo: "“", rdquo: "”", bdquo: "„",
  laquo: "«", raquo: "»", bull: "•", middot: "·", deg: "°", times: "×", divide: "÷",
  euro: "€", pound: "£", yen: "¥", cent: "¢", sect: "§", para: "¶", shy: "",
  plusmn: "±", micro: "µ", frac12: "½", frac14: "¼", frac34: "¾", iexcl: "¡", iquest: "¿",
  auml: "ä", ouml: "ö", uuml: "ü", Auml: "Ä", Ouml: "Ö", Uuml: "Ü", szlig: "ß",
  eacute: "é", egrave: "è", ecirc: "ê", aacute: "á", agrave: "à", acirc: "â", ccedil: "ç",
  iacute: "í", oacute: "ó", uacute: "ú", ntilde: "ñ", Eacute: "É", larr: "←", rarr: "→",
  uarr: "↑", darr: "↓", hearts: "♥", zwj: "\u200d", zwnj: "\u200c", lrm: "\u200e", rlm: "\u200f",
};

/** Longest reference name (plus `#x` and digits) that is looked for after `&`. */
export const MAX_ENTITY_LENGTH = 32;

/**
 * Decodes the body of a character reference (`amp`, `#169`, `#xA9`), or returns
 * null when it is not one. Invalid code points become U+FFFD, as in HTML5.
 */
export function decodeEntity(body: string): string | null {
  if (body.charCodeAt(0) === 35 /* # */) {
    const hex = body[1] === "x" || body[1] === "X";
    const digits = body.slice(hex ? 2 : 1);
    if (digits.length === 0 || !(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) return null;
    const cp = parseInt(digits, hex ? 16 : 10);
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "\ufffd";
    return String.fromCodePoint(cp);
  }
  return Object.prototype.hasOwnProperty.call(NAMED, body) ? NAMED[body]! : null;
}

/** Decodes every `&...;` reference in a complete string (used for small captured values such as the title). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#?[A-Za-z0-9]{1,32});/g, (m, body: string) => decodeEntity(body) ?? m);
}
