/**
 * `streamforge backup DIR` and `streamforge restore DIR` for the embedded mode (SQLite + blobs on
 * local disk), safe while the server runs (docs/backup.md). A backup is:
 *
 *   DIR/streamforge.db   an online snapshot (SQLite's backup API: consistent, no lock held for long)
 *   DIR/blobs/…          every blob, copied (reflinks where the filesystem has them)
 *   DIR/uploads/…        resumable uploads in progress, with --include-uploads
 *   DIR/blobs.sha256     the SHA-256 of every copied blob (`sha256sum -c` reads it too); uploads.sha256 alike
 *   DIR/manifest.json    written last: versions, migrations, SHA-256 of the snapshot and of those lists, totals
 *
 * The scale-out mode (PostgreSQL, S3, Redis) is backed up with those systems' own tools; docs/backup.md
 * gives the procedure.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Config } from '../config/config.js';
import { parseStorageUrl } from '../storage/storage-url.js';

export const BACKUP_MANIFEST = 'manifest.json';
const DATABASE_FILE = 'streamforge.db';
const BLOBS_DIR = 'blobs';
const UPLOADS_DIR = 'uploads';
/** LocalBlobStore's in-progress writes (local-blob-store.ts): never part of a backup. */
const BLOB_TEMP_DIR = '.tmp';

export interface BackupManifest {
  format: 'streamforge-backup';
  formatVersion: 1;
  /** The StreamForge that made it (package.json version). */
  streamforgeVersion: string;
  createdAt: string;
  /** Migrations applied in the snapshot: a restore needs a StreamForge that knows them all. */
  migrations: string[];
  database: { file: string; bytes: number; sha256: string };
  blobs: BackupPart;
  uploads: BackupPart | null;
}

/** A copied tree: its totals and, since 0.1, its files' checksums (a sha256sum list) and that list's own SHA-256. */
interface BackupPart {
  dir: string;
  files: number;
  bytes: number;
  checksums?: { file: string; sha256: string };
}

/** The installation is not one this command can back up (PostgreSQL or S3: docs/backup.md). */
export class BackupUnsupportedError extends Error {
  override name = 'BackupUnsupportedError';
}

/** A backup that is incomplete, damaged or altered, or a restore target that is not empty. */
export class BackupRefusedError extends Error {
  override name = 'BackupRefusedError';
}

interface EmbeddedPaths {
  databaseFile: string;
  blobRoot: string;
  uploadsDir: string;
}

function embeddedPaths(config: Config): EmbeddedPaths {
  if (!config.databaseUrl.startsWith('sqlite:') || config.databaseUrl === 'sqlite::memory:') {
    throw new BackupUnsupportedError('backup/restore copies a SQLite database; with PostgreSQL use pg_dump / pg_restore (docs/backup.md)');
  }
  const location = parseStorageUrl(config.storageUrl);
  if (location.kind !== 'file') {
    throw new BackupUnsupportedError('backup/restore copies blobs on local disk; with S3 use bucket versioning or replication (docs/backup.md)');
  }
  return {
    databaseFile: path.resolve(config.databaseUrl.slice('sqlite:'.length)),
    blobRoot: location.root ?? path.join(config.dataDir, 'blobs'),
    uploadsDir: config.uploadsDir,
  };
}

export interface BackupOptions {
  config: Config;
  dir: string;
  includeUploads?: boolean;
}

