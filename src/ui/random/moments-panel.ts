/** The moments table (empirical against theory, with standard errors and z) and the backend line. */
import { html, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { standardErrors, theory } from '../../kernels/random/theory';
import { formatBytes, formatDuration, formatFixed } from '../../util/format';
import { backendName } from '../common/backend';
import { dataTable } from '../common/data-table';
import { exportButtons } from '../common/export-buttons';
import { MOMENT_ROWS, momentExports, momentLabel } from './exports';
import type { RandomRun } from './session';

export function renderMoments(run: RandomRun): TemplateResult {
  const { result } = run;
  const t = theory(result.params.transform);
  const se = standardErrors(t, result.sums.n);
  const rows = MOMENT_ROWS.map(([, key]) => {
    const emp = result.moments[key];
    const z = (emp - t[key]) / se[key];
    return [
      momentLabel(key),
      { value: emp, text: formatFixed(emp, 6), cls: 'empirical' },
      { value: t[key], text: formatFixed(t[key], 6), cls: 'theory' },
      { value: se[key], text: formatFixed(se[key], 2), cls: 'se' },
      { value: z, text: formatFixed(z, 2), cls: Math.abs(z) > 3 ? 'z far' : 'z' },
    ];
  });
  const readBack = result.bytesRead ? formatBytes(result.bytesRead) : msg('nothing (CPU)');
  return html`<section class="panel moments">
    ${dataTable({
      label: msg('Moments'),
      caption: msg(str`Empirical moments against theory (${t.notation})`),
      head: [msg('Moment'), msg('Empirical'), msg('Theory'), msg('Std. error'), 'z'],
      rows,
      rowKey: (_, i) => MOMENT_ROWS[i]![1],
    })}
    <p class="muted small">
      ${msg(html`z = (empirical − theory) / standard error; |z| &lt; 3 in about 99.7% of seeds.`)}
    </p>
    <p class="backend-line">
      <span class="badge" title=${msg('What computed these numbers')}>${backendName(run.backend)}</span>
      ${msg(str`${formatDuration(result.elapsedMs)} · generated ${formatBytes(result.sums.n * 4)} · read back ${readBack}`)}
    </p>
    ${exportButtons(momentExports(run))}
  </section>`;
}
