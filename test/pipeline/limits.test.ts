import { describe, expect, it } from "vitest";
import { checkLimits, DEFAULT_DOCUMENT_LIMITS, leastTextChars, readableBytes, readableCount, textTooLong } from "../../src/pipeline/limits";

describe("textTooLong", () => {
  it("refuses a Markdown file whose size alone proves more characters than the limit, in readable units with the setting", () => {
    const why = textTooLong(66_293_012, "text/markdown", 20_000_000);
    expect(why).toMatch(/text\/markdown file of 63\.2 MiB has at least 22\.1 million characters/);
    expect(why).toMatch(/limit of 20 million characters per document/);
    expect(why).toMatch(/raise MAX_DOCUMENT_CHARS/);
  });

  it("accepts a file that 3-byte characters could keep within the limit, and any non-text type", () => {
    expect(textTooLong(3 * 1000 + 3, "text/plain; charset=utf-8", 1000)).toBeNull();
    expect(textTooLong(3 * 1001 + 3, "text/plain; charset=utf-8", 1000)).toMatch(/at least 1,001 characters/);
    expect(textTooLong(10_000_000, "application/pdf", 10)).toBeNull();
    expect(textTooLong(10_000_000, "text/html", 10)).toBeNull();
  });

  it("lets every text file the default upload limit accepts fit the default character limit", () => {
    expect(leastTextChars(104_857_600)).toBeLessThan(DEFAULT_DOCUMENT_LIMITS.maxDocumentChars);
    expect(DEFAULT_DOCUMENT_LIMITS.maxDocumentChars).toBeGreaterThanOrEqual(104_857_600);
    expect(textTooLong(104_857_600, "text/plain", DEFAULT_DOCUMENT_LIMITS.maxDocumentChars)).toBeNull();
  });

  it("never claims fewer characters than a worst-case text has: 3-byte characters after a BOM", () => {
    const text = `\ufeff${"€".repeat(1000)}`;
    const bytes = new TextEncoder().encode(text).byteLength;
    expect(leastTextChars(bytes)).toBeLessThanOrEqual(1000);
  });
});

describe("LIMIT_EXCEEDED messages", () => {
  it("name the limit in readable units and the setting that raises it", () => {
    expect(() => checkLimits({ ...DEFAULT_DOCUMENT_LIMITS, maxDocumentChars: 50_000_000 }, { chars: 50_000_001 })).toThrow(
      "LIMIT_EXCEEDED: more than 50 million characters (MAX_DOCUMENT_CHARS raises it)",
    );
    expect(readableBytes(104_857_600)).toBe("100 MiB");
    expect(readableCount(12_000)).toBe("12,000");
  });
});
