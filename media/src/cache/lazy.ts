// Rendering of finished cycles' Markdown deferred until their section comes near the viewport (or the page is idle):
// opening a panel on a long run then renders and lays out what is on screen first, not every proof of the run.
// The section is observed, not the target: a section with content-visibility: auto has no laid-out contents while
// off screen, so an observer on something inside it would never see it come near.

interface Job { target: HTMLElement; render: () => void }

const bySection = new Map<Element, Job[]>();
let observer: IntersectionObserver | null = null;
let idleQueued = false;

function publish(): void {
  let n = 0;
  for (const jobs of bySection.values()) n += jobs.length;
  // Tests and host tests wait on this ("0": every proof and summary of the shown run is in the DOM).
  document.body.dataset.pending = String(n);
}

function runSection(section: Element): void {
  const jobs = bySection.get(section);
  if (!jobs) return;
  bySection.delete(section);
  observer?.unobserve(section);
  for (const j of jobs) {
    if (!j.target.isConnected) continue; // replaced since: nothing to draw
    j.target.style.minHeight = '';
    j.render();
  }
  publish();
}

function queueIdle(): void {
  if (idleQueued || !bySection.size) return;
  idleQueued = true;
  const step = () => {
    idleQueued = false;
    const first = bySection.keys().next();
    if (!first.done) runSection(first.value);
    queueIdle();
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(step, { timeout: 1000 });
  else setTimeout(step, 50);
}

let eager = false;
/** While set, nothing is deferred: a restored scroll position is only right if everything above it has its height. */
export function setEager(on: boolean): void {
  eager = on;
}

/** Calls `render` (which fills `target`) once `section` is within about a screen of the viewport, or when idle. */
export function renderWhenNear(section: Element, target: HTMLElement, render: () => void, estimatedChars: number): void {
  if (eager) { render(); return; }
  // Roughly the height the content will take, so the page does not jump much when it arrives.
  target.style.minHeight = `${Math.min(200, Math.ceil(estimatedChars / 90)) * 1.5}em`;
  const jobs = bySection.get(section);
  if (jobs) jobs.push({ target, render });
  else bySection.set(section, [{ target, render }]);
  observer ??= new IntersectionObserver(entries => {
    for (const e of entries) if (e.isIntersecting) runSection(e.target);
  }, { rootMargin: '800px 0px' });
  observer.observe(section);
  publish();
  queueIdle();
}

/** Forgets the jobs of sections no longer in the page (a snapshot or another run replaced them). */
export function dropDetached(): void {
  for (const s of [...bySection.keys()]) {
    if (!s.isConnected) { bySection.delete(s); observer?.unobserve(s); }
  }
  publish();
}
