/**
 * The peer server of the fan-out comparison: Hocuspocus 3 in its own process, configured as its
 * documentation's Database extension does it: documents loaded from and stored to SQLite
 * (better-sqlite3, synchronous=FULL like our hub), with Hocuspocus' default store debounce
 * (2 s, at most 10 s). No authentication hook (any token is accepted).
 * With REDIS_URL it runs as one instance of a cluster, with its Redis extension (updates and
 * awareness relayed through Redis pub/sub; instances share the SQLite file and the extension's lock
 * keeps one instance storing a document at a time).
 * Environment: PORT, DATA_DIR, HOCUSPOCUS_STORE=sqlite|none, REDIS_URL.
 */
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { Server, type Extension } from '@hocuspocus/server';
import { Redis } from '@hocuspocus/extension-redis';

const port = Number(process.env.PORT ?? 0);
const dir = process.env.DATA_DIR ?? '.';
const store = process.env.HOCUSPOCUS_STORE ?? 'sqlite';
const redisUrl = process.env.REDIS_URL ? new URL(process.env.REDIS_URL) : null;

fs.mkdirSync(dir, { recursive: true });
const db = store === 'sqlite' ? new Database(path.join(dir, 'hocuspocus.sqlite')) : null;
if (db) {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  db.exec('CREATE TABLE IF NOT EXISTS documents (name TEXT PRIMARY KEY, data BLOB NOT NULL)');
}
const load = db?.prepare<[string], { data: Buffer }>('SELECT data FROM documents WHERE name = ?');
const save = db?.prepare<[string, Uint8Array]>('INSERT INTO documents (name, data) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET data = excluded.data');

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  extensions: redisUrl ? [new Redis({ host: redisUrl.hostname, port: Number(redisUrl.port) }) as Extension] : [],
  async onLoadDocument({ documentName, document }) {
    const row = load?.get(documentName);
    if (row) Y.applyUpdate(document, new Uint8Array(row.data));
    return document;
  },
  async onStoreDocument({ documentName, document }) {
    save?.run(documentName, Y.encodeStateAsUpdate(document));
  },
});

await server.listen();
process.stdout.write(`hocuspocus listening on 127.0.0.1:${port} (store: ${store}${redisUrl ? `, redis: ${redisUrl.href}` : ''})\n`);
