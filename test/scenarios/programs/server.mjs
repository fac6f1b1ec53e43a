// The scenario's "internet": HTTP servers bound to the test network namespace's addresses. Run inside the
// namespace: node server.mjs ADDRESS:PORT [ADDRESS:PORT ...]. Prints "listening" when every listener is up.
import { createServer } from 'node:http';

const BIG = Buffer.alloc(1024 * 1024, 0x61);
const ASSET = Buffer.alloc(48 * 1024, 0x62);

function handle(req, res) {
  let received = 0;
  req.on('data', (chunk) => (received += chunk.length));
  req.on('end', () => {
    const [path, query = ''] = (req.url ?? '/').split('?');
    // ?status=N answers with an empty body and that status; ?bytes=N with N bytes (sizes a real service would send).
    const params = new URLSearchParams(query);
    if (params.has('status')) return res.writeHead(Number(params.get('status'))).end();
    if (params.has('bytes')) {
      const size = Math.min(Number(params.get('bytes')) || 0, BIG.length);
      return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(BIG.subarray(0, size));
    }
    if (path.startsWith('/pool/'))
      return res.writeHead(200, { 'content-type': 'application/vnd.debian.binary-package' }).end(BIG);
    if (path.startsWith('/asset/'))
      return res.writeHead(200, { 'content-type': 'application/javascript' }).end(ASSET);
    if (path === '/health')
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"up"}');
    if (path === '/beacon') return res.writeHead(204).end();
    if (path === '/upload') return res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (path === '/ok') return res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    res.writeHead(404).end(`no ${path} (${received} bytes received)`);
  });
}

const listeners = process.argv.slice(2).map((spec) => {
  const i = spec.lastIndexOf(':');
  return { host: spec.slice(0, i), port: Number(spec.slice(i + 1)) };
});
let up = 0;
for (const { host, port } of listeners) {
  createServer(handle).listen(port, host, () => {
    if (++up === listeners.length) process.stdout.write('listening\n');
  });
}
process.on('SIGTERM', () => process.exit(0));
