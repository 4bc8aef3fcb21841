/**
 * The load generator of table 5, run in a process of its own (so it does not share the event loop
 * of the server it measures): autocannon with `connections` clients for `seconds`, each
 * connection sending its own request (its own agent and tenant) over and over. Prints the result
 * as JSON on stdout. Usage: `node --import tsx bench/load-client.ts '<json config>'`.
 */
import autocannon from 'autocannon';

export interface LoadConfig {
  url: string;
  seconds: number;
  /** One request per connection; connection `i` sends `requests[i]`. */
  requests: { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string }[];
}

export interface LoadResult {
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
let next = 0;
const result = await autocannon({
  url: config.url,
  connections: config.requests.length,
  duration: config.seconds,
  requests: [
    {
      setupRequest: (request, context) => {
        const ctx = context as { i?: number };
        ctx.i ??= next++ % config.requests.length;
        const r = config.requests[ctx.i]!;
        return { ...request, method: r.method, path: r.path, headers: r.headers, ...(r.body === undefined ? {} : { body: r.body }) };
      },
    },
  ],
});
const out: LoadResult = {
  seconds: result.duration,
  requests: result.requests.total,
  rps: result.requests.total / result.duration,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, (v as { count: number }).count])),
};
process.stdout.write(JSON.stringify(out));
