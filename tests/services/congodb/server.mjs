// Starts CongoDB on a loopback port, in memory. Imported by deep path because the package's main entry
// pulls in the stubbed-out dependencies.
import { CongoServer } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const server = new CongoServer({ host: opt('host', '127.0.0.1'), port: Number(opt('port', '27017')), storage: 'memory' });
await server.start();
console.log(`congodb listening on ${opt('host', '127.0.0.1')}:${opt('port', '27017')} pid ${process.pid}`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try { await server.stop(); } finally { process.exit(0); }
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
