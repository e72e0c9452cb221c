/**
 * The Diffusion lab's run: one session per Runtime, kept while the user visits other labs, so coming back
 * (a link or the browser's Back) shows the same chain (t, particles) instead of re-running the setup.
 * It resolves the backend, sets up the panes, steps them through one SerialQueue (clicks, keys and the
 * play loop never interleave; droppable redraws are skipped while two or more operations wait), keeps the
 * models the training panel produced, and the last error. After a lost GPU device (a new runtime.generation)
 * the panes continue on the new device from their last drawn frame (same t, same particles, same trails).
 * The step-back snapshots were on the lost device: new ones are taken from the resumed step on, and a step
 * back before it replays from the start (the same numbers). Work in flight when the device goes ends with
 * a status line (`lost`), not an error.
 */
import type { ReactiveControllerHost } from 'lit';
import { msg, str } from '@lit/localize';
import {
  DiffusionCpuEngine,
  DiffusionEngine,
  MAX_PARTICLES_CPU,
  MAX_PARTICLES_GPU,
  type DiffusionRunner,
  type MlpModel,
} from '../../engine/diffusion';
import { isImageDataset, type DiffusionDenoiserChoice, type DiffusionState } from '../../state/diffusion';
import type { BackendChoice } from '../../state/store';
import { SerialQueue } from '../../util/serial-queue';
import { resolveBackend, type BackendTag } from '../common/backend';
import type { Runtime } from '../common/runtime';
import { ChainPane, MAX_IMAGE_PARTICLES, paneConfig, viewRequest } from './chain';
import { dataKey, limitNotices, startOf, type Notice } from './inputs';
import { resolvePaneInputs } from './pane-inputs';

/** A model the trainer panel produced (its latest 'denoiser-trained' event). */
export interface TrainedModel {
  model: MlpModel;
  step: number;
  totalSteps: number;
  loss: number;
  done: boolean;
}

const sessions = new WeakMap<Runtime, DiffusionSession>();

/** The runtime's session (GPU engines are per device and owned by the runtime; CPU runners by the session). */
export function sessionOf(runtime: Runtime): DiffusionSession {
  let s = sessions.get(runtime);
  if (!s) {
    s = new DiffusionSession(runtime);
    sessions.set(runtime, s);
  }
  return s;
}

export class DiffusionSession {
  panes: ChainPane[] = [];
  notices: Notice[] = [];
  /** English, as the exports record it; the badge names `backend` in the interface language. */
  backendLabel = '';
  backend: BackendTag | null = null;
  /** True when the panes run on the CPU reference. */
  onCpu = false;
  playing = false;
  error: string | null = null;
  /** Set instead of `error` when the last operation failed because the GPU device was lost (a status). */
  lost: string | null = null;
  /** Shown while a model's weights load. */
  modelLoading: string | null = null;
  /** Bumped after every engine operation so the charts redraw. */
  version = 0;
  /** Models trained in this page, per training-data key (dataKey). */
  readonly trained = new Map<string, TrainedModel>();
  private trainedVersion = 0;
  private readonly queue = new SerialQueue();
  private cpuRunners: DiffusionCpuEngine[] = [];
  private host: ReactiveControllerHost | null = null;
  /** The setup the mounted lab asks for ('' until the first sync after a mount). */
  private setupKey = '';
  /** The setup key without the trained-model version. */
  private baseKey = '';
  /** The setup the panes were made for, the views they read and the start they were (re)started from. */
  private panesKey = '';
  private viewKey = '';
  /** The panes' setup without the device generation (a lost device keeps it). */
  private panesSetup = '';
  private startKey = '';
  private params: DiffusionState | null = null;

  constructor(private readonly runtime: Runtime) {}

  /** True while an operation is queued or running ("working…"). */
  get busy(): boolean {
    return this.queue.busy;
  }

  attach(host: ReactiveControllerHost): void {
    this.host = host;
  }

  /** The lab left the page: stop playing; the panes stay, so a later mount with the same setup keeps them. */
  detach(): void {
    this.host = null;
    this.playing = false;
    this.setupKey = '';
  }

  private changed(): void {
    this.host?.requestUpdate();
  }

  /** Keeps the trainer panel's newest model; with "Trained in this page" the next sync re-runs with it. */
  addTrained(p: DiffusionState, model: TrainedModel): void {
    this.trained.set(dataKey(p), model);
    this.trainedVersion++;
    this.changed();
  }

