import { css } from 'lit';

export const randomLabStyles = css`
  .grid {
    display: grid;
    /* minmax(0, …): a column never grows to its content, so narrow screens do not scroll sideways. */
    grid-template-columns: minmax(0, 1.4fr) minmax(0, 1fr);
    gap: 1rem;
  }
  @media (max-width: 900px) {
    .grid {
      grid-template-columns: minmax(0, 1fr);
    }
  }
  svg.histogram {
    display: block;
    max-width: 100%;
    height: auto;
  }
  .moments {
    overflow-x: auto;
  }
  td.z.far {
    color: var(--ks-danger);
    font-weight: 600;
  }
  .small {
    font-size: 0.8rem;
  }
  .derivation ol {
    margin: 0;
    padding-left: 1.25rem;
    line-height: 1.6;
  }
`;
