/** `npm start`: one hub with the embedded default (single node, SQLite in data/, no Redis). */
import { loadConfig } from './config.ts';
import { startHub } from './app.ts';

const config = loadConfig();
const server = await startHub(config);

if (server.demo) {
  const lines = server.demo.links.map((l) => `  ${l.role.padEnd(14)} ${l.name}\n    ${l.link}`);
  process.stdout.write(`\nDemo meeting "${server.demo.meetingId}" is ready. Open a link to join:\n${lines.join('\n')}\n\n`);
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    server.log.info({ signal: sig }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        server.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
