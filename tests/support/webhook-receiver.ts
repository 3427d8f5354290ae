/**
 * A webhook receiver on loopback for the alerting tests: every alert delivery, in order.
 * The caller closes `server` when done.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookPayload } from '../../server/alerts/webhook';

export async function startWebhookReceiver(): Promise<{ url: string; received: WebhookPayload[]; server: Server }> {
  const received: WebhookPayload[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const payload = JSON.parse(body) as WebhookPayload;
      if (payload.kind === 'alert') received.push(payload);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}