  /**
   * Brings the chain in line with the controls (called before each render): a new setup, a restart from a
   * new forward t, or a re-read of the views — nothing when nothing changed.
   */
  sync(p: DiffusionState, backend: BackendChoice): void {
    this.params = p;
    const configs = [
      paneConfig(p, p.particles, 'A'),
      p.compare === 'off' ? null : paneConfig(p, p.particles, 'B'),
      backend,
    ];
    // A new device (after a loss) is a new setup, except on the CPU reference.
    const baseKey = JSON.stringify([...configs, backend === 'cpu' ? 0 : this.runtime.generation]);
    // With "Trained in this page", every new snapshot from the trainer is a new setup.
    const usesTrained = p.denoiser === 'trained' || (p.compare === 'denoiser' && p.denoiserB === 'trained');
    const trainedVersion = usesTrained && this.trained.has(dataKey(p)) ? this.trainedVersion : null;
    const key = JSON.stringify([baseKey, trainedVersion]);
    const sameSetup = JSON.stringify([configs, trainedVersion]);
    const viewKey = JSON.stringify([p.x0, p.field, p.density]);
    const startKey = JSON.stringify(startOf(p));
    if (key !== this.setupKey) {
      const fresh = this.setupKey === '';
      const sameBase = baseKey === this.baseKey;
      this.setupKey = key;
      this.baseKey = baseKey;
      this.playing = false;
      const resumable = this.panes.length > 0 && this.panes.every((pane) => pane.frame);
      if (resumable && this.panesKey !== key && this.panesSetup === sameSetup) {
        // The device was replaced: continue the same chains on the new one.
        this.startKey = JSON.stringify(this.panes[0]!.start);
        this.viewKey = viewKey;
        void this.run(() => this.setup(p, backend, key, null, sameSetup, true));
        return;
      }
      if (fresh && this.panesKey === key && this.panes.length > 0) {
        // Back on the lab with the setup it left: keep its chain (same t, same particles).
        this.version++;
        if (startKey !== this.startKey) this.restartFrom(startKey, p);
        else if (viewKey !== this.viewKey) this.refreshViews(viewKey);
        return;
      }
      // A new model from the trainer (nothing else changed) keeps the chain's step: the samples improve as
      // it trains.
      const keepStep =
        !fresh && sameBase && p.denoiser === 'trained' && this.panes.length > 0
          ? (this.panes[0]?.frame?.stepIndex ?? null)
          : null;
      this.viewKey = viewKey;
      this.startKey = startKey;
      void this.run(() => this.setup(p, backend, key, keepStep, sameSetup));
    } else if (startKey !== this.startKey) {
      this.restartFrom(startKey, p);
    } else if (viewKey !== this.viewKey) {
      this.refreshViews(viewKey);
    }
  }

  /**
   * Runs `op` after every earlier operation; an error shows in the page and stops playing. A droppable op
   * is skipped while two or more wait (key auto-repeat, a dragged slider), so nothing queues a backlog.
   */
  run(op: () => Promise<void>, droppable = false): Promise<void> {
    let ran = false;
    const losses = this.runtime.losses;
    const wrapped = async () => {
      ran = true;
      await op();
    };
    const queued = droppable ? this.queue.run(wrapped, { droppable: true }) : this.queue.run(wrapped);
    this.changed();
    return queued
      .then(
        () => {
          if (ran) this.error = this.lost = null;
        },
        (e: unknown) => {
          this.playing = false;
          if (this.lostDuring(losses)) this.lost = this.lostMessage();
          else this.error = e instanceof Error ? e.message : String(e);
        },
      )
      .finally(() => {
        this.version++;
        this.changed();
      });
  }

  /** Whether the device was lost since `losses` (or is lost now): the failure was the loss's. */
  private lostDuring(losses: number): boolean {
    const kind = this.runtime.status.kind;
    return this.runtime.losses > losses || kind === 'recovering' || kind === 'lost';
  }

  private lostMessage(): string {
    const t = this.panes[0]?.frame?.t;
    if (this.runtime.status.kind === 'lost') return msg('The GPU device was lost during this operation.');
    return t === undefined
      ? msg('The GPU device was lost during this operation; the chain continues on the new device.')
      : msg(
          str`The GPU device was lost during this operation; the chain continues from t = ${t} on the new device.`,
        );
  }

  /** What the panes read back for drawing. */
  private read() {
    const p = this.params!;
    return viewRequest(p, this.panes[0]?.config.particles ?? p.particles);
  }

  /** The forward-process scrub: restart every pane from the data noised to the new t, or from pure noise. */
  private restartFrom(startKey: string, p: DiffusionState): void {
    this.startKey = startKey;
    this.playing = false;
    const start = startOf(p);
    void this.run(async () => {
      if (this.startKey !== startKey) return; // a newer scrub position is queued
      for (const pane of this.panes) await pane.reset(this.read(), start);
    });
  }

  private refreshViews(viewKey: string): void {
    this.viewKey = viewKey;
    void this.run(async () => {
      for (const pane of this.panes) await pane.read(this.read());
    });
  }

  private paneInputs(p: DiffusionState, choice: DiffusionDenoiserChoice, notices: Notice[]) {
    return resolvePaneInputs(p, choice, notices, this.trained.get(dataKey(p)), (loading) => {
      this.modelLoading = loading;
      this.changed();
    });
  }

