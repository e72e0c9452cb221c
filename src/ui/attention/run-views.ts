/**
 * What the page fetches for the run on screen, each a @lit/task that re-runs when its inputs change: the
 * pooled overviews and zoom window (runs above L = 256), the selected query row, and the numerics against
 * the float64 reference.
 */
import type { ReactiveControllerHost } from 'lit';
import { Task, TaskStatus } from '@lit/task';
import type { MatrixStage } from '../../engine/attention';
import type { PoolMode, Rect } from '../../kernels/attention/spec';
import { rectKey, type Picture } from './matrices';
import type { AttentionSession, LabRun, NumericsView, RowWeights, Views } from './session';

interface RunViewsInputs {
  /** The run on screen. */
  shown(): LabRun | undefined;
  pool(): PoolMode;
  zoom(): Rect | null;
  enlargedStage(lab: LabRun | undefined): MatrixStage;
  head(): number;
  row(): number;
  /** True while a new run is pending (a view error of the old one is not worth showing then). */
  runPending(): boolean;
}

export class RunViews {
  /** The last views fetched (Task.value is cleared when a fetch fails). */
  private lastViews: Views | null = null;

  private readonly views: Task<readonly [LabRun | undefined, PoolMode, string, MatrixStage], Views | null>;
  private readonly rowTask: Task<readonly [LabRun | undefined, number, number], RowWeights | null>;
  private readonly numericsTask: Task<readonly [LabRun | undefined], NumericsView | null>;

  constructor(
    host: ReactiveControllerHost,
    session: AttentionSession,
    private readonly at: RunViewsInputs,
  ) {
    this.views = new Task(host, {
      onComplete: (views: Views | null) => {
        this.lastViews = views;
      },
      args: () => {
        const lab = at.shown();
        const zoom = at.zoom();
        return [lab, at.pool(), zoom ? rectKey(zoom) : '', at.enlargedStage(lab)] as const;
      },
      task: ([lab, mode, , stage]) => (lab ? session.views(lab, mode, at.zoom(), stage) : null),
    });
    this.rowTask = new Task(host, {
      args: () => [at.shown(), at.head(), at.row()] as const,
      task: ([lab, head, row]) => (lab ? session.row(lab, head, row) : null),
    });
    this.numericsTask = new Task(host, {
      args: () => [at.shown()] as const,
      task: ([lab]) => (lab ? session.numerics(lab) : null),
    });
  }

  /** A run with the views fetched for it, the zoom and the pooling mode. */
  picture(lab: LabRun): Picture {
    // Task.value is cleared when a fetch fails: keep drawing the last views fetched.
    const v = this.views.value ?? this.lastViews;
    return { lab, views: v && v.runId === lab.id ? v : null, zoom: this.at.zoom(), pool: this.at.pool() };
  }

  /** Why the zoom window could not be fetched (the GPU no longer holds the run's buffers), if so. */
  viewError(pic: Picture): string | null {
    if (pic.views?.zoomError) return pic.views.zoomError;
    if (this.views.status === TaskStatus.ERROR && !this.at.runPending())
      return (this.views.error as Error).message;
    return null;
  }

  get rowWeights(): RowWeights | undefined {
    return this.rowTask.value ?? undefined;
  }

  get numerics(): NumericsView | undefined {
    return this.numericsTask.value ?? undefined;
  }

  get numericsPending(): boolean {
    return this.numericsTask.status === TaskStatus.PENDING;
  }
}
