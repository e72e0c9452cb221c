import { css } from 'lit';

export const batchnormLabStyles = css`
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem 1rem;
    align-items: end;
  }
  .controls input[type='number'] {
    width: 6.5rem;
  }
  .run {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
    margin-top: 0.75rem;
  }
  .run .status {
    font-variant-numeric: tabular-nums;
    color: var(--ks-muted);
  }
  .grid {
    display: grid;
    grid-template-columns: repeat(2, minmax(300px, 1fr));
    gap: 1rem;
    margin-top: 1rem;
  }
  @media (max-width: 900px) {
    .grid {
      grid-template-columns: 1fr;
    }
  }
  figure h3 {
    margin: 0 0 0.25rem;
    font-size: 0.95rem;
  }
  /* A chart's heading, with its small PNG / SVG export buttons at the right (below it when too narrow). */
  .chart-head {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    justify-content: space-between;
    gap: 0.25rem 0.75rem;
    margin-bottom: 0.25rem;
  }
  .chart-head h3 {
    margin: 0;
  }
  .chart-exports {
    display: inline-flex;
    gap: 0.3rem;
    margin-left: auto;
  }
  .chart-exports button {
    /* Small, but a 24 px target (WCAG 2.2 target size). */
    min-height: 24px;
    min-width: 2.75rem;
    padding: 0.1rem 0.45rem;
    font-size: 0.75rem;
    line-height: 1.2;
  }
  svg {
    display: block;
    max-width: 100%;
    height: auto;
  }
  .explain {
    margin-top: 1rem;
    line-height: 1.55;
  }
  .explain h3 {
    margin-top: 0;
  }
  .explain .measured {
    border-left: 3px solid var(--ks-border, #ccc);
    padding-left: 0.6rem;
  }
  .toggle {
    display: inline-flex;
    gap: 0.75rem;
    align-items: center;
  }
  fieldset {
    border: 1px solid var(--ks-border, #ccc);
    border-radius: 6px;
    padding: 0.25rem 0.6rem;
  }
  .hint {
    margin: 0.75rem 0 0;
    color: var(--ks-muted);
  }
  .glyph-panel {
    margin-top: 1rem;
  }
  .glyph-panel canvas {
    display: block;
    max-width: 100%;
    margin: 0.25rem 0 0.5rem;
    image-rendering: pixelated;
  }
  .numbers {
    margin-top: 1rem;
  }
  .numbers h3 {
    margin-top: 0;
  }
  .numbers details {
    margin-top: 0.75rem;
  }
  .numbers summary {
    cursor: pointer;
  }
  .table-block {
    overflow-x: auto;
    margin-top: 0.4rem;
  }
  .table-block .note {
    margin: 0.3rem 0 0;
    font-size: 0.85rem;
    color: var(--ks-muted);
  }
  .table-block .buttons {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    margin-top: 0.4rem;
  }
`;
