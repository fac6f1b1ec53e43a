/**
 * Host roles: which thresholds apply to a host and whether the rules run there at all. The analytic asks for asset
 * context: a build server or an API gateway makes many HTTP calls by design, a workstation should not.
 *
 * Order: the inventory (inline entries, then the inventory file; first matching pattern wins), then the resource
 * attributes in `role_attributes` order, then `default_role`. The inventory comes first because it is the
 * operator's own statement about the host, while resource attributes come from whatever sensor set them
 * (`host.type` is a cloud machine type on many collectors).
 */
import { readFileSync } from 'node:fs';

import { ConfigError } from '@egressguard/core';
import type { RecordResource } from '@egressguard/schema';
import { ResourceAttr } from '@egressguard/schema';
import { z } from 'zod';

import type { RatioDetectorConfig, Thresholds } from '../config.ts';
import { compileHostPattern } from './host-pattern.ts';

/** What the detector knows about a host. */
export interface ResolvedRole {
  /** The role name (lower case). */
  readonly name: string;
  /** Where the role came from: `inventory`, `inventory_file`, `attribute:<name>` or `default`. */
  readonly source: string;
  /** Whether any rule runs on this host. */
  readonly enabled: boolean;
  /** The thresholds that apply. */
  readonly thresholds: Thresholds;
}

interface InventoryRule {
  readonly pattern: RegExp;
  readonly role: string;
  readonly source: 'inventory' | 'inventory_file';
}

const inventoryEntry = z.strictObject({ host: z.string().min(1), role: z.string().min(1) });

/** Reads an inventory file; every error names the file and, where one is at fault, the entry. */
export function readInventoryFile(path: string): { host: string; role: string }[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError([
      { path: 'inventory_file', message: `${path}: cannot read: ${(cause as Error).message}` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError([
      { path: 'inventory_file', message: `${path}: not valid JSON: ${(cause as Error).message}` },
    ]);
  }
  if (!Array.isArray(parsed)) {
    throw new ConfigError([
      { path: 'inventory_file', message: `${path}: must hold a JSON array of { "host", "role" } entries` },
    ]);
  }
  return parsed.map((entry, index) => {
    const result = inventoryEntry.safeParse(entry);
    if (!result.success) {
      const issues = result.error.issues.map((issue) => {
        const where = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
        return `${where ? `${where}: ` : ''}${issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message}`;
      });
      throw new ConfigError([
        { path: 'inventory_file', message: `${path}: entry [${index}]: ${issues.join('; ')}` },
      ]);
    }
    return result.data;
  });
}

/** Resolves and caches the role of each resource (records of one host share their resource object). */
export class RoleResolver {
  private readonly rules: InventoryRule[] = [];
  private readonly byRole = new Map<string, { enabled: boolean; thresholds: Thresholds }>();
  private readonly defaults: { enabled: boolean; thresholds: Thresholds };
  private readonly attributes: readonly string[];
  private readonly defaultRole: string;
  private readonly cache = new WeakMap<RecordResource, ResolvedRole>();

  constructor(config: RatioDetectorConfig) {
    this.attributes = config.role_attributes;
    this.defaultRole = config.default_role.toLowerCase();
    this.defaults = { enabled: true, thresholds: config.thresholds };
    for (const [name, role] of Object.entries(config.roles)) {
      const overrides = Object.fromEntries(
        Object.entries(role.thresholds).filter(([, v]) => v !== undefined),
      );
      this.byRole.set(name.toLowerCase(), {
        enabled: role.enabled,
        thresholds: { ...config.thresholds, ...overrides },
      });
    }
    config.inventory.forEach((entry, index) => this.addRule(entry, 'inventory', `inventory[${index}].host`));
    if (config.inventory_file !== '') {
      readInventoryFile(config.inventory_file).forEach((entry, index) =>
        this.addRule(
          entry,
          'inventory_file',
          'inventory_file',
          `${config.inventory_file}: entry [${index}]: `,
        ),
      );
    }
  }

  /** The role of the host a resource describes. */
  resolve(resource: RecordResource): ResolvedRole {
    let resolved = this.cache.get(resource);
    if (!resolved) {
      resolved = this.compute(resource);
      this.cache.set(resource, resolved);
    }
    return resolved;
  }

  private compute(resource: RecordResource): ResolvedRole {
    const attrs = resource.attributes;
    const host = attrs[ResourceAttr.HOST_NAME];
    if (typeof host === 'string' && host !== '') {
      for (const rule of this.rules) if (rule.pattern.test(host)) return this.make(rule.role, rule.source);
    }
    for (const key of this.attributes) {
      const value = attrs[key];
      if (typeof value === 'string' && value.trim() !== '')
        return this.make(value.trim().toLowerCase(), `attribute:${key}`);
    }
    return this.make(this.defaultRole, 'default');
  }

  private make(name: string, source: string): ResolvedRole {
    const role = this.byRole.get(name) ?? this.defaults;
    return { name, source, enabled: role.enabled, thresholds: role.thresholds };
  }

  private addRule(
    entry: { host: string; role: string },
    source: InventoryRule['source'],
    path: string,
    prefix = '',
  ): void {
    try {
      this.rules.push({
        pattern: compileHostPattern(entry.host),
        role: entry.role.trim().toLowerCase(),
        source,
      });
    } catch (cause) {
      throw new ConfigError([{ path, message: `${prefix}${(cause as Error).message}` }]);
    }
  }
}
