import { css } from 'lit';

/** The shell's header, navigation, status tools and banner layout. */
export const appStyles = css`
  :host {
    min-height: 100vh;
  }
  header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem 1rem;
    padding: 0.5rem 1.25rem;
    border-bottom: 1px solid var(--ks-border);
    background: var(--ks-panel);
  }
  .brand {
    font-weight: 700;
    font-size: 1.15rem;
    text-decoration: none;
    color: var(--ks-fg);
  }
  nav ul {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem;
    list-style: none;
    margin: 0 0 0 -0.6rem; /* the first tab's text lines up with the brand */
    padding: 0;
  }
  nav a {
    display: inline-block;
    padding: 0.3rem 0.6rem;
    border-radius: 6px;
    color: var(--ks-fg);
    text-decoration: none;
  }
  nav a[aria-current='page'] {
    background: var(--ks-primary);
    color: var(--ks-on-primary);
  }
  /* Two rows: the brand and the status tools on top, the lab tabs underneath (one row would not fit a
         long adapter name at 1280 px). */
  nav {
    order: 2;
    flex: 1 1 100%;
  }
  .status {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem 0.75rem;
    align-items: center;
    justify-content: flex-end;
    margin-left: auto;
    font-size: 0.85rem;
  }
  .status label.field {
    flex-direction: row;
    align-items: center;
    gap: 0.35rem;
  }
  .status select,
  .status button {
    padding: 0.2rem 0.4rem;
  }
  /* The header's backend badge: the shared pill, larger, one line. */
  .badge {
    max-width: 15rem;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    padding: 0.15rem 0.6rem;
    font-size: inherit;
  }
  .keys kbd {
    font-family: var(--ks-mono);
    font-weight: 700;
  }
  @media (max-width: 640px) {
    header {
      padding: 0.5rem 0.75rem;
    }
    main {
      padding: 0.75rem 0.75rem 2rem;
    }
    nav a {
      padding: 0.25rem 0.45rem;
    }
    .status {
      margin-left: 0;
      justify-content: flex-start;
    }
    .badge {
      max-width: calc(100vw - 2rem);
    }
  }
  main {
    padding: 1rem 1.25rem 3rem;
    max-width: 1280px;
    margin: 0 auto;
  }
  .banners {
    display: grid;
    gap: 0.5rem;
    margin-bottom: 1rem;
  }
  .banners button {
    margin-left: 0.5rem;
  }
  details {
    margin-top: 0.25rem;
    font-size: 0.85rem;
  }
`;
