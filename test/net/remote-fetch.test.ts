import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fetchRemote, type RemoteFetchOptions, readRemoteBytes } from "../../src/net/remote-fetch";

/** A scripted remote web: URL → what it answers. Every request is recorded. */
type Route = (req: Request, init: RequestInit | undefined) => Response | Promise<Response>;
let routes: Map<string, Route>;
let requests: Request[];
let restore: () => void;

beforeEach(() => {
  routes = new Map();
  requests = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    requests.push(req);
    const route = routes.get(req.url);
    if (!route) throw new TypeError(`no route for ${req.url}`);
    return route(req, init);
  });
  restore = () => spy.mockRestore();
});
afterEach(() => restore());

const options: RemoteFetchOptions = { maxBytes: 1000, timeoutMs: 300, userAgent: "edge-ingest-test/1", allowHttpLocalhost: false };
const redirect =
  (to: string, status = 302) =>
  () =>
    new Response(null, { status, headers: { location: to } });
const text =
  (body: string, type = "text/plain; charset=utf-8") =>
  () =>
    new Response(body, { headers: { "content-type": type } });

describe("fetchRemote", () => {
  it("follows relative and absolute redirects and returns the final URL, status and content type", async () => {
    routes.set("https://a.example/start", redirect("/next"));
    routes.set("https://a.example/next", redirect("https://b.example/doc", 308));
    routes.set("https://b.example/doc", text("hello", "Text/Markdown; charset=utf-8"));
    const res = await fetchRemote("https://a.example/start", options);
    expect(res).toMatchObject({ url: "https://b.example/doc", status: 200, contentType: "text/markdown" });
    expect(new TextDecoder().decode(await readRemoteBytes(res))).toBe("hello");
    expect(requests.map((r) => r.headers.get("user-agent"))).toEqual(Array(3).fill("edge-ingest-test/1"));
  });

  it("refuses a redirect to a loopback, private or localhost URL, before requesting it", async () => {
    for (const target of [
      "http://127.0.0.1/x",
      "https://127.0.0.1/x",
      "https://localhost./x",
      "https://[::ffff:0:127.0.0.1]/",
      "https://10.0.0.1/",
      "https://intranet/",
    ]) {
      routes.set("https://a.example/bounce", redirect(target));
      await expect(fetchRemote("https://a.example/bounce", options), target).rejects.toMatchObject({
        code: "url_refused",
        message: expect.stringMatching(/^redirect refused: /),
      });
    }
    expect(requests.every((r) => r.url === "https://a.example/bounce")).toBe(true);
  });

  it("refuses a starting URL the rules refuse", async () => {
    await expect(fetchRemote("https://localhost/x", options)).rejects.toMatchObject({ code: "url_refused" });
    expect(requests).toHaveLength(0);
  });

  it("follows at most maxRedirects (5 by default) and then returns the redirect itself", async () => {
    for (let i = 0; i < 7; i++) routes.set(`https://a.example/${i}`, redirect(`/${i + 1}`));
    const res = await fetchRemote("https://a.example/0", options);
    expect(res).toMatchObject({ status: 302, url: "https://a.example/5" });
    expect(requests).toHaveLength(6);
    const none = await fetchRemote("https://a.example/0", { ...options, maxRedirects: 0 });
    expect(none).toMatchObject({ status: 302, url: "https://a.example/0" });
  });

  it("continues a POST as a GET without its body after a 303", async () => {
    routes.set("https://a.example/post", redirect("/result", 303));
    routes.set("https://a.example/result", text("ok"));
    await fetchRemote("https://a.example/post", { ...options, method: "POST", body: "{}" });
    expect(requests.map((r) => r.method)).toEqual(["POST", "GET"]);
  });

  it("refuses a body past maxBytes while it streams, whatever Content-Length claims", async () => {
    routes.set("https://a.example/big", () => {
      const chunk = new Uint8Array(400);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent++ < 10) c.enqueue(chunk);
          else c.close();
        },
      });
      return new Response(body);
    });
    await expect(readRemoteBytes(await fetchRemote("https://a.example/big", options))).rejects.toMatchObject({ code: "too_large" });
    routes.set("https://a.example/declared", () => new Response("x".repeat(2000)));
    await expect(readRemoteBytes(await fetchRemote("https://a.example/declared", options))).rejects.toMatchObject({ code: "too_large" });
    routes.set("https://a.example/fits", text("x".repeat(1000)));
    expect((await readRemoteBytes(await fetchRemote("https://a.example/fits", options))).byteLength).toBe(1000);
  });

  it("times out a host that never answers", async () => {
    routes.set(
      "https://a.example/hang",
      (_req, init) =>
        new Promise<Response>((_, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
        }),
    );
    await expect(fetchRemote("https://a.example/hang", options)).rejects.toMatchObject({ code: "timeout", message: "no response within 0.3 s" });
  });

  it("reports a network failure as such", async () => {
    await expect(fetchRemote("https://nowhere.example/", options)).rejects.toMatchObject({
      code: "network",
      message: expect.stringMatching(/^request failed: /),
    });
  });
});
