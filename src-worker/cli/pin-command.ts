// `crystalline pin`: marks a checkpoint as kept whatever the run's retention policy says (pins
// live beside the checkpoints, so a run training into that folder honours them at once).

import { readCheckpointHeader } from '../checkpoint/read';
import { setPinned } from '../train/pins';

export interface PinCommandOptions {
  checkpoint: string;
  unpin?: boolean;
}

export async function runPinCommand(o: PinCommandOptions): Promise<void> {
  // Only a sound checkpoint can be pinned: this throws a CheckpointError naming the file otherwise.
  const summary = await readCheckpointHeader(o.checkpoint);
  const pinned = o.unpin !== true;
  await setPinned(o.checkpoint, pinned);
  process.stdout.write(`${pinned ? 'Pinned' : 'Unpinned'} ${o.checkpoint} (step ${summary.header.step}).\n`);
}
