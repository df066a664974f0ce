import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

interface Overflow {
  /** Content hidden to the left (scrolled away). */
  before: boolean;
  /** Content hidden to the right. */
  after: boolean;
}

/**
 * A wide table in a horizontal scroll box that says when it scrolls: a shadow on each side that has
 * hidden columns and a "scroll →" hint, since a clipped column ("pe…") alone does not say that
 * there is more. The box is a labelled region, in the tab order while it scrolls so that the arrow
 * keys can scroll it (WCAG 2.1.1; axe's scrollable-region-focusable).
 */
export function ScrollRegion({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [overflow, setOverflow] = useState<Overflow>({ before: false, after: false });
  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    const update = () => {
      const hidden = element.scrollWidth - element.clientWidth;
      // A pixel of rounding is not a column.
      const next = { before: hidden > 1 && element.scrollLeft > 1, after: hidden > 1 && element.scrollLeft < hidden - 1 };
      setOverflow((now) => (now.before === next.before && now.after === next.after ? now : next));
    };
    update();
    const observer = new ResizeObserver(update);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    element.addEventListener('scroll', update, { passive: true });
    return () => {
      observer.disconnect();
      element.removeEventListener('scroll', update);
    };
  }, []);
  const scrolls = overflow.before || overflow.after;
  return (
    <div className={`scroll-region${overflow.before ? ' more-before' : ''}${overflow.after ? ' more-after' : ''}`} data-testid={testId}>
      <div ref={box} className="table-scroll" role="region" aria-label={scrolls ? `${label} (scrolls sideways)` : label} tabIndex={scrolls ? 0 : undefined}>
        {children}
      </div>
      {scrolls && (
        <p className="scroll-hint muted small" data-testid="scroll-hint" aria-hidden="true">
          {overflow.after ? 'scroll → for more columns' : '← scroll back for the first columns'}
        </p>
      )}
    </div>
  );
}
