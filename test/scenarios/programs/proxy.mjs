// A forward HTTP proxy (absolute-form requests, as curl -x sends them): listens on loopback, fetches from the
// origin and relays the response. It is the benign process that makes many outbound connections with large replies.
import { createServer, request } from 'node:http';

const [host, port] = (process.argv[2] ?? '127.0.0.1:3128').split(':');
createServer((req, res) => {
  const target = new URL(req.url ?? '/');
  const upstream = request(
    {
      host: target.hostname,
      port: target.port || 80,
      path: target.pathname + target.search,
      method: req.method,
      headers: { ...req.headers, connection: 'close' },
      agent: false,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}).listen(Number(port), host, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
