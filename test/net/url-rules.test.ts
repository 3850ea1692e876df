import { describe, expect, it } from "vitest";
import { checkRemoteUrl } from "../../src/net/url-rules";

const ok = (url: string, allow = false) => checkRemoteUrl(url, allow).ok;

describe("checkRemoteUrl (remote URL rules)", () => {
  it("accepts public https URLs, with ports, paths and queries", () => {
    for (const u of ["https://example.com/hook", "https://hooks.example.com:8443/a/b?x=1", "https://8.8.8.8/h", "https://[2606:4700::1111]/h"])
      expect(ok(u), u).toBe(true);
  });

  it("allows plain http only to localhost and 127.0.0.1, and only when WEBHOOK_ALLOW_HTTP_LOCALHOST is true", () => {
    for (const u of ["http://localhost:3000/h", "http://127.0.0.1:9999/h"]) {
      expect(ok(u, true), u).toBe(true);
      expect(ok(u, false), u).toBe(false);
    }
    for (const u of ["http://example.com/h", "http://10.0.0.1/h", "http://[::1]/h", "http://127.0.0.2/h"]) expect(ok(u, true), u).toBe(false);
  });

  it("refuses credentials in the URL", () => {
    expect(checkRemoteUrl("https://user@example.com/", false)).toEqual({ ok: false, reason: "url must not contain credentials" });
    expect(checkRemoteUrl("https://:pw@example.com/", false)).toEqual({ ok: false, reason: "url must not contain credentials" });
    expect(ok("http://a:b@localhost/", true)).toBe(false);
  });

  it("refuses private, loopback, link-local and other internal IPv4 literals, in any spelling", () => {
    const internal = [
      "0.0.0.0",
      "10.0.0.1",
      "127.0.0.1",
      "127.1",
      "2130706433",
      "0x7f000001",
      "100.64.0.1",
      "169.254.169.254",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "192.0.0.8",
      "198.18.0.1",
      "224.0.0.1",
      "255.255.255.255",
    ];
    for (const h of internal) expect(ok(`https://${h}/h`), h).toBe(false);
    for (const h of ["172.32.0.1", "100.128.0.1", "1.1.1.1"]) expect(ok(`https://${h}/h`), h).toBe(true);
  });

  it("refuses loopback, link-local, unique-local, multicast and mapped IPv6 literals", () => {
    const internal = [
      "::",
      "::1",
      "fe80::1",
      "fc00::1",
      "fd12:3456::1",
      "fec0::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "::ffff:a9fe:a9fe",
      "64:ff9b::a00:1",
      "0:0:0:0:0:0:0:1",
    ];
    for (const h of internal) expect(ok(`https://[${h}]/h`), h).toBe(false);
    expect(ok("https://[::ffff:8.8.8.8]/h")).toBe(true);
  });

  it("refuses localhost names over https, other schemes and non-URLs", () => {
    for (const u of ["https://localhost/h", "https://api.localhost/h", "ftp://example.com", "javascript:alert(1)", "example.com/h", ""])
      expect(ok(u), u).toBe(false);
  });
});

describe("checkRemoteUrl: spellings that normalise to a refused host", () => {
  it("refuses localhost with trailing dots, in fullwidth, and as .localhost/.local/.internal/.home.arpa names", () => {
    for (const u of [
      "https://localhost./h",
      "https://localhost../h",
      "https://LOCALHOST./h",
      "https://ｌｏｃａｌｈｏｓｔ/h",
      "https://localhost。/h",
      "https://localhost．/h",
      "https://api.localhost./h",
      "https://printer.local/h",
      "https://db.internal/h",
      "https://router.home.arpa/h",
      "https://127.0.0.1./h",
    ])
      expect(ok(u), u).toBe(false);
    expect(ok("http://localhost./h", true)).toBe(false);
  });

  it("refuses single-label host names, which only a local resolver answers", () => {
    for (const u of ["https://intranet/h", "https://metadata/computeMetadata/v1", "https://intranet./h"]) expect(ok(u), u).toBe(false);
    expect(checkRemoteUrl("https://intranet/h", false)).toEqual({
      ok: false,
      reason: "url must name a public host (a single-label name such as `intranet` is refused)",
    });
  });

  it("refuses the IPv4-translated, 6to4, Teredo and NAT64 forms of 127.0.0.1 and of private addresses", () => {
    const internal = [
      "::ffff:0:127.0.0.1", // IPv4-translated (RFC 2765)
      "::ffff:0:7f00:1",
      "::ffff:0:10.1.2.3",
      "2002:7f00:1::", // 6to4 of 127.0.0.1
      "2002:7f00:0001::1",
      "2002:c0a8:101::1", // 6to4 of 192.168.1.1
      "2002:a9fe:a9fe::", // 6to4 of 169.254.169.254
      "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo, client 127.0.0.1 (inverted)
      "2001:0:7f00:1::1", // Teredo, server 127.0.0.1
      "2001:0:4136:e378:8000:63bf:f5ff:fffe", // Teredo, client 10.0.0.1
      "64:ff9b::127.0.0.1", // NAT64
      "64:ff9b:1::a00:1", // local-use NAT64 (RFC 8215)
      "2001:db8::1", // documentation
      "100::1", // discard-only
    ];
    for (const h of internal) expect(ok(`https://[${h}]/h`), h).toBe(false);
    // The same forms around public addresses pass.
    for (const h of ["2002:808:808::1", "2001:0:4136:e378:8000:63bf:f7f7:f7f7", "::ffff:0:8.8.8.8"]) expect(ok(`https://[${h}]/h`), h).toBe(true);
  });

  it("checks the length after normalisation: a 2,045-character URL that percent-encodes past 2,048 is refused", () => {
    const raw = `https://example.com/${"é".repeat(2025)}`;
    expect(raw.length).toBe(2045);
    const verdict = checkRemoteUrl(raw, false);
    expect(verdict.ok).toBe(false);
    expect(verdict).toMatchObject({ reason: expect.stringMatching(/^url must be at most 2048 characters once percent-encoded \(it is \d+\)$/) });
    const fits = `https://example.com/${"a".repeat(2048 - 20)}`;
    expect(fits.length).toBe(2048);
    expect(checkRemoteUrl(fits, false)).toEqual({ ok: true, url: fits });
  });
});
