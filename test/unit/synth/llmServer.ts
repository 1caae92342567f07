/** A local chat-completions server for the LLM client tests: each request is answered by `behave`. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  body: { model: string; messages: Array<{ role: string; content: string }>; temperature: number };
  headers: http.IncomingHttpHeaders;
}

export type Reply =
  | { status?: number; headers?: Record<string, string>; content?: string; raw?: string; usage?: { prompt_tokens: number; completion_tokens: number } }
  | 'hang';

export interface TestServer {
  url: string;
  requests: ChatRequest[];
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

export async function startServer(behave: (req: ChatRequest, n: number) => Reply | Promise<Reply>): Promise<TestServer> {
  const hung: http.ServerResponse[] = [];
  const state = { requests: [] as ChatRequest[], inFlight: 0, maxInFlight: 0 };
  const server = http.createServer((req, res) => {
    let data = '';
    // counted on arrival (a client that gives up before its body is read still made the request)
    const r: ChatRequest = { body: { model: '', messages: [], temperature: NaN }, headers: req.headers };
    state.requests.push(r);
    const n = state.requests.length;
    req.on('data', (d: Buffer) => (data += d.toString('utf8')));
    req.on('end', () => {
      r.body = JSON.parse(data) as ChatRequest['body'];
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      void Promise.resolve(behave(r, n)).then((reply) => {
        if (reply === 'hang') {
          hung.push(res);
          res.on('close', () => state.inFlight--);
          return;
        }
        const body = reply.raw ?? JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: reply.content ?? '' }, finish_reason: 'stop' }], usage: reply.usage ?? { prompt_tokens: 10, completion_tokens: 2 } });
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
        res.end(body, () => state.inFlight--);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const h of hung) h.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
