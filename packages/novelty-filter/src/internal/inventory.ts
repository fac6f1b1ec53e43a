/**
 * An inventory of expected executables, for hosts whose package database this instance cannot read (other hosts,
 * containers, software installed outside packages). Two formats:
 * - a newline list: one absolute path, path glob, or SHA-256 digest (64 hex digits) per line; `#` starts a comment;
 * - JSON: `{ "paths": [...], "sha256": [...], "hosts": { "<host.name>": { "paths": [...], "sha256": [...] } } }`
 *   where the top-level lists apply to every host and `hosts` adds per-host lists.
 */
import { readFileSync } from 'node:fs';

import { globToRegExp, isGlob } from './glob.ts';
import { canonicalUsrPath } from './usr-merge.ts';

const SHA256 = /^[0-9a-f]{64}$/i;

class InventoryList {
  readonly paths = new Set<string>();
  readonly patterns: RegExp[] = [];
  readonly hashes = new Set<string>();

  add(item: string, where: string): void {
    const value = item.trim();
    if (SHA256.test(value)) this.hashes.add(value.toLowerCase());
    else if (value.startsWith('/')) {
      const path = canonicalUsrPath(value);
      if (isGlob(path)) this.patterns.push(globToRegExp(path));
      else this.paths.add(path);
    } else
      throw new Error(`${where}: ${JSON.stringify(value)} is neither an absolute path nor a SHA-256 digest`);
  }

  get empty(): boolean {
    return this.paths.size === 0 && this.patterns.length === 0 && this.hashes.size === 0;
  }

  has(path: string | undefined, sha256: string | undefined): boolean {
    if (sha256 !== undefined && this.hashes.has(sha256.toLowerCase())) return true;
    if (path === undefined) return false;
    const p = canonicalUsrPath(path);
    return this.paths.has(p) || this.patterns.some((re) => re.test(p));
  }
}

/** A loaded inventory. */
export class Inventory {
  private readonly global = new InventoryList();
  private readonly hosts = new Map<string, InventoryList>();

  /** Parses inventory text; throws naming the line or key that is wrong. */
  static parse(text: string, source = 'inventory'): Inventory {
    const inventory = new Inventory();
    const trimmed = text.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (cause) {
        throw new Error(`${source}: not valid JSON`, { cause });
      }
      if (Array.isArray(data)) inventory.addAll(inventory.global, data, `${source}[]`);
      else {
        const obj = data as { paths?: unknown; sha256?: unknown; hosts?: unknown };
        inventory.addAll(inventory.global, obj.paths ?? [], `${source}.paths`);
        inventory.addAll(inventory.global, obj.sha256 ?? [], `${source}.sha256`);
        if (obj.hosts !== undefined) {
          if (typeof obj.hosts !== 'object' || obj.hosts === null)
            throw new Error(`${source}.hosts: must be an object`);
          for (const [host, lists] of Object.entries(
            obj.hosts as Record<string, { paths?: unknown; sha256?: unknown }>,
          )) {
            const list = new InventoryList();
            inventory.addAll(list, lists.paths ?? [], `${source}.hosts.${host}.paths`);
            inventory.addAll(list, lists.sha256 ?? [], `${source}.hosts.${host}.sha256`);
            inventory.hosts.set(host, list);
          }
        }
      }
      return inventory;
    }
    text.split('\n').forEach((line, i) => {
      const content = line.replace(/#.*/, '').trim();
      if (content !== '') inventory.global.add(content, `${source}:${i + 1}`);
    });
    return inventory;
  }

  /** Reads and parses an inventory file. */
  static load(path: string): Inventory {
    return Inventory.parse(readFileSync(path, 'utf8'), path);
  }

  private addAll(list: InventoryList, items: unknown, where: string): void {
    if (!Array.isArray(items)) throw new Error(`${where}: must be an array of strings`);
    items.forEach((item, i) => {
      if (typeof item !== 'string') throw new Error(`${where}[${i}]: must be a string`);
      list.add(item, `${where}[${i}]`);
    });
  }

  /** Whether the inventory says anything about `host` (its own lists or the global ones). */
  covers(host: string | undefined): boolean {
    return !this.global.empty || (host !== undefined && this.hosts.has(host));
  }

  /** Whether the executable (by path or digest) is in the inventory for `host`. */
  contains(host: string | undefined, path: string | undefined, sha256: string | undefined): boolean {
    if (this.global.has(path, sha256)) return true;
    const own = host !== undefined ? this.hosts.get(host) : undefined;
    return own !== undefined && own.has(path, sha256);
  }
}
