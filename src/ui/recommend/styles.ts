/** The recommendation lab's view styles (after sharedStyles and labStyles): charts, lists and chips. */
import { css } from 'lit';

export const recommendStyles = css`
  section.panel {
    overflow-x: auto;
  }
  section.panel > h3:first-child {
    margin-top: 0;
  }
  svg.chart {
    display: block;
    max-width: 100%;
    height: auto;
  }
  .charts {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 320px), 1fr));
    gap: 1rem;
  }
  .lists {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 200px), 1fr));
    gap: 0.75rem;
  }
  .list h4 {
    margin: 0 0 0.3rem;
    font-size: 0.95rem;
  }
  ol.chips {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem;
    list-style: none;
    margin: 0;
    padding: 0;
  }
  li.chip {
    position: relative;
    min-width: 3.2rem;
    padding: 0.15rem 0.4rem;
    border-radius: 999px;
    font-family: var(--ks-mono);
    font-size: 0.8rem;
    text-align: center;
    cursor: default;
    border: 2px solid transparent;
  }
  li.chip.clicked {
    border-color: var(--ks-fg);
    font-weight: 700;
  }
  li.chip.clicked::after {
    content: '✓';
    margin-left: 0.2rem;
  }
  dl.metrics {
    display: grid;
    grid-template-columns: auto auto;
    justify-content: start;
    gap: 0 0.6rem;
    margin: 0.4rem 0 0;
    font-size: 0.85rem;
    font-variant-numeric: tabular-nums;
  }
  dl.metrics dt {
    color: var(--ks-muted);
  }
  dl.metrics dd {
    margin: 0;
  }
  .chip-detail {
    min-height: 1.4em;
    font-size: 0.85rem;
  }
  .answer p {
    max-width: 75ch;
    line-height: 1.5;
  }
  .small {
    font-size: 0.8rem;
  }
`;
