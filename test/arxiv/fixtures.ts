/**
 * The recorded arXiv responses (test/fixtures/arxiv/, see its README) by what they are,
 * and an older-format twin of a feed: namespaces declared on each element instead of
 * the root, other prefixes, and elements in another order.
 */
import { DOMParser, type Element, type Node, XMLSerializer } from "@xmldom/xmldom";
import emptyResult from "../fixtures/arxiv/id_0000.0000_s0_m100_8b51d9633a68.json";
import onePaper from "../fixtures/arxiv/id_2104.12255v1_s0_m100_6ae69987ffe1.json";
import errorFeed from "../fixtures/arxiv/id_abc_s0_m100_b79c8dcf6bc3.json";
import page0 from "../fixtures/arxiv/q_testing_s0_m10_bc5a6c384fe9.json";
import page1 from "../fixtures/arxiv/q_testing_s10_m10_34e56e15aaac.json";
import page2 from "../fixtures/arxiv/q_testing_s20_m10_348a237fecab.json";

export interface Recorded {
  url: string;
  status_code: number;
  body: string;
}

export const recorded = { page0, page1, page2, onePaper, emptyResult, errorFeed } satisfies Record<string, Recorded>;
export const queryPages: Recorded[] = [page0, page1, page2];

const OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/";
const ARXIV = "http://arxiv.org/schemas/atom";
const ATOM = "http://www.w3.org/2005/Atom";

/**
 * The same feed as older arXiv responses wrote it: the root declares only the Atom
 * namespace, every `opensearch:`/`arxiv:` element declares its own (here under other
 * prefixes, `os:` and `ax:`), Atom elements inside entries carry an explicit `atom:`
 * prefix, and every element's children come grouped by name with the groups in reverse
 * order (entries before the feed's metadata; repeated elements such as authors keep their
 * relative order, which carries meaning).
 */
export function olderFormat(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, "text/xml");
  const root = doc.documentElement!;
  reorderChildren(root);
  for (const entry of Array.from(root.getElementsByTagNameNS(ATOM, "entry"))) reorderChildren(entry);
  let out = new XMLSerializer().serializeToString(root);
  out = out.replace(/ xmlns:opensearch="[^"]*"/g, "").replace(/ xmlns:arxiv="[^"]*"/g, "");
  out = out.replace(/<opensearch:(\w+)/g, `<os:$1 xmlns:os="${OPENSEARCH}"`).replace(/<\/opensearch:/g, "</os:");
  out = out.replace(/<arxiv:(\w+)/g, `<ax:$1 xmlns:ax="${ARXIV}"`).replace(/<\/arxiv:/g, "</ax:");
  // Inside entries, Atom children under an explicit prefix bound on the entry.
  out = out.replace(/<entry>([\s\S]*?)<\/entry>/g, (_, inner: string) => {
    const prefixed = inner.replace(/<(\/?)(id|title|updated|published|summary|author|name|link|category)\b/g, "<$1atom:$2");
    return `<entry xmlns:atom="${ATOM}">${prefixed}</entry>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>\n${out}`;
}

function reorderChildren(el: Element): void {
  const groups = new Map<string, Node[]>();
  for (let n = el.firstChild; n; n = n.nextSibling) {
    const name = n.nodeType === n.ELEMENT_NODE ? (n as Element).tagName : "#text";
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name)!.push(n);
  }
  for (const group of [...groups.values()].reverse()) for (const n of group) el.appendChild(n);
}
