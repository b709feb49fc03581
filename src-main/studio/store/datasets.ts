// The datasets table: one row per imported corpus, with its statistics and tokenizer.

import type { DatasetInfo, TokenizerSpecInput } from '../../api';
import type { Db } from '../db';
import { nowIso, parseJson } from './sql-values';

export interface TopToken {
  id: number;
  text: string;
  count: number;
}

export interface DatasetRecord extends DatasetInfo {
  dir: string;
  topTokens: TopToken[];
}

/** A dataset to record: all but what the database fills in (its id, time and run count). */
export type NewDataset = Omit<DatasetRecord, 'id' | 'createdAt' | 'runs'>;

interface DatasetRow {
  id: number;
  name: string;
  source_path: string;
  dir: string;
  files: number;
  bytes: number;
  characters: number;
  lines: number;
  sha256: string;
  tokenizer: string;
  vocab_size: number;
  tokens: number;
  top_tokens: string;
  created_at: string;
  runs: number;
}

const SELECT = `SELECT d.*, (SELECT COUNT(*) FROM runs r WHERE r.dataset_id = d.id) AS runs FROM datasets d`;

export class DatasetsRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly deleteStmt;
  private readonly runNamesStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[NewDatasetParams]>(
      `INSERT INTO datasets (name, source_path, dir, files, bytes, characters, lines, sha256, tokenizer,
         vocab_size, tokens, top_tokens, created_at)
       VALUES (@name, @sourcePath, @dir, @files, @bytes, @characters, @lines, @sha256, @tokenizer,
         @vocabSize, @tokens, @topTokens, @createdAt)`,
    );
    this.getStmt = db.prepare<[number], DatasetRow>(`${SELECT} WHERE d.id = ?`);
    this.listStmt = db.prepare<[], DatasetRow>(`${SELECT} ORDER BY d.id DESC`);
    this.deleteStmt = db.prepare<[number]>('DELETE FROM datasets WHERE id = ?');
    this.runNamesStmt = db.prepare<[number], { name: string }>(
      'SELECT name FROM runs WHERE dataset_id = ? ORDER BY id',
    );
  }

  insert(d: NewDataset): number {
    const result = this.insertStmt.run({
      ...d,
      tokenizer: JSON.stringify(d.tokenizer),
      topTokens: JSON.stringify(d.topTokens),
      createdAt: nowIso(),
    });
    return Number(result.lastInsertRowid);
  }

  get(id: number): DatasetRecord | null {
    const row = this.getStmt.get(id);
    return row === undefined ? null : toRecord(row);
  }

  list(): DatasetRecord[] {
    return this.listStmt.all().map(toRecord);
  }

  delete(id: number): void {
    this.deleteStmt.run(id);
  }

  /** Names of the runs that train on the dataset. */
  runNames(id: number): string[] {
    return this.runNamesStmt.all(id).map((r) => r.name);
  }
}

type NewDatasetParams = Omit<NewDataset, 'tokenizer' | 'topTokens'> & {
  tokenizer: string;
  topTokens: string;
  createdAt: string;
};

function toRecord(row: DatasetRow): DatasetRecord {
  return {
    id: row.id,
    name: row.name,
    sourcePath: row.source_path,
    dir: row.dir,
    createdAt: row.created_at,
    files: row.files,
    bytes: row.bytes,
    characters: row.characters,
    lines: row.lines,
    sha256: row.sha256,
    tokenizer: parseJson<TokenizerSpecInput>(row.tokenizer),
    vocabSize: row.vocab_size,
    tokens: row.tokens,
    runs: row.runs,
    topTokens: parseJson<TopToken[]>(row.top_tokens),
  };
}

/** The API view of a dataset (without its folder and token table). */
export function datasetInfo(d: DatasetRecord): DatasetInfo {
  const { dir: _dir, topTokens: _top, ...info } = d;
  return info;
}
