/**
 * The built-in allowlist: software known to talk HTTP a lot, matched on process identity (executable path
 * patterns, executable names, optionally file hashes), never on destination addresses: proxies and CDNs make
 * per-address allowlists meaningless ("Proxies and CDNs make per-IP allowlists useless: allowlist by process
 * identity").
 *
 * Rules every entry follows:
 * - Path patterns name the locations the software's own packages install to (canonical merged-`/usr` form: `/bin`
 *   is written `/usr/bin`), never a bare name anywhere: `/tmp/apt-get` is not apt-get.
 * - Names are the kernel's `comm` (at most 15 characters) and are used only when a record carries no path at all.
 *   A name is listed only when it is distinctive; generic ones (`http`, `agent`, `node`) are left out because an
 *   implant can choose its own name.
 * - Interpreters (`python3`, `node`, `perl`, `ruby`, `java`) and general-purpose clients (`curl`, `wget`) are never
 *   listed: their identity is the interpreter, so allowlisting a tool written in Python would allowlist every
 *   Python script, an implant included. See {@link EXCLUDED_SOFTWARE}.
 */

/** Categories of built-in entries. */
export type AllowlistCategory =
  | 'package manager'
  | 'updater'
  | 'observability agent'
  | 'proxy'
  | 'browser'
  | 'cloud agent'
  | 'container runtime'
  | 'network service';

/** One allowlist entry: a piece of software and how to recognise its processes. */
export interface AllowlistEntry {
  /** Stable id, written to `egressguard.novelty.allowlist_entry` as `builtin:<id>` or `user:<id>`. */
  readonly id: string;
  /** Executable path globs (`*` within a segment, `**` across, `{a,b}`), canonical `/usr` form. */
  readonly paths?: readonly string[];
  /** Executable names (`comm`), matched only when the record has no path. */
  readonly names?: readonly string[];
  /** SHA-256 digests (lowercase hex) of executables, matched wherever the file is. */
  readonly sha256?: readonly string[];
}

/** A built-in entry, with what the software is and why it talks HTTP. */
export interface BuiltinAllowlistEntry extends AllowlistEntry {
  readonly software: string;
  readonly category: AllowlistCategory;
  /** Why the software makes many HTTP connections. */
  readonly why: string;
  readonly paths: readonly string[];
}

