// The database's migrations in order. A migration is never edited once released: a change to the
// schema is a new numbered file added to the end of this list.

import init from './0001__init.sql?raw';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'init', sql: init }];
