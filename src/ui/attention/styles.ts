import { css } from 'lit';

export const attentionLabStyles = css`
  :host {
    container-type: inline-size;
  }
  .controls input[type='text'].sentence {
    width: min(36rem, 80vw);
  }
  .controls input[type='number'] {
    width: 6.5rem;
  }
  label.check {
    display: flex;
    gap: 0.4rem;
    align-items: center;
    font-size: 0.9rem;
    padding-bottom: 0.4rem;
  }
  kbd {
    font-family: var(--ks-mono);
    font-size: 0.78rem;
    border: 1px solid var(--ks-border);
    border-bottom-width: 2px;
    border-radius: 4px;
    padding: 0 0.3rem;
    background: var(--ks-input);
  }
  .imported {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }
  .messages {
    display: grid;
    gap: 0.5rem;
    margin-top: 0.75rem;
  }
  .messages button {
    margin-left: 0.5rem;
  }
  .pseudocode {
    margin: 0 0 0.75rem;
    padding: 0.5rem 0;
    font-family: var(--ks-mono);
    font-size: 0.9rem;
    list-style: none;
    counter-reset: line;
    background: var(--ks-input);
    border: 1px solid var(--ks-border);
    border-radius: 6px;
  }
  .pseudocode li {
    counter-increment: line;
    padding: 0.1rem 0.75rem;
    border-left: 4px solid transparent;
  }
  .pseudocode li::before {
    content: counter(line);
    display: inline-block;
    width: 1.5rem;
    color: var(--ks-muted);
  }
  .pseudocode li[aria-current='true'] {
    background: var(--ks-badge);
    border-left-color: var(--ks-focus);
    font-weight: 600;
  }
  .pseudocode .note {
    color: var(--ks-muted);
    font-weight: 400;
  }
  .strip {
    display: grid;
    gap: 0.75rem;
  }
  .stage {
    margin: 0;
    border: 1px solid transparent;
    border-radius: 6px;
    padding: 0.25rem;
    min-width: 0;
  }
  .stage.current {
    border-color: var(--ks-focus);
  }
  .stage h4 {
    margin: 0;
    font-size: 0.9rem;
    display: flex;
    justify-content: space-between;
    gap: 0.5rem;
    align-items: baseline;
  }
  .stage code {
    display: block;
    font-size: 0.72rem;
    color: var(--ks-muted);
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .stage .range {
    font-size: 0.75rem;
    font-weight: 400;
    color: var(--ks-muted);
  }
  .stage .missing {
    display: flex;
    align-items: center;
    justify-content: center;
    text-align: center;
    font-size: 0.8rem;
    color: var(--ks-muted);
    border: 1px dashed var(--ks-border);
    border-radius: 6px;
    padding: 0.5rem;
    box-sizing: border-box;
  }
  canvas {
    display: block;
    touch-action: none;
  }
  canvas.interactive {
    cursor: crosshair;
  }
  canvas:focus-visible {
    outline: 3px solid var(--ks-focus);
  }
  .small-buttons {
    display: flex;
    gap: 0.3rem;
    flex-wrap: wrap;
    margin-top: 0.25rem;
  }
  /* Export buttons laid out among their siblings (exportButtons(…, 'contents')). */
  .contents {
    display: contents;
  }
  .small-buttons button,
  button.small {
    font-size: 0.75rem;
    padding: 0.15rem 0.45rem;
  }
  /* Five buttons under each stage heatmap: compact enough to stay on one line at the usual widths. */
  .stage .small-buttons {
    gap: 0.15rem;
  }
  .stage .small-buttons button {
    font-size: 0.72rem;
    padding: 0.1rem 0.22rem;
  }
  .legend {
    margin-top: 0.5rem;
    color: var(--ks-fg);
    overflow-x: auto;
  }
  .two {
    display: grid;
    grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr);
    gap: 1rem;
  }
  /*
   * One column when the lab itself is at most 960 px wide: the same measure (the host's width, from a
   * ResizeObserver) that sizes the canvases in twoColumn(), so the heatmap and bar chart always fit their
   * panels. A viewport media query disagreed with it between 960 and ~1000 px and the charts overflowed.
   */
  @container (max-width: 960px) {
    .two {
      grid-template-columns: 1fr;
    }
  }
  .zoom {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem;
    align-items: center;
    margin: 0.4rem 0;
  }
  .cell-info {
    min-height: 1.4em;
    font-size: 0.85rem;
    font-variant-numeric: tabular-nums;
  }
  .tooltip {
    position: fixed;
    z-index: 10;
    pointer-events: none;
    background: var(--ks-panel);
    color: var(--ks-fg);
    border: 1px solid var(--ks-border);
    border-radius: 6px;
    padding: 0.35rem 0.55rem;
    font-size: 0.8rem;
    line-height: 1.35;
    box-shadow: 0 4px 14px rgba(0, 0, 0, 0.18);
    max-width: 22rem;
    font-variant-numeric: tabular-nums;
  }
  .heads {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem;
  }
  .heads button {
    display: grid;
    justify-items: center;
    gap: 0.2rem;
    padding: 0.3rem;
    font-size: 0.8rem;
  }
  .heads button[aria-pressed='true'] {
    border-color: var(--ks-focus);
    box-shadow: 0 0 0 2px var(--ks-focus);
    font-weight: 600;
  }
  details.table {
    margin-top: 0.35rem;
    font-size: 0.8rem;
  }
  details.table .scroll {
    overflow: auto;
    max-height: 22rem;
  }
  details.table td,
  details.table th {
    padding: 0.1rem 0.35rem;
    font-size: 0.75rem;
  }
  .numerics table {
    margin-bottom: 0.5rem;
  }
  .numerics .bad {
    color: var(--ks-danger);
    font-weight: 600;
  }
  .small {
    font-size: 0.8rem;
  }
  code.wrap {
    /* Break between keys (the <wbr> after each comma), never inside a key. */
    word-break: normal;
    overflow-wrap: anywhere;
  }
  .token-seq {
    display: flex;
    flex-wrap: wrap;
    gap: 2px;
    font-family: var(--ks-mono, ui-monospace, monospace);
    font-size: 0.85rem;
  }
  .tok {
    display: inline-block;
    min-width: 1.1rem;
    padding: 0 0.15rem;
    text-align: center;
    border: 1px solid var(--ks-border);
    border-radius: 3px;
  }
  .tok.first {
    background: color-mix(in srgb, var(--ks-accent) 22%, transparent);
  }
  .tok.second {
    background: color-mix(in srgb, var(--ks-focus) 35%, transparent);
  }
  .induction table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  .induction th,
  .induction td {
    padding: 0.15rem 0.5rem;
    text-align: right;
    border-bottom: 1px solid var(--ks-border);
  }
  .induction tr.shown {
    background: color-mix(in srgb, var(--ks-accent) 12%, transparent);
  }
`;
