/**
 * The benchmark's browsers: a child process with N socket.io clients (the product's own
 * stream client), each following the town, the alerts and one rig, as an overview page
 * with a rig page open would. Every item received is timed against the wall-clock time
 * the server saw its engine event (`ts`), into a histogram of 1 ms buckets. On `stop`
 * it reports the histogram and its counts to the parent and exits.
 *
 * Its own process on purpose: clients must not share the server's event loop, or the
 * latency and the loop lag would measure the clients too.
 */
import { StreamClient } from '../lib/stream-client';

const url = process.env.BENCH_URL!;
const token = process.env.BENCH_TOKEN!;
const clients = Number(process.env.BENCH_CLIENTS ?? 50);
const rigs = Number(process.env.BENCH_RIGS ?? 20);
/** `town`: the town topic only (a node of a cluster that does not know the rigs). */
const onlyTown = process.env.BENCH_TOPICS === 'town';
const BUCKETS = 60_000; // 1 ms each, up to a minute

const histogram = new Uint32Array(BUCKETS);
let items = 0;
let deltas = 0;
let snapshots = 0;
let refused = 0;
let recording = false;
const streams: StreamClient[] = [];
let connected = 0;

for (let i = 0; i < clients; i++) {
  const client = new StreamClient(url, { token });
  streams.push(client);
  client.socket.on('connect', () => {
    connected++;
    if (connected === clients) process.send?.({ type: 'connected' });
  });
  const rig = `rig:bench-${String(i % rigs).padStart(2, '0')}`;
  for (const topic of onlyTown ? ['town'] : ['town', 'alerts', rig]) {
    client.subscribe(topic, {
      snapshot: () => snapshots++,
      refused: () => refused++,
      delta: (received) => {
        deltas++;
        if (!recording) return;
        const now = Date.now();
        for (const item of received) {
          items++;
          histogram[Math.min(BUCKETS - 1, Math.max(0, now - item.ts))]++;
        }
      },
    });
  }
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'record') {
    recording = true;
    histogram.fill(0);
    items = 0;
    deltas = 0;
  }
  if (message.type === 'stop') {
    recording = false;
    for (const c of streams) c.close();
    process.send?.({ type: 'report', histogram: Array.from(histogram), items, deltas, snapshots, refused }, () =>
      process.exit(0),
    );
  }
});
