/** ANALYZING (deep scan): SimHash and language over the text, then duplicate look-ups in D1. */
import { PipelineError } from "../../pipeline/errors";
import { findDuplicate } from "../../documents/document-store";
import { LanguageGuesser, SimHasher } from "../../pipeline/analyze";
import { ANALYZE_SEGMENTS_PER_SLICE } from "../../pipeline/limits";
import type { AnalyzingCheckpoint } from "../checkpoint";
import type { Stage } from "./stage";

export const analyze: Stage<AnalyzingCheckpoint> = async (job, cp, ctx) => {
  const hasher = cp.simhasher ? SimHasher.fromState(cp.simhasher) : new SimHasher();
  const guesser = cp.language ? LanguageGuesser.fromState(cp.language) : new LanguageGuesser();
  let seq = cp.analyzedSegments;
  for (let n = 0; n < ANALYZE_SEGMENTS_PER_SLICE && seq < cp.segments; n++, seq++) {
    const text = ctx.store.segment(seq)?.text ?? "";
    hasher.update(text);
    guesser.update(text);
  }
  const next: AnalyzingCheckpoint = { ...cp, analyzedSegments: seq, simhasher: hasher.toState(), language: guesser.toState() };
  if (seq < cp.segments) {
    return { kind: "progress", fraction: seq / cp.segments, counters: {}, persist: () => ctx.store.saveCheckpoint(next) };
  }
  // Extraction finished with the content hash, so the exact-duplicate look-up can use it.
  const simhash = hasher.digest();
  // A deep scan stores its text as segments, so its hash is known once extraction ends.
  if (cp.contentHash === null) throw new PipelineError("INVALID_STATE", "A deep scan reached ANALYZING without its content hash", true);
  const duplicateOf = await findDuplicate(ctx.d1, job.projectId, cp.contentHash, simhash);
  next.analysis = { simhash, language: guesser.guess(), duplicateOf };
  return {
    kind: "stage-done",
    counters: { duplicatesFound: duplicateOf ? 1 : 0 },
    persist: () => ctx.store.saveCheckpoint(next),
  };
};