export async function backup(options: BackupOptions): Promise<BackupManifest> {
  const paths = embeddedPaths(options.config);
  const dir = path.resolve(options.dir);
  if ((await entriesOf(dir)).length > 0) throw new BackupRefusedError(`${dir} is not empty: back up into a new directory`);
  await mkdir(dir, { recursive: true });

  // The snapshot FIRST, then the blobs. Blobs are immutable once written (a rewrite is a new file
  // renamed over the key), so everything the snapshot references already exists when the copy starts
  // and is copied whole. The other order would capture rows naming blobs written after the copy:
  // videos "ready" without their segments. Blobs written during the copy are at worst unreferenced
  // extras, which the janitor removes after a restore. (Blobs deleted during the copy — a video
  // deleted meanwhile — are the one gap: its row comes back without files; docs/backup.md.)
  const snapshot = path.join(dir, DATABASE_FILE);
  await snapshotDatabase(paths.databaseFile, snapshot);
  const database = { file: DATABASE_FILE, bytes: (await stat(snapshot)).size, sha256: await sha256Of(snapshot) };
  const migrations = appliedMigrations(snapshot);
  await copyTree(paths.blobRoot, path.join(dir, BLOBS_DIR), { skip: [BLOB_TEMP_DIR] });
  const blobs = await checksumPart(dir, BLOBS_DIR);
  // An upload being appended to is copied up to some offset; its client resumes from there.
  let uploads: BackupPart | null = null;
  if (options.includeUploads) {
    await copyTree(paths.uploadsDir, path.join(dir, UPLOADS_DIR));
    uploads = await checksumPart(dir, UPLOADS_DIR);
  }

  const manifest: BackupManifest = {
    format: 'streamforge-backup',
    formatVersion: 1,
    streamforgeVersion: await packageVersion(),
    createdAt: new Date().toISOString(),
    migrations,
    database,
    blobs,
    uploads,
  };
  // Last, and atomically: a directory without a manifest is an unfinished backup.
  await writeFile(path.join(dir, `${BACKUP_MANIFEST}.part`), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(path.join(dir, `${BACKUP_MANIFEST}.part`), path.join(dir, BACKUP_MANIFEST));
  return manifest;
}

export interface RestoreOptions {
  config: Config;
  dir: string;
  /** Replace the database, blobs and uploads of a data directory that is not empty. */
  force?: boolean;
}

export async function restore(options: RestoreOptions): Promise<BackupManifest> {
  const paths = embeddedPaths(options.config);
  const dir = path.resolve(options.dir);
  const manifest = await verifyBackup(dir);
  const dataDir = options.config.dataDir;
  const present = await entriesOf(dataDir);
  if (present.length > 0 && !options.force) {
    throw new BackupRefusedError(`the data directory ${dataDir} is not empty (${present.slice(0, 5).join(', ')}${present.length > 5 ? ', …' : ''}); stop StreamForge and pass --force to replace its database, blobs and uploads`);
  }
  // Scratch of the replaced installation goes too: it belongs to jobs of the old database.
  for (const target of [paths.databaseFile, `${paths.databaseFile}-wal`, `${paths.databaseFile}-shm`, paths.blobRoot, paths.uploadsDir, path.join(dataDir, 'work'), path.join(dataDir, 'chunk-work')]) {
    await rm(target, { recursive: true, force: true });
  }
  await mkdir(path.dirname(paths.databaseFile), { recursive: true });
  await copyTree(path.join(dir, manifest.blobs.dir), paths.blobRoot);
  if (manifest.uploads) await copyTree(path.join(dir, manifest.uploads.dir), paths.uploadsDir);
  // The database last, under a temporary name: a restore cut short leaves no database, not a half one.
  const partial = `${paths.databaseFile}.restoring`;
  await copyFile(path.join(dir, manifest.database.file), partial);
  if ((await sha256Of(partial)) !== manifest.database.sha256) throw new BackupRefusedError('the database copy does not match the backup: disk error? nothing was started');
  await rename(partial, paths.databaseFile);
  return manifest;
}

/** Reads the manifest and checks the backup against it: the snapshot's SHA-256, every blob's and upload's SHA-256 and the totals. */
export async function verifyBackup(dir: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, BACKUP_MANIFEST), 'utf8')) as BackupManifest;
  } catch (err) {
    throw new BackupRefusedError(`${dir} holds no readable ${BACKUP_MANIFEST} (an unfinished or foreign backup): ${(err as Error).message}`);
  }
  if (manifest.format !== 'streamforge-backup' || manifest.formatVersion !== 1) {
    throw new BackupRefusedError(`${dir}/${BACKUP_MANIFEST} is not a StreamForge backup manifest of format 1`);
  }
  const snapshot = path.join(dir, manifest.database.file);
  const sha256 = await sha256Of(snapshot).catch(() => null);
  if (sha256 !== manifest.database.sha256) {
    throw new BackupRefusedError(
      `the database snapshot ${snapshot} ${sha256 === null ? 'is missing' : `has SHA-256 ${sha256}, the manifest says ${manifest.database.sha256}`}: the backup is damaged or was altered; refusing to restore it`,
    );
  }
  for (const part of [manifest.blobs, manifest.uploads]) {
    if (!part) continue;
    const found = await treeTotals(path.join(dir, part.dir));
    if (found.files !== part.files || found.bytes !== part.bytes) {
      throw new BackupRefusedError(`${part.dir}/ holds ${found.files} files (${found.bytes} bytes), the manifest says ${part.files} (${part.bytes} bytes): the backup is incomplete or was altered`);
    }
    if (part.checksums) await verifyChecksums(dir, part, part.checksums);
  }
  return manifest;
}

