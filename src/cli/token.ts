/** `edge-ingest token` (and `npm run token`): a local development token. */
import { Command } from "commander";
import { action, positiveInt } from "./context";
import { DEFAULT_CLAIMS, list, mintDevToken, ROLES } from "./dev-token";

export function tokenCommand(): Command {
  return new Command("token")
    .summary("print a local development token (from .dev.vars)")
    .description(
      `print an HS256 token signed with JWT_SECRET from .dev.vars (local dev only).\nDefault: --sub ${DEFAULT_CLAIMS.sub} --projects ${DEFAULT_CLAIMS.projects.join(",")} --roles ${DEFAULT_CLAIMS.roles.join(",")} --ttl ${DEFAULT_CLAIMS.ttl}: reaches the demo project with every role the CLI's verbs need (admin adds webhooks and every project).`,
    )
    .option("--sub <user>", "the user id", DEFAULT_CLAIMS.sub)
    .option("--projects <ids>", "comma-separated project ids", DEFAULT_CLAIMS.projects.join(","))
    .option("--roles <roles>", `comma-separated, of ${ROLES.join(", ")}`, DEFAULT_CLAIMS.roles.join(","))
    .option("--ttl <seconds>", "lifetime", positiveInt("--ttl"), DEFAULT_CLAIMS.ttl)
    .option("--issuer <iss>", "the iss claim (when JWT_ISSUER is set)")
    .option("--audience <aud>", "the aud claim (when JWT_AUDIENCE is set)")
    .action(
      action(async (o: { sub: string; projects: string; roles: string; ttl: number; issuer?: string; audience?: string }) => {
        const token = await mintDevToken({ ...o, projects: list(o.projects), roles: list(o.roles) });
        process.stdout.write(`${token}\n`);
      }),
    );
}