  /** The runners of the chosen backend, its label, particle ceiling and fallback notice. */
  private async runners(backend: BackendChoice) {
    const resolved = await resolveBackend(this.runtime, backend);
    const { label, tag } = resolved;
    if (resolved.kind === 'gpu') {
      const runners: DiffusionRunner[] = [
        this.runtime.engine(resolved.ctx, 'diffusion', (c) => new DiffusionEngine(c)),
        this.runtime.engine(resolved.ctx, 'diffusion.compare', (c) => new DiffusionEngine(c)),
      ];
      return { runners, label, tag, max: MAX_PARTICLES_GPU, cpu: false, notice: undefined };
    }
    if (this.cpuRunners.length === 0) this.cpuRunners = [new DiffusionCpuEngine(), new DiffusionCpuEngine()];
    const runners: DiffusionRunner[] = this.cpuRunners;
    return { runners, label, tag, max: MAX_PARTICLES_CPU, cpu: true, notice: resolved.notice };
  }

  /** `resume`: continue the panes of the same setup (their device was lost) from their last frames. */
  private async setup(
    p: DiffusionState,
    backend: BackendChoice,
    key: string,
    keepStep: number | null,
    sameSetup: string,
    resume = false,
  ) {
    const from = resume && this.panesSetup === sameSetup ? this.panes : null;
    // A newer setup is queued (e.g. while a drawing grows under a drag): only the last one runs.
    if (key !== this.setupKey) return;
    if (p.dataset === 'draw' && p.drawing === '') {
      this.panes = [];
      this.notices = [
        () =>
          msg(
            'Draw the training data: click or drag on the plot, or type points in the drawing panel; the chain runs once there is at least one point.',
          ),
      ];
      this.panesKey = key;
      return;
    }
    const { runners, label, tag, max, cpu, notice } = await this.runners(backend);
    const particles = Math.min(p.particles, max, isImageDataset(p.dataset) ? MAX_IMAGE_PARTICLES : Infinity);
    const notices = [...(notice ? [notice] : []), ...limitNotices(p, particles, max, cpu)];
    const configB = paneConfig(p, particles, 'B');
    const inputs = await this.paneInputs(p, p.denoiser, notices);
    // Pane B resolves its own denoiser when the comparison is between denoisers (same data, same seed).
    const inputsB =
      p.compare === 'denoiser' && configB.denoiser !== p.denoiser
        ? await this.paneInputs(p, configB.denoiser, notices)
        : inputs;
    const panes = [new ChainPane(runners[0]!, paneConfig(p, particles, 'A'), inputs)];
    if (p.compare !== 'off') panes.push(new ChainPane(runners[1]!, configB, inputsB));
    const read = viewRequest(p, particles);
    for (const [i, pane] of panes.entries()) {
      const prev = from?.[i];
      if (prev?.denoiserUsed === pane.denoiserUsed) await pane.resume(prev, read);
      else await pane.setup(read, startOf(p));
    }
    if (keepStep !== null && keepStep > 0) {
      await panes[0]!.jumpToStep(keepStep, read);
      for (const pane of panes.slice(1)) await pane.jumpToT(panes[0]!.frame!.t, read);
    }
    this.panes = panes;
    this.notices = notices;
    this.backendLabel = label;
    this.backend = tag;
    this.onCpu = cpu;
    this.panesKey = key;
    this.panesSetup = sameSetup;
  }

  /** Pane B follows pane A's timestep (the first of its own steps at or below A's t). */
  private async follow() {
    const [a, ...rest] = this.panes;
    if (!a?.frame) return;
    for (const pane of rest) await pane.jumpToT(a.frame.t, this.read());
  }

  /** `droppable`: skipped when operations pile up (key auto-repeat), so a held key cannot queue hundreds. */
  stepForward(droppable = false): Promise<void> {
    return this.run(async () => {
      const a = this.panes[0];
      if (!a) return;
      await a.step(this.read());
      await this.follow();
    }, droppable);
  }

  stepBack(droppable = false): Promise<void> {
    return this.run(async () => {
      const a = this.panes[0];
      if (!a) return;
      await a.stepBack(this.read());
      await this.follow();
    }, droppable);
  }

  reset(): Promise<void> {
    this.playing = false;
    return this.run(async () => {
      const start = startOf(this.params!);
      for (const pane of this.panes) await pane.reset(this.read(), start);
    });
  }

  jumpTo(t: number): Promise<void> {
    return this.run(async () => {
      const a = this.panes[0];
      if (!a) return;
      await a.jumpToT(t, this.read());
      await this.follow();
    });
  }

  /** Operations that must not interleave with the chain's (the exports' full read-backs). */
  exclusive<T>(op: () => Promise<T>): Promise<T> {
    return this.queue.run(op);
  }

  togglePlay(): void {
    if (this.playing) {
      this.playing = false;
    } else {
      this.playing = true;
      void this.playLoop();
    }
    this.changed();
  }

  private async playLoop() {
    if (this.panes[0]?.runner.done) await this.reset().then(() => (this.playing = true));
    while (this.playing && this.host) {
      const started = performance.now();
      await this.stepForward();
      if (!this.playing) break;
      if (!this.panes[0] || this.panes[0].runner.done || this.error || this.lost) {
        this.playing = false;
        this.changed();
        break;
      }
      const wait = Math.max(0, 1000 / this.params!.speed - (performance.now() - started));
      // Always yield at least one frame so the charts draw between steps.
      await new Promise((r) => setTimeout(r, Math.max(wait, 16)));
    }
  }
}
