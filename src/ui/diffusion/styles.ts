import { css } from 'lit';

export const diffusionLabStyles = css`
  .controls fieldset {
    border: none;
    margin: 0;
    padding: 0;
    display: contents;
  }
  label.check {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
    font-size: 0.85rem;
  }
  input[type='number'] {
    width: 6.5rem;
  }
  .stepper {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 0.75rem;
    align-items: center;
    margin-top: 1rem;
  }
  output.t-display {
    font-family: var(--ks-mono);
    font-size: 1.25rem;
    font-weight: 700;
    min-width: 7.5ch;
    padding: 0.1rem 0.5rem;
    border-radius: 6px;
    background: var(--ks-badge);
  }
  .stepper input[type='range'],
  .forward input[type='range'] {
    width: 14rem;
  }
  .forward {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 0.75rem;
    align-items: center;
    margin-top: 0.75rem;
  }
  .forward-note {
    flex: 1 1 20rem;
  }
  .busy {
    font-size: 0.8rem;
    color: var(--ks-muted);
    min-width: 5ch;
  }
  .panes {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(360px, 1fr));
    gap: 1rem;
    margin-top: 1rem;
  }
  .plot {
    position: relative;
    min-width: 0;
  }
  /* A pane wide enough for the plot and a column beside it puts legend, caption and exports there, so a
     single pane does not leave empty space at the side of a square plot. */
  .scatter-pane {
    container-type: inline-size;
  }
  .pane-side {
    min-width: 0;
  }
  @container (min-width: 820px) {
    .pane-body {
      display: grid;
      grid-template-columns: minmax(300px, 560px) minmax(220px, 1fr);
      gap: 1.25rem;
      align-items: start;
    }
    .pane-side .legend-inline {
      flex-direction: column;
      margin-top: 0;
    }
  }
  .plot canvas,
  .plot svg {
    position: absolute;
    left: 0;
    top: 0;
  }
  .plot svg {
    pointer-events: none;
  }
  canvas.drawable {
    cursor: crosshair;
    touch-action: none;
  }
  .drawing {
    margin-top: 0.75rem;
  }
  .drawing h3 {
    margin: 0 0 0.25rem;
    font-size: 0.95rem;
  }
  .drawing-row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem 1.25rem;
    align-items: flex-end;
  }
  .drawing-add {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: flex-end;
  }
  .drawing-text {
    width: min(18rem, 100%);
    font-family: var(--ks-mono);
    font-size: 0.8rem;
  }
  .pane-title {
    margin: 0 0 0.4rem;
    font-size: 0.95rem;
  }
  .legend-inline {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem 0.9rem;
    font-size: 0.8rem;
    margin: 0.25rem 0;
  }
  .swatch {
    display: inline-block;
    width: 0.7rem;
    height: 0.7rem;
    border-radius: 2px;
    margin-right: 0.25rem;
    vertical-align: -1px;
  }
  .explain {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(380px, 1fr));
    gap: 1rem;
    margin-top: 1rem;
  }
  ol.code {
    font-family: var(--ks-mono);
    font-size: 0.8rem;
    margin: 0;
    padding-left: 2.2rem;
    line-height: 1.6;
  }
  ol.code li.current {
    background: var(--ks-warn-bg);
    outline: 1px solid var(--ks-warn);
    border-radius: 3px;
    font-weight: 700;
  }
  .schedules {
    margin-top: 1rem;
    overflow-x: auto;
  }
  .schedules svg {
    max-width: 100%;
    height: auto;
  }
  .small {
    font-size: 0.8rem;
  }
  .trainer {
    margin-top: 1rem;
  }
  .trainer h3 {
    margin: 0 0 0.25rem;
    font-size: 0.95rem;
  }
  .notices {
    display: grid;
    gap: 0.5rem;
    margin-top: 0.75rem;
  }
`;
