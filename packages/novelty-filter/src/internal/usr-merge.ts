/**
 * The merged-`/usr` aliases. On Debian since bookworm (and Fedora, Arch, Ubuntu since 19.04) `/bin`, `/sbin` and
 * `/lib*` are symlinks into `/usr`, so one file has two names: package file lists may still say `/bin/ls` while the
 * kernel reports the resolved executable `/usr/bin/ls` (`/proc/<pid>/exe` resolves symlinks). Comparing canonical
 * `/usr` names on both sides makes the two agree.
 */

const ALIASES: readonly (readonly [string, string])[] = [
  ['/bin/', '/usr/bin/'],
  ['/sbin/', '/usr/sbin/'],
  ['/lib/', '/usr/lib/'],
  ['/lib32/', '/usr/lib32/'],
  ['/lib64/', '/usr/lib64/'],
  ['/libx32/', '/usr/libx32/'],
];

/** `/bin/ls` → `/usr/bin/ls`; paths outside the aliased directories are returned unchanged. */
export function canonicalUsrPath(path: string): string {
  if (path.startsWith('/usr/')) return path;
  for (const [alias, target] of ALIASES) {
    if (path.startsWith(alias)) return target + path.slice(alias.length);
  }
  return path;
}
