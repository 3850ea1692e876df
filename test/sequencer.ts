/**
 * The order test files start in. Vitest's own order (longest or largest first, projects
 * by name) starts every e2e file first: they would hold the pool's workers waiting for the
 * servers the e2e global setup is still starting, and then for rate-limit windows and
 * browsers while the workerd files queue. Here each worker's first file comes from the
 * workerd projects, so the servers start meanwhile, and the e2e files follow spread over
 * the first half of the rest: most workers run workerd files at any time, and the last e2e
 * file (on a fresh clone, the smallest, which may wait a minute on a rate-limit window)
 * still starts well before the end.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

export class E2eSpreadOut extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const e2e = sorted.filter((f) => f.project.name === "e2e");
    const workerd = sorted.filter((f) => f.project.name !== "e2e");
    const order = workerd.splice(0, this.ctx.config.maxWorkers);
    const gap = Math.max(1, Math.floor(workerd.length / (2 * Math.max(1, e2e.length))));
    for (const file of e2e) order.push(file, ...workerd.splice(0, gap));
    return [...order, ...workerd];
  }
}
