// Imported datasets: the list, imports in progress (their phase and upload progress), the selected
// dataset's statistics and preview, and delete.

import type {
  DatasetInfo,
  DatasetImportPhase,
  DatasetPreview,
  DatasetStats,
  StudioEvent,
  TokenizerSpecInput,
} from '../../../src-main/api';
import { messageOf } from '../transport/api-error';
import type { UploadFile } from '../transport/transport';
import { transport } from './api';
import { LoadedList } from './loaded-list.svelte';

export interface ImportJob {
  jobId: string;
  name: string;
  phase: 'uploading' | DatasetImportPhase;
  uploaded: number; // 0..1
  error: string | null;
}

/** The share of an import that is done when it reaches `phase` (for one progress bar). */
export const PHASE_PROGRESS: Record<ImportJob['phase'], number> = {
  uploading: 0,
  reading: 0.3,
  tokenizer: 0.45,
  encoding: 0.65,
  writing: 0.9,
  done: 1,
  failed: 1,
};

export function jobProgress(job: ImportJob): number {
  return job.phase === 'uploading' ? 0.3 * job.uploaded : PHASE_PROGRESS[job.phase];
}

export class DatasetsState extends LoadedList<DatasetInfo> {
  jobs = $state<ImportJob[]>([]);
  selectedId = $state<number | null>(null);
  stats = $state<DatasetStats | null>(null);
  preview = $state<DatasetPreview | null>(null);
  detailError = $state<string | null>(null);
  private jobCounter = 0;

  protected fetchItems(): Promise<DatasetInfo[]> {
    return transport().call('datasets.list', {});
  }

  handle(event: StudioEvent): void {
    switch (event.type) {
      case 'dataset-import': {
        const job = this.jobs.find((j) => j.jobId === event.jobId);
        if (job !== undefined) {
          job.phase = event.phase;
          job.error = event.error;
        }
        if (event.dataset !== null && !this.items.some((d) => d.id === event.dataset?.id)) {
          this.items = [...this.items, event.dataset];
        }
        return;
      }
      case 'dataset-deleted':
        this.items = this.items.filter((d) => d.id !== event.datasetId);
        if (this.selectedId === event.datasetId) this.select(null);
        return;
      case 'run-changed':
      case 'run-deleted':
      case 'run-update':
      case 'generation':
        return;
    }
  }

  /**
   * Imports from a path on the training machine, or uploads files first (serve mode). Resolves with
   * the new dataset, or null when it failed (the job keeps the message).
   */
  async importFrom(
    source: { path: string } | { files: UploadFile[] },
    name: string,
    tokenizer: TokenizerSpecInput,
  ): Promise<DatasetInfo | null> {
    const jobId = `import-${Date.now()}-${++this.jobCounter}`;
    this.jobs.push({ jobId, name, phase: 'uploading', uploaded: 0, error: null });
    const job = (): ImportJob | undefined => this.jobs.find((j) => j.jobId === jobId);
    try {
      const t = transport();
      let path: string;
      if ('path' in source) {
        path = source.path;
        const j = job();
        if (j !== undefined) j.phase = 'reading';
      } else {
        if (t.upload === null) throw new Error('This window cannot upload files; choose a path instead.');
        path = await t.upload(source.files, (fraction) => {
          const j = job();
          if (j !== undefined) j.uploaded = fraction;
        });
      }
      const dataset = await t.call('datasets.import', {
        path,
        name: name.trim() === '' ? undefined : name.trim(),
        tokenizer,
        jobId,
      });
      const j = job();
      if (j !== undefined) j.phase = 'done';
      if (!this.items.some((d) => d.id === dataset.id)) this.items = [...this.items, dataset];
      this.select(dataset.id);
      setTimeout(() => this.dismissJob(jobId), 3000);
      return dataset;
    } catch (err) {
      const j = job();
      if (j !== undefined) {
        j.phase = 'failed';
        j.error = messageOf(err);
      }
      return null;
    }
  }

  dismissJob(jobId: string): void {
    this.jobs = this.jobs.filter((j) => j.jobId !== jobId);
  }

  select(id: number | null): void {
    this.selectedId = id;
    this.stats = null;
    this.preview = null;
    this.detailError = null;
    if (id !== null) void this.loadDetail(id);
  }

  private async loadDetail(id: number): Promise<void> {
    try {
      const [stats, preview] = await Promise.all([
        transport().call('datasets.stats', { id }),
        transport().call('datasets.preview', { id, characters: 2000 }),
      ]);
      if (this.selectedId !== id) return;
      this.stats = stats;
      this.preview = preview;
    } catch (err) {
      if (this.selectedId === id) this.detailError = messageOf(err);
    }
  }

  async remove(id: number): Promise<void> {
    await transport().call('datasets.delete', { id });
    this.items = this.items.filter((d) => d.id !== id);
    if (this.selectedId === id) this.select(null);
  }
}

export const datasets = new DatasetsState();
