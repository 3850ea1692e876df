/**
 * The order test files start in. Vitest's own order (longest or largest first, projects
 * by name) starts every e2e file first, and they would hold the pool's workers waiting for
 * the servers the e2e global setup is still starting. Here each worker's first file comes
 * from the workerd projects and the e2e files follow, so the servers start meanwhile.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

export class E2eAfterFirstFiles extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const e2e = sorted.filter((f) => f.project.name === "e2e");
    const workerd = sorted.filter((f) => f.project.name !== "e2e");
    const first = this.ctx.config.maxWorkers;
    return [...workerd.slice(0, first), ...e2e, ...workerd.slice(first)];
  }
}
