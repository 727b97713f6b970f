/**
 * The multi-node deployment examples under deploy/ are checked here, since they cannot be run on
 * this machine (no Docker engine, no systemd as PID 1):
 *   - docker-compose.yml: parsed as YAML (the `yaml` package; `docker compose config` needs the
 *     compose plugin, absent here) and its structure asserted: services, roles, replicas,
 *     healthchecks, start order, volumes, files it references — and the environment each role gets
 *     is fed to StreamForge's own loadConfig, so a misspelt or invalid setting fails here.
 *   - Dockerfile: instructions, what it copies exists, its RUN lines parse as shell.
 *   - systemd units: `systemd-analyze verify` (no warnings allowed), `systemd-analyze security
 *     --offline` exposure, ExecStart/stop settings; the env file example through loadConfig.
 *   - nginx edge config: the real `nginx -t` on the shipped file inside a minimal nginx.conf.
 * The edge config's behaviour is measured in edge-cache.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { envNames, loadConfig } from '../../src/config/config.js';
import { repoRoot } from '../helpers/media.js';

const deployDir = path.join(repoRoot, 'deploy');
const knownEnv = new Set<string>([...Object.values(envNames), 'NODE_ENV']);
const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** `${VAR:-default}` → default, `$$` → `$`, as compose interpolates with nothing set. */
function interpolateDefaults(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1').replace(/\$\$/g, '$');
}

