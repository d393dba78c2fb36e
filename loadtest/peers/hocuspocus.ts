/**
 * The peer server of the fan-out comparison: Hocuspocus 3 in its own process, configured as its
 * documentation's Database extension does it: documents loaded from and stored to SQLite
 * (better-sqlite3, synchronous=FULL like our hub), with Hocuspocus' default store debounce
 * (2 s, at most 10 s). No authentication hook (any token is accepted).
 * Environment: PORT, DATA_DIR, HOCUSPOCUS_STORE=sqlite|none.
 */
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { Server } from '@hocuspocus/server';

const port = Number(process.env.PORT ?? 0);
const dir = process.env.DATA_DIR ?? '.';
const store = process.env.HOCUSPOCUS_STORE ?? 'sqlite';

fs.mkdirSync(dir, { recursive: true });
const db = store === 'sqlite' ? new Database(path.join(dir, 'hocuspocus.sqlite')) : null;
if (db) {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS documents (name TEXT PRIMARY KEY, data BLOB NOT NULL)');
}
const load = db?.prepare<[string], { data: Buffer }>('SELECT data FROM documents WHERE name = ?');
const save = db?.prepare<[string, Uint8Array]>('INSERT INTO documents (name, data) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET data = excluded.data');

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
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
process.stdout.write(`hocuspocus listening on 127.0.0.1:${port} (store: ${store})\n`);
