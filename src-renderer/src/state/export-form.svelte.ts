// The checkpoint export form of the Run view: the folder (typed, or chosen in the desktop app's
// dialog), the weights' number format, and whether to replace an earlier export there. A relative
// path is refused before any call; the service's refusal (a folder that holds something else, say)
// is shown in the form, which stays open to change it.

import type { MethodInput } from '../../../src-main/api';
import { messageOf } from '../transport/api-error';
import { transport } from './api';

export type ExportDtype = NonNullable<MethodInput<'checkpoints.export'>['dtype']>;

/** The number formats offered, with what each means for the files written. */
export const DTYPES: readonly { value: ExportDtype; label: string }[] = [
  { value: 'f32', label: 'f32 — exact, as trained' },
  { value: 'f16', label: 'f16 — half the size' },
  { value: 'bf16', label: 'bf16 — half the size, f32’s range' },
];

/** Why `dir` cannot be an export folder, or null: it must be a full path on the training machine. */
export function folderProblem(dir: string): string | null {
  const path = dir.trim();
  if (path === '') return 'Enter the folder to export to.';
  const absolute = path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
  if (!absolute)
    return `“${path}” is a relative path: give the folder's full path, such as /home/me/exports/my-model or C:\\exports\\my-model.`;
  return null;
}

export class ExportFormState {
  /** The checkpoint being exported; null while the form is closed. */
  checkpointId = $state<number | null>(null);
  dir = $state('');
  dtype = $state<ExportDtype>('f32');
  overwrite = $state(false);
  error = $state<string | null>(null);
  busy = $state(false);

  open(checkpointId: number, suggestedDir: string): void {
    this.checkpointId = checkpointId;
    this.dir = suggestedDir;
    this.dtype = 'f32';
    this.overwrite = false;
    this.error = null;
  }

  close(): void {
    this.checkpointId = null;
    this.error = null;
  }

  /** The desktop app's folder dialog, starting from the folder typed; false where there is none. */
  async choose(): Promise<boolean> {
    const choosePath = transport().choosePath;
    if (choosePath === null) return false;
    const chosen = await choosePath('export-folder', this.dir);
    if (chosen !== null) this.dir = chosen;
    return true;
  }

  /** Exports; the result on success (and the form closes), null with `error` set otherwise. */
  async submit(): Promise<{ dir: string; files: string[] } | null> {
    const id = this.checkpointId;
    if (id === null) return null;
    this.error = folderProblem(this.dir);
    if (this.error !== null) return null;
    this.busy = true;
    try {
      const result = await transport().call('checkpoints.export', {
        id,
        dir: this.dir.trim(),
        dtype: this.dtype,
        overwrite: this.overwrite,
      });
      if (this.checkpointId === id) this.close();
      return result;
    } catch (err) {
      if (this.checkpointId === id) this.error = messageOf(err);
      return null;
    } finally {
      this.busy = false;
    }
  }
}

export const exportForm = new ExportFormState();
