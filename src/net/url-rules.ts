/**
 * Which remote URLs the service may call: webhook receivers and fetched sources alike.
 * Pure: a URL in, a verdict out.
 *
 * `https://` only; plain `http://` only to `localhost`/`127.0.0.1` when local dev allows
 * it. No credentials in the URL (they would be stored and logged in the clear). No host
 * that names this network or the machine itself: IP literals that are private, loopback,
 * link-local, unspecified, multicast, CGNAT, documentation or ULA, including the IPv6
 * forms that embed an IPv4 address (mapped, compatible, translated, NAT64, 6to4, Teredo);
 * `localhost` and the special-use names `.localhost`, `.local`, `.internal`,
 * `.home.arpa`; and single-label names, which only a local resolver can answer. The host
 * is judged after the WHATWG parser has normalised it (IDNA, numeric IPv4 spellings) and
 * without its trailing dots (`localhost.` is `localhost`).
 *
 * Names are not resolved here (a Worker cannot resolve them). What keeps a public name
 * that resolves to a private address from reaching one in production is Cloudflare's
 * egress: a Worker's `fetch` leaves through Cloudflare's network, which connects only to
 * public addresses, never to the private networks of the machine or data centre it runs
 * in. `wrangler dev` has no such egress, which is why plain `http://` to local hosts is
 * a switch that only local development turns on.
 */

export type UrlVerdict = { ok: true; url: string } | { ok: false; reason: string };

/** Longest URL accepted, counted after normalisation (percent-encoding can grow a URL sixfold). */
export const MAX_URL_LENGTH = 2048;

const LOCAL_HTTP_HOSTS = new Set(["localhost", "127.0.0.1"]);
/** Special-use names (RFC 6761, RFC 6762, RFC 8375, ICANN's `.internal`) no public resolver answers. */
const LOCAL_SUFFIXES = ["localhost", "local", "internal", "home.arpa"];

/** Checks a remote URL; `allowHttpLocalhost` is the local-dev switch (`WEBHOOK_ALLOW_HTTP_LOCALHOST`). */
export function checkRemoteUrl(raw: string, allowHttpLocalhost: boolean): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "url must be an absolute URL" };
  }
  const normalised = url.toString();
  if (normalised.length > MAX_URL_LENGTH) {
    return { ok: false, reason: `url must be at most ${MAX_URL_LENGTH} characters once percent-encoded (it is ${normalised.length})` };
  }
  if (url.username || url.password) return { ok: false, reason: "url must not contain credentials" };
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  if (url.protocol === "http:") {
    if (allowHttpLocalhost && LOCAL_HTTP_HOSTS.has(host) && !url.hostname.endsWith(".")) return { ok: true, url: normalised };
    return {
      ok: false,
      reason: allowHttpLocalhost ? "url must use https:// (plain http:// only to localhost or 127.0.0.1)" : "url must use https://",
    };
  }
  if (url.protocol !== "https:") return { ok: false, reason: "url must use https://" };
  if (isInternalIpLiteral(host)) return { ok: false, reason: "url must not be a private, loopback or link-local IP address" };
  if (isIpLiteral(host)) return { ok: true, url: normalised };
  if (LOCAL_SUFFIXES.some((s) => host === s || host.endsWith(`.${s}`))) return { ok: false, reason: "url must not point at localhost or a local network name" };
  if (!host.includes(".")) return { ok: false, reason: "url must name a public host (a single-label name such as `intranet` is refused)" };
  return { ok: true, url: normalised };
}

function isIpLiteral(host: string): boolean {
  return (host.startsWith("[") && host.endsWith("]")) || parseIpv4(host) !== null;
}

/** True for an IPv4 or bracketed IPv6 literal that is not a public unicast address. */
export function isInternalIpLiteral(host: string): boolean {
  if (host.startsWith("[") && host.endsWith("]")) return isInternalIpv6(host.slice(1, -1));
  const v4 = parseIpv4(host);
  return v4 !== null && isInternalIpv4(v4);
}

/** The WHATWG URL parser already normalises `0x7f.1`, `2130706433` etc. to dotted quads. */
function parseIpv4(host: string): number[] | null {
  const m = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function isInternalIpv4([a, b, c]: number[]): boolean {
  return (
    a === 0 || // "this network" (RFC 1122)
    a === 10 || // private (RFC 1918)
    a === 127 || // loopback
    (a === 100 && b! >= 64 && b! <= 127) || // shared/CGNAT (RFC 6598)
    (a === 169 && b === 254) || // link-local (RFC 3927)
    (a === 172 && b! >= 16 && b! <= 31) || // private
    (a === 192 && b === 168) || // private
    (a === 192 && b === 0) || // IETF protocol assignments (RFC 6890)
    (a === 198 && (b === 18 || b === 19)) || // benchmarking (RFC 2544)
    (a === 192 && b === 88 && c === 99) || // 6to4 relay anycast (RFC 7526)
    (a === 198 && b === 51 && c === 100) || // documentation (RFC 5737; 192.0.2.0/24 is in 192.0/16 above)
    (a === 203 && b === 0 && c === 113) || // documentation
    a! >= 224 // multicast and reserved
  );
}

function isInternalIpv6(text: string): boolean {
  const words = parseIpv6(text);
  if (!words) return true; // not parseable: refuse rather than guess
  if (words.every((w) => w === 0)) return true; // :: unspecified
  if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return true; // ::1 loopback
  const first = words[0]!;
  if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((first & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated)
  if ((first & 0xff00) === 0xff00) return true; // multicast
  if (first === 0x2001 && words[1] === 0x0db8) return true; // 2001:db8::/32 documentation
  if (first === 0x0100 && words.slice(1, 4).every((w) => w === 0)) return true; // 100::/64 discard-only
  // Forms that carry an IPv4 address: judge the address they lead to.
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  if (zeros(0, 5) && (words[5] === 0xffff || words[5] === 0)) return isInternalIpv4(v4(words[6]!, words[7]!)); // ::ffff:a.b.c.d mapped, ::a.b.c.d compatible
  if (zeros(0, 4) && words[4] === 0xffff && words[5] === 0) return isInternalIpv4(v4(words[6]!, words[7]!)); // ::ffff:0:a.b.c.d translated (RFC 2765)
  if (first === 0x64 && words[1] === 0xff9b) return isInternalIpv4(v4(words[6]!, words[7]!)); // 64:ff9b::/96 and 64:ff9b:1::/48 NAT64
  if (first === 0x2002) return isInternalIpv4(v4(words[1]!, words[2]!)); // 2002:aabb:ccdd::/48 6to4
  if (first === 0x2001 && words[1] === 0) {
    // Teredo (RFC 4380): the server's IPv4 in clear, the client's inverted in the last two words.
    return isInternalIpv4(v4(words[2]!, words[3]!)) || isInternalIpv4(v4(words[6]! ^ 0xffff, words[7]! ^ 0xffff));
  }
  return false;
}

/** Two 16-bit words as the four octets of an IPv4 address. */
function v4(hi: number, lo: number): number[] {
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
}

/** Eight 16-bit words, or null. The URL parser has already normalised the text. */
function parseIpv6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const part of s.split(":")) {
      if (part.includes(".")) {
        const v4 = parseIpv4(part);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  return fill >= 1 ? [...head, ...Array<number>(fill).fill(0), ...tail] : null;
}