/**
 * Hashes every file of a copied tree into `<dir>.sha256` (sha256sum's format, paths relative to the
 * backup, sorted): the copies are read back, so the list vouches for what the backup holds.
 */
async function checksumPart(backupDir: string, dir: string): Promise<BackupPart> {
  const lines: string[] = [];
  let bytes = 0;
  for (const file of await filesUnder(path.join(backupDir, dir))) {
    lines.push(`${await sha256Of(file)}  ${path.relative(backupDir, file)}`);
    bytes += (await stat(file)).size;
  }
  const listFile = `${dir}.sha256`;
  const list = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  await writeFile(path.join(backupDir, listFile), list);
  return { dir, files: lines.length, bytes, checksums: { file: listFile, sha256: createHash('sha256').update(list).digest('hex') } };
}

async function verifyChecksums(backupDir: string, part: BackupPart, checksums: { file: string; sha256: string }): Promise<void> {
  const list = await readFile(path.join(backupDir, checksums.file), 'utf8').catch(() => null);
  if (list === null || createHash('sha256').update(list).digest('hex') !== checksums.sha256) {
    throw new BackupRefusedError(`${checksums.file} is missing or does not match the manifest: the backup is damaged or was altered; refusing to restore it`);
  }
  const expected = new Map(list.split('\n').filter(Boolean).map((line) => [line.slice(66), line.slice(0, 64)] as const));
  for (const file of await filesUnder(path.join(backupDir, part.dir))) {
    const relative = path.relative(backupDir, file);
    const sha256 = await sha256Of(file);
    if (expected.get(relative) !== sha256) {
      throw new BackupRefusedError(
        `${relative} ${expected.has(relative) ? `has SHA-256 ${sha256}, ${checksums.file} says ${expected.get(relative)}` : `is not in ${checksums.file}`}: the backup is damaged or was altered; refusing to restore it`,
      );
    }
    expected.delete(relative);
  }
  if (expected.size > 0) throw new BackupRefusedError(`${[...expected.keys()][0]} is missing from the backup: it is incomplete; refusing to restore it`);
}

/** Every file under `dir`, sorted (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
}

/** SQLite's online backup: pages copied in steps, each under a short read lock; the server keeps writing. */
async function snapshotDatabase(source: string, target: string): Promise<void> {
  const db = new SQLite(source, { fileMustExist: true });
  try {
    // Writers hold the lock briefly; wait for them rather than fail with SQLITE_BUSY.
    db.pragma('busy_timeout = 5000');
    await db.backup(target);
  } finally {
    db.close();
  }
}

function appliedMigrations(snapshot: string): string[] {
  const db = new SQLite(snapshot, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as Array<{ name: string }>).map((row) => row.name);
  } finally {
    db.close();
  }
}

/** Copies every file under `from` to `to` (reflink where possible, else a copy); returns the totals. */
async function copyTree(from: string, to: string, options: { skip?: string[] } = {}): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true }).catch(() => [])) {
    if (options.skip?.includes(entry.name)) continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      const sub = await copyTree(source, target);
      files += sub.files;
      bytes += sub.bytes;
    } else if (entry.isFile()) {
      try {
        await copyFile(source, target, constants.COPYFILE_FICLONE);
      } catch (err) {
        // Deleted since it was listed (a video deleted meanwhile): nothing the snapshot needs.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      files++;
      bytes += (await stat(target)).size;
    }
  }
  return { files, bytes };
}

async function treeTotals(dir: string): Promise<{ files: number; bytes: number }> {
  let bytes = 0;
  const files = await filesUnder(dir);
  for (const file of files) bytes += (await stat(file)).size;
  return { files: files.length, bytes };
}

async function entriesOf(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function packageVersion(): Promise<string> {
  // src/cli/ and dist/cli/ are both two levels below the package root.
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