/** The built-in allowlist; `use_builtin_allowlist: false` turns it off. */
export const BUILTIN_ALLOWLIST: readonly BuiltinAllowlistEntry[] = [
  {
    id: 'apt',
    software: 'APT (apt, apt-get, apt-helper)',
    category: 'package manager',
    why: 'Front ends start the download methods below; apt-helper downloads files itself.',
    paths: ['/usr/bin/apt', '/usr/bin/apt-get', '/usr/lib/apt/apt-helper'],
    names: ['apt', 'apt-get', 'apt-helper'],
  },
  {
    id: 'apt-methods',
    software: 'APT download methods (http, https)',
    category: 'package manager',
    why: 'apt update/upgrade fetches indexes and packages from every configured mirror over HTTP(S), many requests per run.',
    // The processes are named `http` and `https`: too generic to trust by name alone, so only the path matches.
    paths: ['/usr/lib/apt/methods/{http,https}'],
  },
  {
    id: 'dnf5',
    software: 'DNF5 (Fedora 41+)',
    category: 'package manager',
    why: 'Downloads repository metadata and packages (librepo/libcurl in-process).',
    paths: ['/usr/bin/dnf5'],
    names: ['dnf5'],
  },
  {
    id: 'zypper',
    software: 'zypper (SUSE)',
    category: 'package manager',
    why: 'Refreshes repositories and downloads packages over HTTP(S).',
    paths: ['/usr/bin/zypper'],
    names: ['zypper'],
  },
  {
    id: 'apk',
    software: 'apk-tools (Alpine)',
    category: 'package manager',
    why: 'Fetches APKINDEX files and packages over HTTP(S).',
    paths: ['/sbin/apk', '/usr/sbin/apk'],
    names: ['apk'],
  },
  {
    id: 'pacman',
    software: 'pacman (Arch)',
    category: 'package manager',
    why: 'Syncs databases and downloads packages from mirrors.',
    paths: ['/usr/bin/pacman'],
    names: ['pacman'],
  },
  {
    id: 'snapd',
    software: 'snapd',
    category: 'package manager',
    why: 'Polls the Snap Store for refreshes several times a day and downloads snaps.',
    paths: ['/usr/lib/snapd/snapd', '/snap/snapd/*/usr/lib/snapd/snapd'],
    names: ['snapd'],
  },
  {
    id: 'flatpak',
    software: 'Flatpak',
    category: 'package manager',
    why: 'Pulls OSTree objects from remotes: many small HTTP requests per update.',
    paths: [
      '/usr/bin/flatpak',
      '/usr/libexec/flatpak-system-helper',
      '/usr/lib/flatpak/flatpak-system-helper',
    ],
    names: ['flatpak', 'flatpak-system-'],
  },
  {
    id: 'packagekit',
    software: 'PackageKit daemon',
    category: 'updater',
    why: 'Refreshes package metadata in the background for desktop software centres and unattended updates.',
    paths: ['/usr/libexec/packagekitd', '/usr/lib/packagekit/packagekitd'],
    names: ['packagekitd'],
  },
  {
    id: 'fwupd',
    software: 'fwupd',
    category: 'updater',
    why: 'Downloads the LVFS firmware metadata and firmware.',
    paths: ['/usr/libexec/fwupd/fwupd', '/usr/lib/fwupd/fwupd', '/usr/bin/fwupdmgr'],
    names: ['fwupd', 'fwupdmgr'],
  },
  {
    id: 'prometheus',
    software: 'Prometheus server',
    category: 'observability agent',
    why: 'Scrapes every target over HTTP every scrape interval.',
    paths: ['/usr/bin/prometheus', '/usr/local/bin/prometheus', '/opt/prometheus*/prometheus'],
    names: ['prometheus'],
  },
  {
    id: 'node-exporter',
    software: 'Prometheus node_exporter',
    category: 'observability agent',
    why: 'Serves metrics over HTTP; its textfile and systemd collectors may call local HTTP endpoints.',
    paths: [
      '/usr/bin/prometheus-node-exporter',
      '/usr/bin/node_exporter',
      '/usr/local/bin/node_exporter',
      '/opt/node_exporter*/node_exporter',
    ],
    names: ['node_exporter', 'prometheus-node'],
  },
  {
    id: 'grafana-agent',
    software: 'Grafana Agent and Grafana Alloy',
    category: 'observability agent',
    why: 'Scrapes targets and remote-writes metrics, logs and traces over HTTP.',
    paths: [
      '/usr/bin/grafana-agent',
      '/usr/bin/grafana-agent-flow',
      '/usr/bin/alloy',
      '/usr/local/bin/alloy',
    ],
    names: ['grafana-agent', 'grafana-agent-f', 'alloy'],
  },
  {
    id: 'otelcol',
    software: 'OpenTelemetry Collector (core, contrib, k8s distributions)',
    category: 'observability agent',
    why: 'Exports telemetry over OTLP/HTTP and scrapes HTTP receivers continuously.',
    paths: [
      '/usr/bin/otelcol',
      '/usr/bin/otelcol-contrib',
      '/usr/bin/otelcol-k8s',
      '/usr/local/bin/otelcol*',
    ],
    names: ['otelcol', 'otelcol-contrib', 'otelcol-k8s'],
  },
  {
    id: 'datadog-agent',
    software: 'Datadog Agent',
    category: 'observability agent',
    why: 'Ships metrics, traces and logs to the Datadog intake over HTTPS.',
    // The main binary is called `agent`: too generic to match by name. Not `embedded/bin/*`: that folder also holds
    // the agent's own Python interpreter, which would allowlist any script run with it.
    paths: [
      '/opt/datadog-agent/bin/agent/agent',
      '/opt/datadog-agent/embedded/bin/{trace-agent,process-agent,system-probe,security-agent}',
    ],
    names: ['trace-agent', 'process-agent', 'system-probe', 'security-agent'],
  },
  {
    id: 'elastic-agent',
    software: 'Elastic Agent and Beats (Filebeat, Metricbeat, Auditbeat, Packetbeat, Heartbeat)',
    category: 'observability agent',
    why: 'Bulk-indexes events to Elasticsearch over HTTP; Heartbeat probes endpoints by design.',
    paths: [
      '/opt/Elastic/Agent/elastic-agent',
      '/opt/Elastic/Agent/data/elastic-agent-*/elastic-agent',
      '/opt/Elastic/Agent/data/elastic-agent-*/components/*',
      '/usr/share/{filebeat,metricbeat,auditbeat,packetbeat,heartbeat}/bin/*',
      '/usr/bin/{filebeat,metricbeat,auditbeat,packetbeat,heartbeat}',
    ],
    names: ['elastic-agent', 'filebeat', 'metricbeat', 'auditbeat', 'packetbeat', 'heartbeat'],
  },
  {
    id: 'fluent-bit',
    software: 'Fluent Bit',
    category: 'observability agent',
    why: 'Forwards logs to HTTP outputs (Elasticsearch, Loki, OTLP, Splunk HEC).',
    paths: ['/opt/fluent-bit/bin/fluent-bit', '/usr/bin/fluent-bit', '/usr/local/bin/fluent-bit'],
    names: ['fluent-bit'],
  },
  {
    id: 'telegraf',
    software: 'Telegraf',
    category: 'observability agent',
    why: 'Polls HTTP inputs and writes to InfluxDB and other HTTP outputs.',
    paths: ['/usr/bin/telegraf'],
    names: ['telegraf'],
  },
  {
    id: 'zabbix-agent',
    software: 'Zabbix agent and agent 2',
    category: 'observability agent',
    why: 'Agent 2 plugins poll HTTP endpoints; active checks talk to the server continuously.',
    paths: ['/usr/sbin/zabbix_agentd', '/usr/sbin/zabbix_agent2'],
    names: ['zabbix_agentd', 'zabbix_agent2'],
  },
  {
    id: 'newrelic-infra',
    software: 'New Relic infrastructure agent',
    category: 'observability agent',
    why: 'Sends inventory, metrics and logs to the New Relic collector over HTTPS.',
    paths: [
      '/usr/bin/newrelic-infra',
      '/usr/bin/newrelic-infra-service',
      '/var/db/newrelic-infra/newrelic-integrations/bin/*',
    ],
    names: ['newrelic-infra', 'newrelic-infra-'],
  },
  {
    id: 'squid',
    software: 'Squid',
    category: 'proxy',
    why: 'A forward proxy: every client request becomes its own upstream HTTP connection.',
    paths: ['/usr/sbin/squid'],
    names: ['squid'],
  },
  {
    id: 'nginx',
    software: 'nginx',
    category: 'proxy',
    why: 'Reverse proxy: proxy_pass opens upstream HTTP connections for client requests.',
    paths: ['/usr/sbin/nginx', '/usr/local/nginx/sbin/nginx', '/usr/local/openresty/nginx/sbin/nginx'],
    names: ['nginx'],
  },
  {
    id: 'haproxy',
    software: 'HAProxy',
    category: 'proxy',
    why: 'Load balancer: opens backend connections and HTTP health checks continuously.',
    paths: ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'],
    names: ['haproxy'],
  },
  {
    id: 'envoy',
    software: 'Envoy',
    category: 'proxy',
    why: 'Service proxy: upstream connections, health checks and xDS polling.',
    paths: ['/usr/bin/envoy', '/usr/local/bin/envoy'],
    names: ['envoy'],
  },
  {
    id: 'firefox',
    software: 'Firefox',
    category: 'browser',
    why: 'A browser opens many HTTP connections; telemetry and update checks add more.',
    paths: [
      '/usr/lib/firefox/firefox',
      '/usr/lib/firefox-esr/firefox-esr',
      '/usr/lib64/firefox/firefox',
      '/opt/firefox/firefox',
      '/snap/firefox/*/usr/lib/firefox/firefox',
    ],
    names: ['firefox', 'firefox-esr'],
  },
  {
    id: 'chromium',
    software: 'Chromium and Google Chrome',
    category: 'browser',
    why: 'A browser opens many HTTP connections; component updates and safe browsing add more.',
    paths: [
      '/usr/lib/chromium/chromium',
      '/usr/lib/chromium-browser/chromium-browser',
      '/usr/lib64/chromium-browser/chromium-browser',
      '/opt/google/chrome/chrome',
      '/snap/chromium/*/usr/lib/chromium-browser/chrome',
    ],
    names: ['chromium', 'chrome'],
  },
  {
    id: 'amazon-ssm-agent',
    software: 'AWS Systems Manager agent',
    category: 'cloud agent',
    why: 'Long-polls the SSM and message gateway endpoints over HTTPS.',
    paths: [
      '/usr/bin/amazon-ssm-agent',
      '/usr/bin/ssm-agent-worker',
      '/usr/bin/ssm-session-worker',
      '/snap/amazon-ssm-agent/*/{amazon-ssm-agent,ssm-agent-worker,ssm-session-worker}',
    ],
    names: ['amazon-ssm-agen', 'ssm-agent-worke', 'ssm-session-wor'],
  },
  {
    id: 'google-guest-agent',
    software: 'Google guest agent and OS Config agent',
    category: 'cloud agent',
    why: 'Watches the metadata server with long-polling HTTP requests.',
    paths: [
      '/usr/bin/google_guest_agent',
      '/usr/bin/google_osconfig_agent',
      '/usr/bin/google_metadata_script_runner',
    ],
    names: ['google_guest_ag', 'google_osconfig', 'google_metadata'],
  },
  {
    id: 'containerd',
    software: 'containerd, Docker Engine, Podman',
    category: 'container runtime',
    why: 'Image pulls fetch manifests and layers from registries: bursts of HTTP requests.',
    paths: ['/usr/bin/containerd', '/usr/bin/dockerd', '/usr/sbin/dockerd', '/usr/bin/podman'],
    names: ['containerd', 'dockerd', 'podman'],
  },
  {
    id: 'kubelet',
    software: 'kubelet',
    category: 'container runtime',
    why: 'Talks to the API server and probes pods over HTTP continuously.',
    paths: ['/usr/bin/kubelet', '/usr/local/bin/kubelet'],
    names: ['kubelet'],
  },
  {
    id: 'networkmanager',
    software: 'NetworkManager',
    category: 'network service',
    why: 'Connectivity checks fetch a known URL over HTTP periodically.',
    paths: ['/usr/sbin/NetworkManager'],
    names: ['NetworkManager'],
  },
];

/** Software asked about that the built-in list leaves out on purpose, and why. */
export const EXCLUDED_SOFTWARE: readonly { readonly software: string; readonly reason: string }[] = [
  {
    software: 'node, npm, npx',
    reason:
      'npm runs as the `node` executable: allowlisting it would allowlist every JavaScript program, the favourite vehicle of supply-chain implants.',
  },
  {
    software: 'pip, python3',
    reason: 'pip runs as the Python interpreter; allowlisting it would allowlist every Python script.',
  },
  {
    software: 'dnf (4), yum',
    reason: 'Python programs: the process identity is `/usr/bin/python3` (dnf5, a native binary, is listed).',
  },
  {
    software: 'unattended-upgrades, cloud-init, waagent (WALinuxAgent)',
    reason:
      'Python programs: their identity is the interpreter. Their `comm` and command line are chosen by the process itself, so matching them would let any Python script pass by naming itself the same.',
  },
  {
    software: 'curl, wget',
    reason: 'General-purpose clients used by scripts and attackers alike; their callers are what matter.',
  },
];
