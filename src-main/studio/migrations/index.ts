// The database's migrations in order. A migration is never edited once released: a change to the
// schema is a new numbered file added to the end of this list.

import init from './0001__init.sql?raw';
import runTokensPerSecond from './0002__run_tokens_per_second.sql?raw';
import runConfigThreads from './0003__run_config_threads.sql?raw';
import runOwnerAndCommands from './0004__run_owner_and_commands.sql?raw';
import runSpecDerived from './0005__run_spec_derived.sql?raw';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'run_tokens_per_second', sql: runTokensPerSecond },
  { version: 3, name: 'run_config_threads', sql: runConfigThreads },
  { version: 4, name: 'run_owner_and_commands', sql: runOwnerAndCommands },
  { version: 5, name: 'run_spec_derived', sql: runSpecDerived },
];
