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
