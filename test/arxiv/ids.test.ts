import { describe, expect, it } from "vitest";
import { parseArxivId, parseEntryId } from "../../src/arxiv/ids";

describe("parseEntryId", () => {
  it.each([
    ["http://arxiv.org/abs/2104.12255v1", "2104.12255", 1],
    ["http://arxiv.org/abs/0704.0001v2", "0704.0001", 2],
    ["http://arxiv.org/abs/hep-ex/0406020v1", "hep-ex/0406020", 1],
    ["http://arxiv.org/abs/solv-int/9901001v12", "solv-int/9901001", 12],
    ["http://arxiv.org/abs/math.GT/0309136v1", "math.GT/0309136", 1],
  ])("splits %s", (url, paperId, version) => {
    expect(parseEntryId(url)).toEqual({ paperId, version });
  });

  it.each([
    "http://arxiv.org/abs/2104.12255",
    "http://arxiv.org/abs/solv-int/9901001",
    "http://evil.example/abs/2104.12255v1",
    "http://arxiv.org/abs/2104.12255v1x",
  ])("refuses %s", (url) => {
    expect(parseEntryId(url)).toBeNull();
  });
});

describe("parseArxivId", () => {
  it("reads ids with and without a version", () => {
    expect(parseArxivId("2104.12255")).toEqual({ paperId: "2104.12255", version: null });
    expect(parseArxivId("hep-ex/0406020v1")).toEqual({ paperId: "hep-ex/0406020", version: 1 });
    expect(parseArxivId("solv-int/9901001")).toEqual({ paperId: "solv-int/9901001", version: null });
  });

  it("refuses malformed ids", () => {
    for (const bad of ["abc", "2104.122", "solv-int/990100", "2104.12255v0", "../2104.12255", "2104.12255 OR x"]) expect(parseArxivId(bad)).toBeNull();
  });
});
