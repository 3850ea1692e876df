/**
 * A harvest request as the routes take it (DESIGN §14), checked into the cursor's
 * `HarvestRequest`: bad input is a 400 whose detail says what to change.
 */
import type { Env } from "../env";
import { badRequest } from "../http/problem";
import { loadArxivConfig } from "./config";
import type { HarvestState } from "./harvest-step";
import { parseArxivId } from "./ids";

export interface ArxivRequestInput {
  query?: string;
  idList?: string[];
  submittedFrom?: string;
  submittedTo?: string;
  maxResults?: number;
  processPdfs?: boolean;
}

/** The harvest's request; throws a 400 problem for input arXiv would refuse or that breaks the limits. */
export function checkArxivRequest(env: Env, input: ArxivRequestInput): HarvestState["request"] {
  const config = loadArxivConfig(env);
  if (!input.query && !input.idList?.length) throw badRequest("An arxiv batch needs query, idList or both");
  const idList = input.idList ?? [];
  idList.forEach((id, i) => {
    if (!parseArxivId(id)) throw badRequest(`idList[${i}]: "${id}" is not an arXiv id (like 2104.12255, 2104.12255v2 or hep-ex/0406020v1)`);
  });
  const maxResults = input.maxResults ?? Math.min(2000, config.maxResults);
  if (maxResults > config.maxResults) throw badRequest(`maxResults must be between 1 and ${config.maxResults}`);
  if (idList.length > config.maxResults) throw badRequest(`idList may list at most ${config.maxResults} ids`);
  for (const [name, date] of [
    ["submittedFrom", input.submittedFrom],
    ["submittedTo", input.submittedTo],
  ] as const) {
    if (date !== undefined && Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw badRequest(`${name} must be a real YYYY-MM-DD date`);
  }
  if (input.submittedFrom && input.submittedTo && input.submittedFrom > input.submittedTo) throw badRequest("submittedFrom must not be after submittedTo");
  return {
    query: input.query ?? null,
    idList: idList.length ? idList : null,
    submittedFrom: input.submittedFrom ?? null,
    submittedTo: input.submittedTo ?? null,
    maxResults,
    processPdfs: input.processPdfs ?? true,
  };
}