/** Every setting must be one StreamForge knows, and the whole set must pass its validation. */
function expectValidStreamForgeEnv(env: Record<string, string>, role: 'api' | 'worker') {
  for (const key of Object.keys(env)) expect(knownEnv.has(key), `unknown setting ${key}`).toBe(true);
  // The role comes from the command line (`serve --role …`), which wins over the environment.
  const config = loadConfig({ env: { ...env }, overrides: { role } });
  expect(config.databaseUrl).toMatch(/^postgres:\/\//);
  expect(config.redisUrl).toMatch(/^redis:\/\//);
  expect(config.storageUrl).toMatch(/^s3:\/\/[a-z0-9.-]+/);
  return config;
}

describe('deploy/docker-compose.yml', () => {
  const source = readFileSync(path.join(deployDir, 'docker-compose.yml'), 'utf8');
  // Compose files use YAML merge keys (`<<: *anchor`); duplicate keys are errors.
  const document = parseDocument(source, { merge: true, uniqueKeys: true, prettyErrors: true });
  const compose = document.toJS({ maxAliasCount: 100 }) as any;
  const services = compose.services as Record<string, any>;

  it('is valid YAML with only compose top-level and service keys', () => {
    expect(document.errors.map(String)).toEqual([]);
    expect(document.warnings.map(String)).toEqual([]);
    for (const key of Object.keys(compose)) expect(['name', 'services', 'volumes', 'networks', 'configs', 'secrets'].includes(key) || key.startsWith('x-'), key).toBe(true);
    const serviceKeys = new Set([
      'build', 'command', 'container_name', 'depends_on', 'deploy', 'entrypoint', 'environment', 'env_file', 'expose',
      'healthcheck', 'image', 'init', 'labels', 'logging', 'networks', 'ports', 'restart', 'stop_grace_period',
      'stop_signal', 'tmpfs', 'ulimits', 'user', 'volumes', 'working_dir',
    ]);
    for (const [name, service] of Object.entries(services)) {
      for (const key of Object.keys(service)) expect(serviceKeys.has(key), `${name}.${key}`).toBe(true);
      expect(typeof service.image === 'string' || service.build !== undefined, `${name} has an image`).toBe(true);
    }
  });

  it('runs PostgreSQL, Redis, MinIO, 2 API replicas, several workers and an nginx edge', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'edge', 'minio', 'minio-init', 'postgres', 'redis', 'worker']);
    expect(services.api.command).toEqual(['serve', '--role', 'api']);
    expect(services.worker.command).toEqual(['serve', '--role', 'worker']);
    expect(services.api.deploy.replicas).toBe(2);
    expect(services.worker.deploy.replicas).toBeGreaterThanOrEqual(2);
    // Only the edge is published; the API is reached through it.
    expect(services.edge.ports).toEqual(['8080:80']);
    expect(services.api.ports).toBeUndefined();
    expect(services.edge.image).toMatch(/^nginx:/);
    // BullMQ needs Redis to never evict keys.
    expect(services.redis.command.join(' ')).toContain('--maxmemory-policy noeviction');
  });

  it('gives both roles the same valid DATABASE_URL, REDIS_URL and S3 settings, matching the services', () => {
    const envOf = (name: string): Record<string, string> =>
      Object.fromEntries(Object.entries(services[name].environment as Record<string, unknown>).map(([k, v]) => [k, interpolateDefaults(String(v))]));
    const api = envOf('api');
    const worker = envOf('worker');
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'STORAGE_URL', 'STREAMFORGE_S3_ENDPOINT', 'STREAMFORGE_S3_ACCESS_KEY_ID', 'STREAMFORGE_S3_SECRET_ACCESS_KEY']) {
      expect(api[key], key).toBeDefined();
      expect(worker[key], key).toBe(api[key]);
    }
    const apiConfig = expectValidStreamForgeEnv(api, 'api');
    expectValidStreamForgeEnv(worker, 'worker');

    // The URLs name the services with the credentials those services were given.
    const pg = envOf('postgres');
    const db = new URL(apiConfig.databaseUrl);
    expect([db.hostname, db.port, db.username, db.password, db.pathname]).toEqual(['postgres', '5432', pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`]);
    expect(new URL(apiConfig.redisUrl!).hostname).toBe('redis');
    const minio = envOf('minio');
    expect(new URL(api.STREAMFORGE_S3_ENDPOINT!).hostname).toBe('minio');
    expect([api.STREAMFORGE_S3_ACCESS_KEY_ID, api.STREAMFORGE_S3_SECRET_ACCESS_KEY]).toEqual([minio.MINIO_ROOT_USER, minio.MINIO_ROOT_PASSWORD]);
    // minio-init creates the very bucket STORAGE_URL names (StreamForge never creates it).
    const bucket = /^s3:\/\/([^/]+)/.exec(apiConfig.storageUrl)![1];
    expect(services['minio-init'].command.join(' ')).toContain(`mc mb --ignore-existing local/${bucket}`);
    // Every API replica must see the same resumable-upload directory.
    expect(services.api.volumes).toContain(`tus-uploads:${api.STREAMFORGE_UPLOADS_DIR}`);
  });

  it('has healthchecks and starts each role after what it needs is healthy', () => {
    for (const name of ['postgres', 'redis', 'minio', 'api', 'worker', 'edge']) {
      const test = services[name].healthcheck?.test;
      expect(Array.isArray(test) && test[0] === 'CMD', `${name} healthcheck`).toBe(true);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries((service.depends_on ?? {}) as Record<string, { condition: string }>)) {
        expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') expect(services[dependency].healthcheck, `${dependency} has a healthcheck`).toBeDefined();
        else expect(condition).toBe('service_completed_successfully');
      }
    }
    for (const role of ['api', 'worker']) expect(Object.keys(services[role].depends_on).sort()).toEqual(['minio-init', 'postgres', 'redis']);
    expect(services.edge.depends_on.api.condition).toBe('service_healthy');
    // The commands inside the healthchecks parse: Node for the roles, bash for the edge, sh for init.
    for (const role of ['api', 'worker']) {
      const [, node, flag, code] = services[role].healthcheck.test;
      expect([node, flag]).toEqual(['node', '-e']);
      expect(() => new Script(code)).not.toThrow();
      expect(code).toContain('http://127.0.0.1:8080/ready');
    }
    const [, bash, dashC, script] = services.edge.healthcheck.test;
    expect([bash, dashC]).toEqual(['bash', '-c']);
    expect(spawnSync('bash', ['-n', '-c', script]).status).toBe(0);
    expect(spawnSync('sh', ['-n', '-c', interpolateDefaults(services['minio-init'].command[0])]).status).toBe(0);
  });

  it('stops workers later than their grace, and references only files and volumes that exist', () => {
    const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)![1]);
    expect(seconds(services.worker.stop_grace_period)).toBeGreaterThanOrEqual(WORKER_STOP_NEEDS_SEC);
    expect(services.worker.stop_signal).toBe('SIGTERM');
    for (const role of ['api', 'worker']) {
      expect(services[role].init).toBe(true);
      const build = services[role].build;
      expect(existsSync(path.resolve(deployDir, build.context, build.dockerfile))).toBe(true);
    }
    const declared = new Set(Object.keys(compose.volumes));
    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service.volumes ?? []) as string[]) {
        const [source] = volume.split(':');
        if (!volume.includes(':')) continue; // anonymous volume
        if (source!.startsWith('.')) expect(existsSync(path.resolve(deployDir, source!)), `${name}: ${source}`).toBe(true);
        else expect(declared.has(source!), `${name}: volume ${source}`).toBe(true);
      }
    }
    expect(services.edge.volumes).toContain('./nginx/streamforge-edge.conf:/etc/nginx/conf.d/default.conf:ro');
  });
});

describe('deploy/Dockerfile', () => {
  const lines = readFileSync(path.join(deployDir, 'Dockerfile'), 'utf8').split('\n');
  // Join continuation lines into instructions.
  const instructions: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    current += (current ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      instructions.push(current);
      current = '';
    }
  }

  it('uses known instructions, a Debian Node 20 base with ffmpeg, npm ci, and a non-root user', () => {
    const known = new Set(['FROM', 'RUN', 'COPY', 'WORKDIR', 'ENV', 'USER', 'EXPOSE', 'ENTRYPOINT', 'CMD', 'ARG']);
    for (const instruction of instructions) expect(known.has(instruction.split(' ')[0]!), instruction).toBe(true);
    const from = instructions.filter((i) => i.startsWith('FROM '));
    for (const f of from) expect(f).toMatch(/^FROM node:20-bookworm-slim\b/);
    const runs = instructions.filter((i) => i.startsWith('RUN ')).map((i) => i.slice(4));
    expect(runs.some((r) => /apt-get install .*\bffmpeg\b/.test(r) && /\butil-linux\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    for (const run of runs) expect(spawnSync('sh', ['-n', '-c', run]).status, run).toBe(0);
    const finalStage = instructions.slice(instructions.lastIndexOf(from.at(-1)!));
    expect(finalStage.filter((i) => i.startsWith('USER ')).at(-1)).toBe('USER node');
    expect(JSON.parse(finalStage.find((i) => i.startsWith('ENTRYPOINT '))!.slice(11))).toEqual(['/usr/bin/tini', '--', 'node', '/opt/streamforge/bin/streamforge.js']);
    expect(JSON.parse(finalStage.find((i) => i.startsWith('CMD '))!.slice(4))).toEqual(['serve', '--role', 'all']);
  });

  it('copies only what exists in the build context (the repository root)', () => {
    for (const copy of instructions.filter((i) => i.startsWith('COPY ') && !i.includes('--from='))) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(path.join(repoRoot, source)), source).toBe(true);
    }
    // The compose example's shared tus directory exists in the image, owned by the app's user.
    expect(instructions.some((i) => i.includes('/var/lib/streamforge-uploads') && i.includes('chown node:node'))).toBe(true);
  });
});

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
/**
 * What a worker needs to stop by itself: `serve` gives running jobs 10 s (src/cli/main.ts), the
 * Worker 5 s more to settle, ffmpeg 3 s between SIGTERM and SIGKILL (STREAMFORGE_FFMPEG_KILL_GRACE_MS),
 * open HTTP connections 2 s. Doubled, for a loaded machine.
 */
const WORKER_STOP_NEEDS_SEC = 2 * (10 + 5 + 3 + 2);

/** `[Section]` → key → values (keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      sections.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    expect(section, `key outside a section: ${line}`).toBeDefined();
    expect(eq, line).toBeGreaterThan(0);
    const key = line.slice(0, eq);
    section!.set(key, [...(section!.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

describe('deploy/systemd', () => {
  const systemdDir = path.join(deployDir, 'systemd');
  const units = {
    api: { file: 'streamforge-api.service', instance: 'streamforge-api.service' },
    worker: { file: 'streamforge-worker@.service', instance: 'streamforge-worker@1.service' },
  } as const;

  it.skipIf(!hasSystemdAnalyze)('passes systemd-analyze verify without a single warning', () => {
    const dir = tempDir('sf-systemd-');
    for (const { file } of Object.values(units)) copyFileSync(path.join(systemdDir, file), path.join(dir, file));
    // The template is verified as itself and as an instance (%i expanded).
    for (const name of [units.api.file, units.worker.file, units.worker.instance]) {
      const result = spawnSync('systemd-analyze', ['verify', path.join(dir, name)], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
      expect({ name, status: result.status, output: (result.stdout + result.stderr).trim() }).toEqual({ name, status: 0, output: '' });
    }
  });

  it.skipIf(!hasSystemdAnalyze)('is hardened: systemd-analyze security rates both units OK or better', () => {
    const dir = tempDir('sf-systemd-');
    for (const { file } of Object.values(units)) copyFileSync(path.join(systemdDir, file), path.join(dir, file));
    for (const name of [units.api.instance, units.worker.instance]) {
      const out = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', path.join(dir, name)], { encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0' } });
      const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(out)![1]);
      // systemd's scale: 0 (locked down) … 10 (exposed); below 4 it says "OK", below 2 "SAFE"/"OK".
      expect(exposure, name).toBeLessThanOrEqual(2.5);
    }
  });

  it('runs `serve --role api|worker`, restarts on failure, stops with SIGTERM in time, writes only its state dir', () => {
    for (const [role, { file }] of Object.entries(units)) {
      const unit = parseUnit(readFileSync(path.join(systemdDir, file), 'utf8'));
      expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
      const service = unit.get('Service')!;
      const one = (key: string) => {
        expect(service.get(key), `${file} ${key}`).toHaveLength(1);
        return service.get(key)![0]!;
      };
      expect(one('ExecStart')).toBe(`/usr/bin/node /opt/streamforge/bin/streamforge.js serve --role ${role}`);
      expect(one('Restart')).toBe('on-failure');
      expect(one('KillSignal')).toBe('SIGTERM');
      expect(one('EnvironmentFile')).toBe('/etc/streamforge/streamforge.env');
      for (const key of ['NoNewPrivileges', 'PrivateTmp']) expect(one(key), key).toBe('yes');
      expect(one('ProtectSystem')).toBe('strict');
      const dataDir = service.get('Environment')!.find((e) => e.startsWith('STREAMFORGE_DATA_DIR='))!.split('=')[1]!;
      expect(dataDir.startsWith(one('ReadWritePaths'))).toBe(true);
      expect(dataDir.startsWith(`/var/lib/${one('StateDirectory').split(' ')[0]}`)).toBe(true);
      const stopSec = Number(/^(\d+)s$/.exec(one('TimeoutStopSec'))![1]);
      expect(stopSec).toBeGreaterThanOrEqual(role === 'worker' ? WORKER_STOP_NEEDS_SEC : 10);
    }
  });

  it('has an env file example that StreamForge accepts and that does not override the units', () => {
    const env: Record<string, string> = {};
    for (const line of readFileSync(path.join(systemdDir, 'streamforge.env.example'), 'utf8').split('\n')) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      expect(match, line).not.toBeNull();
      env[match![1]!] = match![2]!;
    }
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'STORAGE_URL', 'STREAMFORGE_S3_ENDPOINT', 'STREAMFORGE_S3_ACCESS_KEY_ID', 'STREAMFORGE_S3_SECRET_ACCESS_KEY']) {
      expect(env[key], key).toBeDefined();
    }
    expectValidStreamForgeEnv(env, 'api');
    expectValidStreamForgeEnv(env, 'worker');
    // systemd lets EnvironmentFile= override Environment=: the per-unit settings must not be in it.
    for (const { file } of Object.values(units)) {
      const set = parseUnit(readFileSync(path.join(systemdDir, file), 'utf8')).get('Service')!.get('Environment')!.map((e) => e.split('=')[0]!);
      for (const key of set) expect(env[key], `${key} is set by ${file}`).toBeUndefined();
    }
  });
});

describe('deploy/nginx/streamforge-edge.conf', () => {
  const shipped = readFileSync(path.join(deployDir, 'nginx/streamforge-edge.conf'), 'utf8');

  it('passes `nginx -t` inside a minimal nginx.conf', () => {
    const dir = tempDir('sf-nginx-t-');
    const rendered = shipped
      .replace(/^\s*server api:8080\b[^;]*;/m, '    server 127.0.0.1:18080; server 127.0.0.1:18081;')
      .replace(/^\s*listen 80;/m, '    listen 127.0.0.1:18000;')
      .replace('/var/cache/nginx/streamforge', path.join(dir, 'cache'))
      .replace('/var/log/nginx/streamforge-edge.access.log', path.join(dir, 'access.log'));
    expect(rendered).not.toBe(shipped);
    writeFileSync(path.join(dir, 'streamforge-edge.conf'), rendered);
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      [
        ...(os.userInfo().uid === 0 ? ['user root root;'] : []),
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log warn;`,
        'events {}',
        `http { client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;`,
        `  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi; access_log off; include ${dir}/streamforge-edge.conf; }`,
      ].join('\n'),
    );
    const result = spawnSync('/usr/sbin/nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('syntax is ok');
    expect(result.stderr).toContain('test is successful');
    expect(result.stderr).not.toMatch(/\[(warn|emerg|alert|crit)\]/);
  });

  it('caches /stream/ with a lock and stale answers, never /api/, and streams uploads and SSE', () => {
    const block = (name: string) => {
      const start = shipped.indexOf(name);
      expect(start, name).toBeGreaterThanOrEqual(0);
      let depth = 0;
      for (let i = shipped.indexOf('{', start); i < shipped.length; i++) {
        if (shipped[i] === '{') depth++;
        else if (shipped[i] === '}' && --depth === 0) return shipped.slice(start, i + 1);
      }
      throw new Error(`unbalanced ${name}`);
    };
    const stream = block('location /stream/');
    for (const directive of ['proxy_cache streamforge_stream;', 'proxy_cache_lock on;', 'proxy_cache_key $uri;', 'proxy_set_header Cookie $streamforge_session_cookie;', 'proxy_cache_revalidate on;']) {
      expect(stream).toContain(directive);
    }
    expect(stream).toMatch(/proxy_cache_use_stale updating error timeout\b/);
    expect(block('location ~ /download\\.')).toMatch(/slice \d+m;[\s\S]*proxy_cache_key \$uri\$slice_range;[\s\S]*proxy_set_header Range \$slice_range;/);
    const api = block('location /api/');
    expect(api).toContain('proxy_cache off;');
    expect(api).toContain('proxy_request_buffering off;');
    const maxBody = /client_max_body_size (\d+)g;/.exec(api);
    expect(Number(maxBody![1]) * 1024 ** 3).toBeGreaterThan(loadConfig({ env: {} }).maxUploadBytes);
    const events = block('location ~ ^/api/videos/[^/]+/events$');
    expect(events).toContain('proxy_buffering off;');
    expect(events).toMatch(/proxy_read_timeout \d+h;/);
    expect(block('upstream streamforge_api')).toMatch(/keepalive \d+;/);
    expect(shipped).toContain('add_header X-Cache-Status $upstream_cache_status always;');
  });
});
