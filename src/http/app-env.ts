import type { Env } from "../env";
import type { Principal } from "../auth/policy";
import type { D1RequestState } from "./bookmark";
import type { RateDecision } from "./lease-holder";

/** Hono's typing for this app: the bindings and what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** Set by the auth middleware on every `/api/**` route. */
    principal: Principal;
    /** Epoch ms at which the bearer token expires (WebSocket watchers are closed then). */
    tokenExpiresAt: number;
    /** Echoed in `X-Request-Id` and in every log line about the request. */
    requestId: string;
    /** Set by the bookmark middleware on `/api/**`: the request's D1 session and bookmarks. */
    d1: D1RequestState;
    /** Set by the rate-limit charge: every budget's decision for this request (`RateLimit-*`). */
    rateLimits?: RateDecision[];
  };
}
