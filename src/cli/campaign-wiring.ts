/** What main.ts hands a command group's module: the shared remote options and their defaults. */
import type { Command } from 'commander';
import type { RemoteOptions } from './api-client';

export interface CliWiring {
  /** Adds --url, --api-key, --account (and --json unless `json: false`) to a command. */
  remote(cmd: Command, opts?: { json?: boolean }): Command;
  /** Fills the remote options' defaults from the environment. */
  connected<T extends Partial<RemoteOptions>>(opts: T): T & RemoteOptions;
}
