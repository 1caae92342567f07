import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { parsePairsText, SUSPICION_SUFFIX, SUSPICION_VERSION, type SuspicionLine } from '../../src/shared/pairs';
import { ErrorCodes, Initialize, Progress, Shutdown, SynthGenerate, SynthScore, type ProgressParams } from '../../src/shared/protocol';
import { Engine } from '../../src/sidecar/engine';
import { readIndexChunks } from '../../src/sidecar/synth/indexChunks';
import { CALLS_SUFFIX } from '../../src/sidecar/synth/pairsOutput';
import { synthScoreFile } from '../../src/sidecar/synth/scoreService';
import { synthGenerate } from '../../src/sidecar/synth/service';
import { startServer, type ChatRequest } from '../unit/synth/llmServer';
import { cleanup, configFor, makeWorkspace, memoryLogger, modelDir, repoRoot, tempDir } from './helpers';

const log = memoryLogger();
const noProgress = (): void => undefined;

/** The (chunk, type) a chat request is about: the chunk text between the prompt's quotes, and the type word. */
function callKey(r: ChatRequest): string {
  const u = r.body.messages[1].content;
  const chunk = u.slice(u.indexOf('"""\n') + 4, u.lastIndexOf('\n"""'));
  const type = /List every (\w+)/.exec(u)?.[1] ?? '?';
  return `${type}\t${chunk}`;
}

function runCli(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; pid: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid ?? 0 }));
  });
}

