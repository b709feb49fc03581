// Child process of the kill-during-write test: writes checkpoints to one path in a loop, step
// after step, printing "wrote <step>" after each completed write, until it is killed.
// Usage (after bundling with esbuild): node write-loop-child.mjs <target> <first-step>

import { writeCheckpoint } from '../write';
import { sampleHeader, sampleTensors } from './sample';

const [target, firstStep] = process.argv.slice(2);
// About 1.5 MB per checkpoint: long enough that most kills land mid-write.
const tensors = sampleTensors(Number(firstStep), { 'transformer.h.0.mlp.c_fc.weight': [256, 512] });
process.stdout.write('ready\n');
for (let step = Number(firstStep); ; step++) {
  tensors[0].data[0] = step; // each checkpoint's content differs
  await writeCheckpoint(target, sampleHeader(step), tensors);
  process.stdout.write(`wrote ${step}\n`);
}
