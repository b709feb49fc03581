// A process that runs the studio service and one training run, for the restart test: it prints a
// JSON line for each checkpoint written, until the test kills it. Argument: a JSON ChildPlan.

import type { RunConfigInput, RunDetail, StudioEvent } from '../../api';
import { Studio } from '../studio';

export interface ChildPlan {
  dataDir: string;
  workerScript: string;
  datasetId: number;
  config: RunConfigInput;
}

const plan = JSON.parse(process.argv[2]) as ChildPlan;
const studio = await Studio.open({
  dataDir: plan.dataDir,
  workerScript: plan.workerScript,
  flushMs: 50,
  heartbeatMs: 200,
});
const say = (line: object): void => {
  process.stdout.write(JSON.stringify(line) + '\n');
};
studio.subscribe((event: StudioEvent) => {
  if (event.type !== 'run-update') return;
  for (const c of event.update.checkpoints) say({ checkpoint: c.path, step: c.step });
});
const run = (await studio.call('runs.create', { config: plan.config })) as RunDetail;
say({ runId: run.id });
await studio.call('runs.start', { id: run.id });