describe('synthetic pairs on the real engine (demo model, shipped graph)', function () {
  this.timeout(300_000);
  let ws: string;
  let out: string;
  let engine: Engine;
  before(async () => {
    ws = makeWorkspace({ patients: 3, csvRows: 1 });
    out = tempDir('synth');
    engine = await Engine.open(configFor(ws), log, { threads: 2 });
  });
  after(async () => {
    await engine.close();
    cleanup(ws, out);
  });

  it('graph generator: indexes first, then explicit pairs with evidence and hypernyms; deterministic; a second run resumes', async () => {
    const file = path.join(out, 'graph.jsonl');
    const r = await synthGenerate(engine, { workId: 't', generator: 'graph', types: ['diagnosis', 'procedure', 'drug'], outPath: file }, noProgress);
    const chunks = await readIndexChunks(engine.config.indexLocation);
    assert.equal(r.chunks, chunks.length);
    assert.ok(chunks.length > 10);
    assert.equal(r.calls, chunks.length * 3);
    assert.ok(r.explicit > 50 && r.implicit > 20, JSON.stringify(r));
    assert.equal(r.graphPath, path.join(modelDir, 'graph.jsonl.gz'));
    const { pairs, broken } = parsePairsText(fs.readFileSync(file, 'utf8'));
    assert.equal(broken.length, 0);
    assert.equal(pairs.length, r.pairs);
    assert.equal(new Set(pairs.map((p) => p.id)).size, pairs.length);
    const byId = new Map(chunks.map((c) => [c.id, c]));
    for (const p of pairs) {
      const c = byId.get(p.chunk_id);
      assert.ok(c, p.chunk_id);
      assert.equal(p.source, c.source);
      if (p.explicit) {
        assert.ok(p.evidence && p.evidence.length > 0);
        for (const e of p.evidence) assert.ok(e.end > e.start && e.end <= c.text.length);
      } else assert.deepEqual(p.evidence, []);
    }
    assert.ok(pairs.some((p) => p.row !== undefined && p.source === 'exports/aci_notes.csv'), 'CSV rows carry their row');
    assert.deepEqual(new Set(pairs.map((p) => p.entity_type)), new Set(['diagnosis', 'procedure', 'drug']));
    // same input, same file
    const file2 = path.join(out, 'graph2.jsonl');
    await synthGenerate(engine, { workId: 't', generator: 'graph', types: ['diagnosis', 'procedure', 'drug'], outPath: file2 }, noProgress);
    assert.equal(fs.readFileSync(file2, 'utf8'), fs.readFileSync(file, 'utf8'));
    // resume: nothing asked again
    const again = await synthGenerate(engine, { workId: 't', generator: 'graph', types: ['diagnosis', 'procedure', 'drug'], outPath: file }, noProgress);
    assert.equal(again.calls, 0);
    assert.equal(again.skipped, chunks.length * 3);
    assert.equal(again.pairs, 0);
  });

  it('scores a pairs file beside it: one line per pair, reasons with stable codes, no note text', async () => {
    const file = path.join(out, 'graph.jsonl');
    const r = await synthScoreFile(engine, { workId: 't', pairsPath: file }, 'suspicion', noProgress);
    assert.equal(r.outPath, file + SUSPICION_SUFFIX);
    const lines = fs.readFileSync(r.outPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SuspicionLine);
    assert.equal(lines.length, r.pairs);
    assert.equal(r.stale, 0);
    assert.ok(lines.every((l) => l.score >= 0 && l.score <= 1 && l.version === SUSPICION_VERSION && l.model_id === engine.model.id));
    const codes = new Set(lines.flatMap((l) => l.reasons.map((x) => x.code)));
    assert.ok(codes.has('low_similarity') && codes.has('negated'), [...codes].join(','));
    const chunks = await readIndexChunks(engine.config.indexLocation);
    const longWords = new Set(chunks.flatMap((c) => c.text.split(/\s+/)).filter((w) => w.length >= 9 && /^[a-z]+$/.test(w)));
    for (const l of lines) for (const x of l.reasons) for (const w of x.detail.split(/\W+/)) assert.ok(!longWords.has(w) || /^(generator|similarity|negation|evidence|mentions?)$/.test(w), `detail word "${w}"`);
  });

  it('a pairs file with a truncated last line: the rest is scored and the line reported; changed chunks are stale', async () => {
    const text = fs.readFileSync(path.join(out, 'graph.jsonl'), 'utf8').trim().split('\n');
    const lines = text.slice(0, 30);
    lines[1] = lines[1].replace(/"chunk_hash":"[0-9a-f]+"/, '"chunk_hash":"0000"');
    const file = path.join(out, 'truncated.jsonl');
    fs.writeFileSync(file, lines.join('\n') + '\n' + text[30].slice(0, 40));
    const r = await synthScoreFile(engine, { workId: 't', pairsPath: file, outPath: path.join(out, 'scored.jsonl') }, 'pairs', noProgress);
    assert.equal(r.pairs, 30);
    assert.deepEqual(r.brokenLines, [31]);
    assert.equal(r.stale, 1);
    const scored = parsePairsText(fs.readFileSync(path.join(out, 'scored.jsonl'), 'utf8')).pairs;
    assert.equal(scored.length, 30);
    assert.ok(scored.every((p) => p.suspicion && p.suspicion.version === SUSPICION_VERSION));
  });

  it('LLM generator: parsed answers, explicit/implicit with spans, prompt version/sha/model and token counts on the pairs', async () => {
    const server = await startServer((req) => {
      const type = /List every (\w+)/.exec(req.body.messages[1].content)?.[1];
      if (type === 'diagnosis') return { content: '1. Hypertension\n2. Chronic kidney disease - inferred\n3. hypertension', usage: { prompt_tokens: 200, completion_tokens: 12 } };
      if (type === 'drug') return { content: 'None' };
      return { content: "I'm sorry, I can't help with that." };
    });
    try {
      const file = path.join(out, 'llm.jsonl');
      const r = await synthGenerate(
        engine,
        { workId: 't', generator: 'llm', types: ['diagnosis', 'procedure', 'drug'], outPath: file, llm: { endpoint: server.url, model: 'mock-7b', concurrency: 3, timeoutSeconds: 30, allowRemote: false } },
        noProgress,
      );
      assert.equal(r.failed, 0);
      assert.equal(server.requests.length, r.calls);
      assert.equal(r.promptTokens, 200 * r.chunks + 10 * 2 * r.chunks); // the mock counts 10 for the other answers
      const pairs = parsePairsText(fs.readFileSync(file, 'utf8')).pairs;
      assert.equal(pairs.length, 2 * r.chunks, 'two distinct diagnoses a chunk; None and refusals give none');
      assert.ok(pairs.every((p) => p.model === 'mock-7b' && p.generator === 'llm' && p.prompt_version === 'drehr-llm-1' && p.prompt_sha?.length === 64));
      const chunks = new Map((await readIndexChunks(engine.config.indexLocation)).map((c) => [c.id, c.text]));
      for (const p of pairs) {
        const text = chunks.get(p.chunk_id) ?? '';
        const literal = /hypertension|\bHTN\b/i.test(text);
        if (p.entity === 'hypertension') assert.equal(p.explicit, literal, p.chunk_id);
      }
      const prompt = JSON.parse(fs.readFileSync(file + '.prompt.json', 'utf8')) as { prompt_sha: string; user: string; temperature: number };
      assert.equal(prompt.prompt_sha, pairs[0].prompt_sha);
      assert.equal(prompt.temperature, 0.1);
      assert.match(prompt.user, /explicitly mentioned .* implicitly inferred/s);
      const firsts = pairs.filter((p) => p.usage);
      assert.equal(firsts.length, r.chunks, 'usage on the first pair of each call');
    } finally {
      await server.close();
    }
  });

  it('CLI: a run killed mid-way loses only the calls in flight; the rerun asks no answered call again and writes no pair twice', async () => {
    const file = path.join(out, 'killed.jsonl');
    const run1: string[] = [];
    const run2: string[] = [];
    let phase = 1;
    let killed = false;
    let childPid = 0;
    const server = await startServer((req) => {
      const key = callKey(req);
      if (phase === 1) {
        run1.push(key);
        if (run1.length >= 12) {
          if (!killed && childPid) {
            killed = true;
            process.kill(childPid, 'SIGKILL');
          }
          return 'hang';
        }
      } else run2.push(key);
      return { content: `- Hypertension\n- ${key.length % 2 ? 'asthma' : 'gout'}` };
    });
    try {
      const args = ['synth', ws, '--generator', 'llm', '--endpoint', server.url, '--model', 'mock', '--types', 'diagnosis,drug', '--concurrency', '2', '--out', file, '--model-dir', modelDir];
      const first = new Promise<Awaited<ReturnType<typeof runCli>>>((resolve) => {
        const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        childPid = child.pid ?? 0;
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.stdout.resume();
        child.on('exit', (code, signal) => resolve({ code, signal, stdout: '', stderr, pid: childPid }));
      });
      const r1 = await first;
      assert.equal(r1.signal, 'SIGKILL', `exit ${r1.code}: ${r1.stderr}`);
      const logged = fs.readFileSync(file + CALLS_SUFFIX, 'utf8').trim().split('\n').filter(Boolean).length;
      assert.ok(logged >= 8 && logged <= 11, `${logged} calls logged before the kill`);
      phase = 2;
      const r2 = await runCli(args);
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stdout, new RegExp(`Resumed: ${logged} calls were already answered`));
      const chunks = await readIndexChunks(engine.config.indexLocation);
      const calls = fs.readFileSync(file + CALLS_SUFFIX, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { chunk_id: string; entity_type: string });
      assert.equal(calls.length, chunks.length * 2);
      assert.equal(new Set(calls.map((c) => `${c.chunk_id}\t${c.entity_type}`)).size, calls.length, 'each call answered once');
      assert.equal(run2.length, chunks.length * 2 - logged, 'the rerun asked exactly the calls not answered');
      const answeredFirst = new Set(run1.slice(0, logged));
      assert.ok(run2.filter((k) => answeredFirst.has(k)).length <= 2, 'only calls in flight at the kill are asked again');
      const { pairs, broken } = parsePairsText(fs.readFileSync(file, 'utf8'));
      assert.deepEqual(broken, []);
      assert.equal(new Set(pairs.map((p) => p.id)).size, pairs.length, 'no pair twice');
    } finally {
      await server.close();
    }
  });

  it('through the sidecar process: drehr/synthGenerate with progress, drehr/synthScore beside the pairs, a remote endpoint refused', async () => {
    const ws2 = makeWorkspace({ patients: 1 });
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'sidecar.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.resume();
    const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const progress: ProgressParams[] = [];
    conn.onNotification(Progress, (p: ProgressParams) => void progress.push(p));
    conn.listen();
    try {
      await conn.sendRequest(Initialize, configFor(ws2));
      const file = path.join(ws2, '.drehr', 'synth', 'pairs-graph.jsonl');
      const r = await conn.sendRequest(SynthGenerate, { workId: 'w1', generator: 'graph', types: ['diagnosis', 'drug'], outPath: file });
      assert.ok(r.pairs > 0 && r.calls === r.chunks * 2, JSON.stringify(r));
      assert.deepEqual(r.messages, []);
      assert.ok(progress.some((p) => p.workId === 'w1' && p.phase === 'synth' && p.done === p.total && p.total === r.calls));
      const s = await conn.sendRequest(SynthScore, { workId: 'w2', pairsPath: file });
      assert.equal(s.outPath, file + SUSPICION_SUFFIX);
      assert.equal(fs.readFileSync(s.outPath, 'utf8').trim().split('\n').length, r.pairs);
      await assert.rejects(
        conn.sendRequest(SynthGenerate, { workId: 'w3', generator: 'llm', types: ['drug'], outPath: path.join(ws2, 'x.jsonl'), llm: { endpoint: 'https://llm.example.com/v1', model: 'm', concurrency: 1, timeoutSeconds: 5, allowRemote: false } }),
        (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.BadRequest && /allowRemote/.test(e.message),
      );
      assert.ok(!fs.existsSync(path.join(ws2, 'x.jsonl')), 'nothing written for a refused endpoint');
      await conn.sendRequest(Shutdown);
    } finally {
      conn.dispose();
      child.kill();
      cleanup(ws2);
    }
  });
});
