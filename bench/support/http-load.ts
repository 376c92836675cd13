// The HTTP benchmark's load generator, in its own process: autocannon against
// one URL on 127.0.0.1 for a fixed time, answering over IPC with throughput
// and latency.
import autocannon from 'autocannon';

process.on('message', async (message: { type: string; url: string; body: string; headers: Record<string, string>; connections: number; seconds: number }) => {
  if (message.type !== 'run') return;
  const result = await autocannon({
    url: message.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...message.headers },
    body: message.body,
    connections: message.connections,
    duration: message.seconds,
  });
  process.send!({
    type: 'result',
    requestsPerSecond: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  });
});
process.send!({ type: 'ready' });
