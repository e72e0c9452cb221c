/**
 * The benchmark page (built by bench/run-browser.mjs). Options come from the query string
 * (?quick=1&filter=attention&budget=SECONDS&tsflags=TEXT, the last saying how the runner asked for unquantised
 * timestamps). Progress goes to the console (the runner relays it); the result is left on
 * `window.__bench` = { done, result?, report?, error? }.
 */
import { requestGpu } from '../src/gpu/device';
import { formatReport, runSuite, type AttentionPeer, type BenchOptions } from './cases';
import { createTfjsPeer } from './tfjs-peer';

interface BenchState {
  done: boolean;
  result?: unknown;
  report?: string;
  error?: string;
}

const state: BenchState = { done: false };
(globalThis as unknown as { __bench: BenchState }).__bench = state;

async function main(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const options: BenchOptions = {
    quick: query.get('quick') === '1',
    filter: query.get('filter') || null,
    timeBudgetS: Number(query.get('budget')) > 0 ? Number(query.get('budget')) : null,
  };
  const gpu = await requestGpu({ gpu: navigator.gpu, label: 'bench' });
  let peer: AttentionPeer | null = null;
  if (!options.filter || 'attention'.includes(options.filter)) {
    try {
      peer = await createTfjsPeer();
    } catch (e) {
      console.log(`bench: tfjs peer unavailable: ${String(e)}`);
    }
  }
  const result = await runSuite(
    {
      gpu,
      runner: 'browser',
      host: navigator.userAgent,
      attentionPeer: peer,
      timestampRequest: query.get('tsflags') || undefined,
      log: (line) => console.log(`bench: ${line}`),
    },
    options,
  );
  peer?.dispose();
  state.result = result;
  state.report = formatReport(result);
  document.body.textContent = state.report;
}

main()
  .catch((e: unknown) => {
    state.error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  })
  .finally(() => {
    state.done = true;
  });
