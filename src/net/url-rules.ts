/**
 * Which remote URLs the service may call: webhook receivers and fetched sources alike.
 * Pure: a URL in, a verdict out.
 *
 * `https://` only; plain `http://` only to `localhost`/`127.0.0.1` when local dev allows
 * it. No credentials in the URL (they would be stored and logged in the clear), and no
 * IP literal that names this network or the machine itself (private, loopback,
 * link-local, unspecified, multicast, CGNAT, ULA and IPv4-mapped forms of those), so a
 * subscription cannot make the service call into its own network. Host names are not
 * resolved here: a name that resolves to a private address is the platform's egress
 * policy's to refuse (Workers cannot reach private addresses of Cloudflare's network).
 */

export type UrlVerdict = { ok: true; url: string } | { ok: false; reason: string };

const LOCAL_HTTP_HOSTS = new Set(["localhost", "127.0.0.1"]);

/** Checks a remote URL; `allowHttpLocalhost` is the local-dev switch (`WEBHOOK_ALLOW_HTTP_LOCALHOST`). */
export function checkRemoteUrl(raw: string, allowHttpLocalhost: boolean): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "url must be an absolute URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "url must not contain credentials" };
  const host = url.hostname.toLowerCase();
  if (url.protocol === "http:") {
    if (allowHttpLocalhost && LOCAL_HTTP_HOSTS.has(host)) return { ok: true, url: url.toString() };
    return {
      ok: false,
      reason: allowHttpLocalhost ? "url must use https:// (plain http:// only to localhost or 127.0.0.1)" : "url must use https://",
    };
  }
  if (url.protocol !== "https:") return { ok: false, reason: "url must use https://" };
  if (host === "localhost" || host.endsWith(".localhost")) return { ok: false, reason: "url must not point at localhost" };
  if (isInternalIpLiteral(host)) return { ok: false, reason: "url must not be a private, loopback or link-local IP address" };
  return { ok: true, url: url.toString() };
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

function isInternalIpv4([a, b]: number[]): boolean {
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
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): judge the embedded IPv4.
  if (words.slice(0, 5).every((w) => w === 0) && (words[5] === 0xffff || words[5] === 0)) {
    return isInternalIpv4([words[6]! >> 8, words[6]! & 0xff, words[7]! >> 8, words[7]! & 0xff]);
  }
  if (first === 0x64 && words[1] === 0xff9b) {
    return isInternalIpv4([words[6]! >> 8, words[6]! & 0xff, words[7]! >> 8, words[7]! & 0xff]); // NAT64
  }
  return false;
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
