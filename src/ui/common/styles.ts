import { css } from 'lit';

/** Shared component styles; colours are CSS custom properties defined per theme in index.html. */
export const sharedStyles = css`
  :host {
    display: block;
    color: var(--ks-fg);
    font-family: var(--ks-font);
  }
  h2 {
    margin: 0 0 0.25rem;
    font-size: 1.5rem;
  }
  h3 {
    margin: 1rem 0 0.5rem;
    font-size: 1.05rem;
  }
  p.lede {
    margin: 0 0 1rem;
    color: var(--ks-muted);
    max-width: 70ch;
  }
  .panel {
    background: var(--ks-panel);
    border: 1px solid var(--ks-border);
    border-radius: 8px;
    padding: 0.75rem 1rem;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem 1.25rem;
    align-items: end;
  }
  label.field {
    display: flex;
    flex-direction: column;
    gap: 0.2rem;
    font-size: 0.85rem;
    color: var(--ks-muted);
  }
  input,
  select,
  button,
  textarea {
    font: inherit;
    color: var(--ks-fg);
    background: var(--ks-input);
    border: 1px solid var(--ks-border);
    border-radius: 6px;
    padding: 0.35rem 0.55rem;
  }
  button {
    cursor: pointer;
  }
  button.primary {
    background: var(--ks-primary);
    color: var(--ks-on-primary);
    border-color: var(--ks-primary);
  }
  button:disabled {
    opacity: 0.55;
    cursor: default;
  }
  :focus-visible {
    outline: 3px solid var(--ks-focus);
    outline-offset: 2px;
  }
  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  th,
  td {
    padding: 0.3rem 0.6rem;
    text-align: right;
    border-bottom: 1px solid var(--ks-border);
  }
  th:first-child,
  td:first-child {
    text-align: left;
  }
  code,
  .mono {
    font-family: var(--ks-mono);
  }
  .notice {
    border-left: 4px solid var(--ks-warn);
    background: var(--ks-warn-bg);
    padding: 0.5rem 0.75rem;
    border-radius: 4px;
  }
  .error {
    border-left: 4px solid var(--ks-danger);
    background: var(--ks-danger-bg);
    padding: 0.5rem 0.75rem;
    border-radius: 4px;
  }
  .muted {
    color: var(--ks-muted);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  /* A pill naming what computed a result (the adapter, or CPU). */
  .badge {
    display: inline-block;
    padding: 0.1rem 0.5rem;
    border-radius: 999px;
    background: var(--ks-badge);
    color: var(--ks-fg);
    font-size: 0.8rem;
    font-weight: 600;
  }
  /* A row of export buttons (exportButtons()). */
  .buttons {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
    margin-top: 0.5rem;
  }
`;

/**
 * What every lab's results share (after sharedStyles, before the lab's own sheet): the results column,
 * dimmed while a new run is on its way, and figures, their captions and table captions.
 */
export const labStyles = css`
  .results {
    margin-top: 1rem;
    display: grid;
    gap: 1rem;
    transition: opacity 0.15s;
  }
  .results.stale {
    opacity: 0.6;
  }
  figure {
    margin: 0;
  }
  figcaption {
    font-size: 0.85rem;
    color: var(--ks-muted);
  }
  caption {
    text-align: left;
    font-weight: 600;
    padding-bottom: 0.4rem;
  }
`;

/** The in-page trainer panels (denoiser, induction model): a controls row, a progress bar, a status line, charts. */
export const trainerPanelStyles = css`
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem 1rem;
    align-items: end;
  }
  progress {
    height: 1rem;
  }
  .status {
    font-variant-numeric: tabular-nums;
    min-height: 1.3em;
  }
  svg {
    display: block;
    max-width: 100%;
    height: auto;
  }
`;
